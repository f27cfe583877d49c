import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// Databases written by Flyway 12.0.2 itself (`../shared/fixtures`), taken over by Runway.
@Suite("taking over databases Flyway migrated")
struct FlywayCompatibilityTests {
    @Test("Runway validates a Flyway database and continues it with the rows Flyway would have written")
    func continuesFlywayDatabase() async throws {
        let db = try TestDatabase("flyway")
        try psql(db, file: try Fixtures.url("basic/after-step1.sql"))
        let step1 = try MigrationFolder()
        try step1.copy(from: try Fixtures.url("basic/step1"))
        let flywayStep1 = db.migrator([step1.path]) { $0.placeholders = ["greeting": "'hello'"] }
        #expect(try await flywayStep1.validate().isValid)
        #expect(try await flywayStep1.migrate().migrationsExecuted == 0)

        let step2 = try MigrationFolder()
        try step2.copy(from: try Fixtures.url("basic/step2"))
        let result = try await db.migrator([step2.path]) { $0.placeholders = ["greeting": "'hello'"] }.migrate()
        #expect(result.migrations.map(\.script) == ["V3__order_total.sql", "R__customer_summary.sql"])
        #expect(try db.history() == (try Fixtures.lines("basic/history-after-step2.txt")))
    }

    @Test("a Flyway baseline row makes lower versions Below Baseline and they are not applied")
    func continuesBaselinedDatabase() async throws {
        let db = try TestDatabase("baseline")
        try psql(db, file: try Fixtures.url("baseline/after-baseline.sql"))
        let folder = try MigrationFolder()
        try folder.copy(from: try Fixtures.url("baseline/migrations"))
        let migrator = db.migrator([folder.path])
        let before = try await migrator.info()
        #expect(before.migrations.map(\.state) == [.belowBaseline, .baseline, .pending])
        try await migrator.migrate()
        #expect(try db.history() == (try Fixtures.lines("baseline/history-after-migrate.txt")))
        #expect(try db.scalar("SELECT to_regclass('public.ignored_before') IS NULL") == "t")
    }

    @Test("a failed non-transactional row written by Flyway blocks Runway's migrate with Flyway's message")
    func flywayFailedRowBlocks() async throws {
        let db = try TestDatabase("flyfail")
        try psql(db, file: try Fixtures.url("failed-nontx/after-failure.sql"))
        let folder = try MigrationFolder()
        try folder.copy(from: try Fixtures.url("failed-nontx/migrations"))
        let migrator = db.migrator([folder.path])
        let validation = try await migrator.validate()
        #expect(validation.problems.map(\.code) == ["FAILED_VERSIONED_MIGRATION"])
        #expect(
            validation.problems.first?.message
                == "Detected failed migration to version 2 (indexes).\nPlease remove any half-completed changes then "
                + "run repair to fix the schema history.")
        await #expect(throws: RunwayError.self) { try await migrator.migrate() }
        #expect(try db.history() == (try Fixtures.lines("failed-nontx/history-after-failure.txt")))
    }
}
