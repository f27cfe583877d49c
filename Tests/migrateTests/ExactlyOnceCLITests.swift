import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// Issue 12 end to end, with the built binary: what a Kubernetes Job sees.
@Suite("exactly once, end to end: kill -9, terminated sessions, files changing underneath")
struct ExactlyOnceCLITests {
    @Test("kill -9 during a non-transactional statement: the next runner waits for it, then refuses, never re-applies")
    func killedDuringNonTransactionalStatement() async throws {
        let db = try TestDatabase("kill9nontx")
        let gate = try Gate(db)
        let folder = try MigrationFolder([
            "V1__t.sql": "CREATE TABLE effects (n int);",
            // One statement that waits at the gate, then commits on its own.
            "V2__slow.sql": "INSERT INTO effects SELECT 2 FROM (SELECT count(*) FROM gate.gate) g;",
            "V2__slow.sql.conf": "executeInTransaction=false\n",
        ])
        let arguments = ["migrate", "--locations", folder.path, "--schemas", "public"]
        let first = try startMigrate(arguments, environment: db.environment)
        _ = try await gate.waiter(db)
        kill(first.processIdentifier, SIGKILL)
        _ = await first.finish()
        // The orphaned backend still runs the statement (and holds the lock): the next runner waits, then finds the
        // migration recorded as failed and refuses instead of running it a second time.
        let second = try startMigrate(arguments, environment: db.environment)
        try gate.open()
        let output = await second.finish()
        #expect(output.status == 1, "\(output.stderr)")
        #expect(output.stderr.contains("failed"), "\(output.stderr)")
        #expect(try db.scalar("SELECT count(*) FROM effects WHERE n = 2") == "1")
        #expect(try db.rows("SELECT version, success FROM flyway_schema_history WHERE version = '2'") == [["2", "f"]])
    }

    @Test("a session ended by the server during a migration exits 3 (retryable), rolled back")
    func terminatedSessionIsRetryable() async throws {
        let db = try TestDatabase("term57p01")
        let gate = try Gate(db)
        let folder = try MigrationFolder([
            "V1__slow.sql": "CREATE TABLE t (id int);\nSELECT count(*) FROM gate.gate;"
        ])
        let running = try startMigrate(
            ["migrate", "--locations", folder.path, "--schemas", "public"], environment: db.environment)
        let pid = try await gate.waiter(db)
        try db.connect().execute("SELECT pg_terminate_backend(\(pid))")
        let output = await running.finish()
        try gate.open()
        #expect(output.status == 3, "\(output.stderr)")
        #expect(output.stderr.contains("57P01"), "\(output.stderr)")
        #expect(try db.scalar("SELECT to_regclass('public.t') IS NULL") == "t")
    }

    @Test("a migration file that shrinks while it is applied: a clear error naming it, nothing applied, no SIGBUS")
    func fileShrinksWhileApplied() async throws {
        let db = try TestDatabase("shrink")
        let gate = try Gate(db)
        // Larger than the window the file is read in, so most of it is read after the truncation.
        let rows = (0..<80_000).map { "INSERT INTO t VALUES (\($0));\n" }.joined()
        let folder = try MigrationFolder([
            "V1__big.sql": "CREATE TABLE t (id int);\nSELECT count(*) FROM gate.gate;\n" + rows
        ])
        let running = try startMigrate(
            ["migrate", "--locations", folder.path, "--schemas", "public"], environment: db.environment)
        _ = try await gate.waiter(db)
        #expect(truncate(folder.path + "/V1__big.sql", 2_000) == 0)
        try gate.open()
        let output = await running.finish()
        #expect(output.status == 1, "exit \(output.status): \(output.stderr)")
        #expect(output.stderr.contains("V1__big.sql"), "\(output.stderr)")
        #expect(output.stderr.contains("changed on disk"), "\(output.stderr)")
        #expect(try db.scalar("SELECT to_regclass('public.t') IS NULL") == "t")
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE version = '1'") == "0")
    }
}
