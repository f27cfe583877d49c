import Foundation
import Testing
import RunwayTestSupport

/// `--log-format json`: what a log pipeline reads from a Job's stderr.
@Suite("--log-format json through the CLI (built binary, real PostgreSQL)")
struct JSONLogCLITests {
    /// Every stderr line parsed as one JSON object; the test fails on a line that is not one.
    func objects(_ output: RunOutput) throws -> [[String: Any]] {
        try output.stderr.split(separator: "\n").map { line in
            try #require(
                JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                "not a JSON object: \(line)")
        }
    }

    @Test("a failed migration is one JSON object with file, line, SQLSTATE, message, detail, hint and statement")
    func failedMigration() async throws {
        let db = try TestDatabase("jsonfail")
        let folder = try MigrationFolder([
            "V1__ok.sql": "CREATE TABLE a (id int);",
            "V2__broken.sql": """
            CREATE TABLE b (id int);
            DO $$ BEGIN
              RAISE EXCEPTION 'the data is not ready' USING DETAIL = 'row 7 is odd', HINT = 'fix row 7',
                ERRCODE = '22023';
            END $$;
            """,
        ])
        let output = try await runMigrate(
            ["migrate", "--locations", folder.path, "--log-format", "json"], environment: db.environment)
        #expect(output.status == 1, "\(output.all)")
        let lines = try objects(output)
        for object in lines {
            #expect(object["level"] is String && object["timestamp"] is String && object["message"] is String)
        }
        let applied = try #require(lines.first { $0["message"] as? String == "Applied migration" })
        #expect(applied["duration_ms"] is Int, "\(applied)")
        #expect(!(applied["duration_ms"] is String))
        #expect(applied["transactional"] as? Bool == true && !(applied["transactional"] is String))

        let failures = lines.filter { $0["level"] as? String == "ERROR" }
        #expect(failures.count == 1, "\(failures)")
        let failure = try #require(failures.first)
        #expect(failure["code"] as? String == "MIGRATION_FAILED")
        #expect(failure["operation"] as? String == "migrate")
        #expect(failure["file"] as? String == "V2__broken.sql")
        #expect(failure["line"] as? Int == 2)
        #expect(failure["sqlstate"] as? String == "22023")
        #expect((failure["message"] as? String)?.contains("the data is not ready") == true, "\(failure)")
        #expect(failure["detail"] as? String == "row 7 is odd")
        #expect(failure["hint"] as? String == "fix row 7")
        #expect((failure["statement"] as? String)?.hasPrefix("DO $$ BEGIN") == true, "\(failure)")
    }

    @Test("configuration and usage errors are JSON lines too")
    func usageErrors() async throws {
        let db = try TestDatabase("jsonusage")
        for arguments in [
            ["migrate", "--log-format", "json", "--lock-retry-count", "-5"],
            ["migrate", "--log-format", "json", "--no-such-flag"],
            ["migrate", "--log-format=json", "-noSuchSetting=1"],
        ] {
            let output = try await runMigrate(arguments, environment: db.environment)
            #expect(output.status == 2, "\(arguments): \(output.all)")
            let lines = try objects(output)
            #expect(lines.contains { $0["level"] as? String == "ERROR" && $0["code"] as? String == "CONFIGURATION" })
        }
    }
}
