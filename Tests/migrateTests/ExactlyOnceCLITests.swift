import Foundation
import Testing

@testable import Runway

/// Issue 12 end to end, with the built binary: what a Kubernetes Job sees.
@Suite("exactly once, end to end: kill -9, terminated sessions, files changing underneath")
struct ExactlyOnceCLITests {
    @Test("kill -9 during a non-transactional statement: the next runner waits for it, then refuses, never re-applies")
    func killedDuringNonTransactionalStatement() async throws {
        let db = try TestDatabase("kill9nontx")
        let folder = try MigrationFolder([
            "V1__t.sql": "CREATE TABLE effects (n int);",
            // One statement that takes a while and then commits on its own.
            "V2__slow.sql": "INSERT INTO effects SELECT 2 FROM pg_sleep(2);",
            "V2__slow.sql.conf": "executeInTransaction=false\n",
        ])
        let arguments = ["migrate", "--locations", folder.path]
        let first = try startMigrate(arguments, environment: db.environment)
        let admin = try db.connect()
        try await eventually {
            try admin.execute(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND query LIKE 'INSERT INTO effects SELECT 2%'
                """
            ).scalar == "1"
        }
        kill(first.processIdentifier, SIGKILL)
        _ = await first.finish()
        // The orphaned backend still runs the statement (and holds the lock): the next runner waits, then finds the
        // migration recorded as failed and refuses instead of running it a second time.
        let second = try await runMigrate(arguments, environment: db.environment)
        #expect(second.status == 1, "\(second.stderr)")
        #expect(second.stderr.contains("failed"), "\(second.stderr)")
        try await eventually { try admin.execute("SELECT count(*) FROM effects").scalar == "1" }
        #expect(try db.scalar("SELECT count(*) FROM effects WHERE n = 2") == "1")
        #expect(try db.rows("SELECT version, success FROM flyway_schema_history WHERE version = '2'") == [["2", "f"]])
    }

    @Test("a session ended by the server during a migration exits 3 (retryable), rolled back")
    func terminatedSessionIsRetryable() async throws {
        let db = try TestDatabase("term57p01")
        let folder = try MigrationFolder([
            "V1__slow.sql": "CREATE TABLE t (id int);\nSELECT pg_sleep(5);"
        ])
        let running = try startMigrate(["migrate", "--locations", folder.path], environment: db.environment)
        let admin = try db.connect()
        try await eventually {
            try admin.execute(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(5)%'
                """
            ).scalar == "1"
        }
        let output = await running.finish()
        #expect(output.status == 3, "\(output.stderr)")
        #expect(output.stderr.contains("57P01"), "\(output.stderr)")
        #expect(try db.scalar("SELECT to_regclass('public.t') IS NULL") == "t")
    }

    @Test("a migration file that shrinks while it is applied: a clear error naming it, nothing applied, no SIGBUS")
    func fileShrinksWhileApplied() async throws {
        let db = try TestDatabase("shrink")
        // Larger than the window the file is read in, so most of it is read after the truncation.
        let rows = (0..<80_000).map { "INSERT INTO t VALUES (\($0));\n" }.joined()
        let folder = try MigrationFolder(["V1__big.sql": "CREATE TABLE t (id int);\nSELECT pg_sleep(2);\n" + rows])
        let running = try startMigrate(["migrate", "--locations", folder.path], environment: db.environment)
        let admin = try db.connect()
        try await eventually {
            try admin.execute(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(2)%'
                """
            ).scalar == "1"
        }
        #expect(truncate(folder.path + "/V1__big.sql", 2_000) == 0)
        let output = await running.finish()
        #expect(output.status == 1, "exit \(output.status): \(output.stderr)")
        #expect(output.stderr.contains("V1__big.sql"), "\(output.stderr)")
        #expect(output.stderr.contains("changed on disk"), "\(output.stderr)")
        #expect(try db.scalar("SELECT to_regclass('public.t') IS NULL") == "t")
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE version = '1'") == "0")
    }
}
