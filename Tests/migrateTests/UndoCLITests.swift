#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Testing
import RunwayTestSupport

@Suite("migrate undo through the binary")
struct UndoCLITests {
    struct UndoJSON: Decodable {
        struct Undone: Decodable {
            var version: String
            var description: String
            var filepath: String
        }
        var operation: String
        var initialSchemaVersion: String?
        var targetSchemaVersion: String?
        var undoneMigrations: [Undone]
        var migrationsUndone: Int
        var success: Bool
    }

    @Test("undo prints what it undid, in text and JSON; info shows Undone and Undoable; refusals exit 1")
    func undoThroughTheBinary() async throws {
        let db = try TestDatabase("cliundo")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);\n", "V2__b.sql": "CREATE TABLE b (id int);\n",
            "V3__c.sql": "CREATE TABLE c (id int);\n", "U2__b.sql": "DROP TABLE b;\n", "U3__c.sql": "DROP TABLE c;\n",
        ])
        let env = db.environment
        let locations = ["--locations", folder.path]
        #expect(try await runMigrate(["migrate"] + locations, environment: env).status == 0)

        let text = try await runMigrate(["undo"] + locations, environment: env)
        #expect(text.status == 0, "\(text.all)")
        #expect(text.stdout.contains("Undid version 3 - c (U3__c.sql, "))
        #expect(text.stdout.contains("Successfully undid 1 migration to schema \"public\", now at version v2"))
        #expect(!text.all.contains(db.endpoint.password))

        let json = try await runMigrate(["undo", "--output", "json", "--target", "2"] + locations, environment: env)
        #expect(json.status == 0, "\(json.all)")
        let result = try JSONDecoder().decode(UndoJSON.self, from: Data(json.stdout.utf8))
        #expect(result.operation == "undo" && result.success && result.migrationsUndone == 1)
        #expect(result.initialSchemaVersion == "2" && result.targetSchemaVersion == "1")
        #expect(result.undoneMigrations.map(\.version) == ["2"])
        #expect(result.undoneMigrations.first?.filepath.hasSuffix("/U2__b.sql") == true)

        let info = try await runMigrate(["info"] + locations, environment: env)
        #expect(info.stdout.contains("Schema version: 1"))
        #expect(info.stdout.contains("| Versioned | 1       | a           | SQL      |"))
        #expect(info.stdout.contains("| Undo      | 3       | c           | UNDO_SQL |"))
        let rows = info.stdout.split(separator: "\n").filter { $0.hasPrefix("| Versioned | 3 ") }
        #expect(rows.count == 2)
        #expect(rows.first?.hasSuffix("| Undone  |          |") == true, "\(info.stdout)")
        #expect(rows.last?.hasSuffix("| Pending | Yes      |") == true, "\(info.stdout)")
        #expect(info.stdout.contains("| Versioned | 1       | a           | SQL      | "))

        // V1 has no undo file: refused, exit 1, nothing changed.
        let before = try db.history()
        let refused = try await runMigrate(["undo", "--output", "json"] + locations, environment: env)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("there is no undo file for version 1"))
        #expect(try db.history() == before)
        // A bad target is a usage error.
        #expect(try await runMigrate(["undo", "--target", "next"] + locations, environment: env).status == 2)
    }

    @Test("validate --offline checks undo files as scripts; lint warns about an undo that drops filled data only")
    func offlineAndLint() async throws {
        let noDatabase = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        let folder = try MigrationFolder([
            "V1__split.sql": """
            SET lock_timeout = '5s';
            CREATE TABLE people (id int, full_name text);
            ALTER TABLE people ADD COLUMN first_name text;
            UPDATE people SET first_name = split_part(full_name, ' ', 1);
            """,
            "U1__split.sql": "SET lock_timeout = '5s';\nALTER TABLE people DROP COLUMN first_name;\n",
        ])
        let lint = try await runMigrate(["lint", "--locations", folder.path], environment: noDatabase)
        #expect(lint.status == 0, "\(lint.all)")
        let warning = "U1__split.sql:2: warning: [undo-drops-filled-column] The undo drops column people.first_name"
        #expect(lint.stdout.contains(warning), "\(lint.all)")
        // The statement rules (drop-column) are not applied to undo files.
        #expect(!lint.stdout.contains("[drop-column]"), "\(lint.all)")

        try folder.write("U1__split.sql", "ALTER TABLE people DROP COLUMN first_name;\nSELECT 'oops;\n")
        let broken = try await runMigrate(
            ["validate", "--offline", "--locations", folder.path], environment: noDatabase)
        #expect(broken.status == 1, "\(broken.all)")
        #expect(broken.stdout.contains("UNTERMINATED_SQL") && broken.stdout.contains("U1__split.sql"), "\(broken.all)")
    }
}
