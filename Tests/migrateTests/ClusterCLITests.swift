import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("the migrate CLI in a cluster: wait, signals, retries")
struct ClusterCLITests {
    @Test("wait exits 5 before migrate and 0 after")
    func waitExitCodes() async throws {
        let db = try TestDatabase("cliwait")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;"])
        let before = try await runMigrate(
            ["wait", "--locations", folder.path, "--timeout", "1", "--interval", "0.2"], environment: db.environment)
        #expect(before.status == 5)
        #expect(before.stderr.contains("Timed out after 1 s"))
        #expect(try await runMigrate(["migrate", "--locations", folder.path], environment: db.environment).status == 0)
        let after = try await runMigrate(
            ["wait", "--locations", folder.path, "--timeout", "10"], environment: db.environment)
        #expect(after.status == 0)
        #expect(after.stdout.contains("Schema is migrated (version 1)"))
    }

    @Test(
        "SIGTERM in the middle of a long migration rolls it back, frees the lock at once; a re-run completes",
        .timeLimit(.minutes(2)))
    func sigterm() async throws {
        let db = try TestDatabase("sigterm")
        let folder = try MigrationFolder([
            "V1__long.sql": """
            CREATE TABLE t (id int);
            SELECT pg_sleep(CASE WHEN current_setting('app.slow', true) = 'yes' THEN 120 ELSE 0 END);
            """
        ])
        let running = try startMigrate(
            ["migrate", "--locations", folder.path, "--init-sql", "SET app.slow = 'yes'", "--log-format", "json"],
            environment: db.environment)
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline {
            if try db.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(CASE%' AND state = 'active'")
                == "1"
            {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let signalled = Date()
        running.terminate()  // SIGTERM
        let output = await running.finish()
        let seconds = Date().timeIntervalSince(signalled)
        #expect(output.status == 143, "\(output.stderr)")
        #expect(output.stderr.contains("Cancelled while migrating"))
        for line in output.stderr.split(separator: "\n") {  // --log-format json: the cancellation report too
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
        }
        // Not a speed target: the statement would have slept 120 s had it not been cancelled.
        #expect(seconds < 60, "took \(seconds) s")
        #expect(try db.scalar("SELECT to_regclass('public.t') IS NULL") == "t")
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history") == "0")
        // A second runner gets the lock at once (no retries allowed) and completes.
        let rerun = try await runMigrate(
            ["migrate", "--locations", folder.path, "--lock-retry-count", "0"], environment: db.environment)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE success") == "1")
    }

    @Test("--log-format json writes one JSON object per line with migration, duration and outcome")
    func jsonLogs() async throws {
        let db = try TestDatabase("jsonlogs")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;"])
        let output = try await runMigrate(
            ["migrate", "--locations", folder.path, "--log-format", "json"], environment: db.environment)
        #expect(output.status == 0)
        let lines = output.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        var sawApplied = false
        for line in lines {
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["level"] is String && object["timestamp"] is String && object["message"] is String)
            if object["message"] as? String == "Applied migration" {
                sawApplied = true
                #expect(object["migration"] as? String == "V1__a.sql")
                #expect(object["outcome"] as? String == "success")
                #expect(object["duration_ms"] is Int && !(object["duration_ms"] is String), "\(object)")
            }
        }
        #expect(sawApplied)
    }
}
