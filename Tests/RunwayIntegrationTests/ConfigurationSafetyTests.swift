import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

/// A change to a ``Configuration`` and what the error it causes must name.
struct ConfigurationMistake: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var change: @Sendable (inout Configuration) -> Void
    var mentions: [String]
}

/// Configuration mistakes the library must refuse before it changes anything, whatever the command: the CLI gets
/// the same checks through ``Migrator``.
@Suite("configuration mistakes are refused through the library before the database changes")
struct ConfigurationSafetyTests {
    /// Tables in non-system schemas and schemas besides `public`: empty when nothing was created.
    private func objects(_ db: TestDatabase) throws -> [String] {
        try db.rows(
            """
            SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
            UNION ALL SELECT nspname FROM pg_namespace
            WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'public')
            """
        ).map { $0[0] ?? "" }
    }

    /// Runs every command that touches the database and expects each to fail with a configuration error naming
    /// `mentions`, leaving the database as it was.
    private func expectRefused(
        _ db: TestDatabase, _ migrator: Migrator, mentions: [String]
    ) async throws {
        for name in ["migrate", "info", "validate", "baseline", "repair"] {
            do throws(RunwayError) {
                switch name {
                case "migrate": _ = try await migrator.migrate()
                case "info": _ = try await migrator.info()
                case "validate": _ = try await migrator.validate()
                case "baseline": _ = try await migrator.baseline()
                default: _ = try await migrator.repair()
                }
                Issue.record("\(name) accepted the configuration")
            } catch {
                #expect(error.code == .configuration, "\(name): \(error)")
                for mention in mentions {
                    #expect(error.message.contains(mention), "\(name): the error does not name \(mention): \(error)")
                }
            }
        }
        #expect(try objects(db).isEmpty, "the database changed")
    }

    @Test(
        "locations that are empty, blank or match no folder are refused, naming locations",
        arguments: [
            [], [""], ["  "], ["/nonexistent-runway-a"], ["/nonexistent-runway-a", "filesystem:/nonexistent-b"],
        ])
    func noLocation(locations: [String]) async throws {
        let db = try TestDatabase("noloc")
        let mentions = ["locations"] + locations.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        try await expectRefused(db, db.migrator(locations), mentions: mentions)
    }

    @Test("a missing location beside an existing one is skipped with an error log, or refused when asked")
    func oneMissingLocation() async throws {
        let db = try TestDatabase("oneloc")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let missing = folder.path + "-nowhere"  // not inside the folder: that would be dropped as a sub-location
        let strict = db.migrator([folder.path, missing]) { $0.failOnMissingLocations = true }
        try await expectRefused(db, strict, mentions: [missing, "NOT_FOUND"])
        let logs = LogCapture()
        let configuration = db.configuration([folder.path, missing])
        let result = try await Migrator(configuration: configuration, logger: logs.logger).migrate()
        #expect(result.migrationsExecuted == 1)
        #expect(logs.messages.contains { $0.hasPrefix("Skipping filesystem location") && $0.contains(missing) })
        // The library's caller sees it in the result too (issue 18): an application can refuse to start on it.
        #expect(result.warnings.contains { $0.hasPrefix("Skipped migration location") && $0.contains(missing) })
        let again = try await Migrator(configuration: configuration, logger: logs.logger).migrate()
        #expect(again.warnings.contains { $0.contains(missing) }, "the no-op run reports it as well")
        let validated = try await Migrator(configuration: configuration, logger: logs.logger).validate()
        #expect(validated.warnings.contains { $0.contains(missing) })
    }

    @Test("relative locations with '..' are resolved against workingDirectory")
    func parentRelativeLocation() async throws {
        let db = try TestDatabase("dotdot")
        let project = try MigrationFolder(["sql/V1__a.sql": "CREATE TABLE a (id int);", "app/README": "x"])
        let result = try await db.migrator(["../sql"]) { $0.workingDirectory = project.path + "/app" }.migrate()
        #expect(result.migrationsExecuted == 1)
    }

    @Test(
        "empty names, and names over PostgreSQL's 63-byte identifier limit, are refused naming the setting",
        arguments: [
            ConfigurationMistake(testDescription: "table ''", change: { $0.table = "" }, mentions: ["table", "empty"]),
            ConfigurationMistake(
                testDescription: "table of 64 bytes", change: { $0.table = String(repeating: "h", count: 64) },
                mentions: ["table", "64 bytes", "63"]),
            // 62 bytes fit an identifier, but <table>_pk and <table>_s_idx would both be cut to <table>_.
            ConfigurationMistake(
                testDescription: "table of 62 bytes", change: { $0.table = String(repeating: "h", count: 62) },
                mentions: ["table", "62 bytes", "at most 61", "_pk"]),
            ConfigurationMistake(
                testDescription: "schemas with an empty name", change: { $0.schemas = ["app", ""] },
                mentions: ["schemas", "empty"]),
            ConfigurationMistake(
                testDescription: "schemas with 32 accented letters (64 bytes)",
                change: { $0.schemas = [String(repeating: "é", count: 32)] }, mentions: ["schemas", "64 bytes"]),
            ConfigurationMistake(
                testDescription: "defaultSchema ''", change: { $0.defaultSchema = "" },
                mentions: ["defaultSchema", "empty"]),
            ConfigurationMistake(
                testDescription: "defaultSchema of 64 bytes",
                change: { $0.defaultSchema = String(repeating: "s", count: 64) },
                mentions: ["defaultSchema", "64 bytes"]),
        ])
    func badNames(mistake: ConfigurationMistake) async throws {
        let db = try TestDatabase("names")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        try await expectRefused(db, db.migrator([folder.path], mistake.change), mentions: mistake.mentions)
    }

    @Test("the longest names work run after run: a 63-byte schema, a 61-byte table")
    func longestNames() async throws {
        let db = try TestDatabase("names63")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let schema = String(repeating: "é", count: 31) + "s"
        let table = String(repeating: "h", count: 61)
        let migrator = db.migrator([folder.path]) {
            $0.schemas = [schema]
            $0.table = table
        }
        #expect(try await migrator.migrate().migrationsExecuted == 1)
        #expect(try await migrator.migrate().migrationsExecuted == 0)
        #expect(try await migrator.validate().problems.isEmpty)
        #expect(try db.history(schema: schema, table: table).count == 2)
    }
}
