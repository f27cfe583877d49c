import Foundation
import Testing

@testable import Runway

@Suite("MigrationType: the history table's type column")
struct MigrationTypeTests {
    @Test(
        "the constants are the strings Flyway writes",
        arguments: [
            (MigrationType.sql, "SQL"), (.sqlBaseline, "SQL_BASELINE"), (.baseline, "BASELINE"), (.schema, "SCHEMA"),
            (.delete, "DELETE"), (.undoSQL, "UNDO_SQL"), (.jdbc, "JDBC"), (.jdbcBaseline, "JDBC_BASELINE"),
        ])
    func rawValues(type: MigrationType, stored: String) {
        #expect(type.rawValue == stored)
        #expect(MigrationType(rawValue: stored) == type)
        #expect("\(type)" == stored)
    }

    @Test("a type Runway does not know keeps its text through JSON", arguments: ["SPRING_JDBC", "CUSTOM", "", "sql"])
    func unknownTypesRoundTrip(stored: String) throws {
        let type = MigrationType(rawValue: stored)
        #expect(type.rawValue == stored)
        let data = try JSONEncoder().encode([type])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(stored)\"]")
        #expect(try JSONDecoder().decode([MigrationType].self, from: data) == [type])
        #expect(!type.isSynthetic)
    }

    @Test("markers are synthetic; baseline migrations are told apart from the BASELINE marker")
    func classification() {
        #expect([MigrationType.schema, .baseline, .delete].allSatisfy { $0.isSynthetic })
        #expect(![MigrationType.sql, .sqlBaseline, .jdbc].contains { $0.isSynthetic })
        #expect([MigrationType.sqlBaseline, .jdbcBaseline].allSatisfy { $0.isBaselineMigration })
        #expect(!MigrationType.baseline.isBaselineMigration)
        #expect([MigrationType.baseline, .sqlBaseline, .jdbcBaseline].allSatisfy { $0.isBaselineOrMarker })
        #expect(MigrationKind.baseline.historyType == .sqlBaseline)
        #expect(MigrationKind.versioned.historyType == .sql && MigrationKind.repeatable.historyType == .sql)
    }
}
