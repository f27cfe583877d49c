import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

/// The lock is real for as long as work is done under it (issue 12 §1, §4): each of these failed on the design that
/// held the lock on a separate idle connection.
@Suite("exactly once: the migration lock under faults")
struct ExactlyOnceLockTests {
    /// `77431708279161 + "\"public\".\"flyway_schema_history\"".hashCode()`.
    static let key = AdvisoryLockKey(schema: "public", table: "flyway_schema_history").value

    @Test("terminating the session that holds the lock stops its runner (retryable) and a second runner applies once")
    func lockHolderTerminated() async throws {
        let db = try TestDatabase("holderkill")
        let gate = try Gate(db)
        let folder = try MigrationFolder([
            "V1__effects.sql": "CREATE TABLE effects (n int);",
            "V2__slow.sql": "INSERT INTO effects VALUES (2);\nSELECT count(*) FROM gate.gate;",
        ])
        let first = Task { try await db.migrator([folder.path]).migrate() }
        // The backend holding the lock (it waits at the gate in V2): an operator ends the session the lock
        // diagnostics point at.
        let holder = try await gate.waiter(db)
        let admin = try db.connect()
        #expect(
            try admin.execute(
                """
                SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = \(holder)
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """
            ).scalar == "1", "the backend running the migration holds the lock")
        try admin.execute("SELECT pg_terminate_backend(\(holder))")
        let second = Task { try await db.migrator([folder.path]).migrate() }
        try gate.open()
        let firstError = await #expect(throws: RunwayError.self) { try await first.value }
        #expect(firstError?.code == .connection, "retryable, exit 3: \(String(describing: firstError))")
        #expect(firstError?.message.contains("nothing of it was committed") == true)
        _ = try await second.value
        #expect(try db.scalar("SELECT count(*) FROM effects WHERE n = 2") == "1")
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE version = '2'") == "1")
        #expect(
            try db.scalar(
                """
                SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """) == "0")
    }

    @Test(
        "a work connection ended while waiting for the lock is reopened, and the run goes on", .timeLimit(.minutes(5)))
    func reconnectsWhileWaiting() async throws {
        let db = try TestDatabase("idlewait")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let holder = try db.connect()
        try holder.execute("SELECT pg_advisory_lock(\(Self.key))")
        let capture = LogCapture()
        var configuration = db.configuration([folder.path])
        configuration.connection.applicationName = "waiting-runner"
        // Wait for the lock as long as the test takes (it releases it at the end): a loaded machine took longer than
        // the default 30 tries between the steps below.
        configuration.lockRetryCount = -1
        let run = Task { try await Migrator(configuration: configuration, logger: capture.logger).migrate() }
        let admin = try db.connect()
        // An operator (or idle_session_timeout, or a NAT) ends the waiting runner's session between two polls.
        try await eventually {
            try admin.execute(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = 'waiting-runner'
                  AND query LIKE 'SELECT pg_try_advisory_lock%'
                """
            ).scalar == "1"
        }
        try await eventually {
            capture.messages.contains { $0.hasPrefix("The connection waiting for the migration lock was closed") }
        }
        try holder.execute("SELECT pg_advisory_unlock(\(Self.key))")
        let result = try await run.value
        #expect(result.migrationsExecuted == 1)
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE version = '1' AND success") == "1")
    }

    @Test("a migration that releases the lock itself is rolled back before its COMMIT")
    func releasedLockIsCaughtBeforeCommit() async throws {
        let db = try TestDatabase("unlockall")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);\nSELECT pg_advisory_unlock_all();\nCREATE TABLE b (id int);"
        ])
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(error?.code == .connection, "\(String(describing: error))")
        #expect(error?.message.contains("no longer holds the migration lock") == true)
        #expect(try db.scalar("SELECT to_regclass('public.a') IS NULL AND to_regclass('public.b') IS NULL") == "t")
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE version = '1'") == "0")
    }

    @Test("a non-transactional migration that releases the lock stops before its next statement")
    func releasedLockIsCaughtInAutocommit() async throws {
        let db = try TestDatabase("unlocknontx")
        let folder = try MigrationFolder([
            "V1__t.sql": "CREATE TABLE t (id int);",
            "V2__idx.sql": "SELECT pg_advisory_unlock_all();\nCREATE INDEX CONCURRENTLY i ON t (id);",
            "V2__idx.sql.conf": "executeInTransaction=false\n",
        ])
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(error?.message.contains("no longer holds the migration lock") == true, "\(String(describing: error))")
        #expect(try db.scalar("SELECT to_regclass('public.i') IS NULL") == "t")
        // The failed row written before it ran stays: a later run refuses instead of applying it again blindly.
        #expect(
            try db.history().last == "2|2|idx|SQL|V2__idx.sql|\(Checksum(text: try folder.text("V2__idx.sql")).value)|f"
        )
    }

    @Test("a non-transactional migration is recorded as failed before it runs and marked successful after")
    func nonTransactionalIntentRow() async throws {
        let db = try TestDatabase("intent")
        let folder = try MigrationFolder([
            "V1__t.sql": "CREATE TABLE t (id int);",
            "V2__idx.sql": """
            CREATE INDEX CONCURRENTLY i ON t (id);
            CREATE TABLE seen AS SELECT installed_rank, success FROM flyway_schema_history WHERE version = '2';
            """,
            "V2__idx.sql.conf": "executeInTransaction=false\n",
        ])
        _ = try await db.migrator([folder.path]).migrate()
        #expect(
            try db.rows(
                "SELECT installed_rank, success, execution_time >= 0 FROM flyway_schema_history WHERE version = '2'")
                == [["2", "t", "t"]])
        // While it ran, its own row was there and said "failed".
        #expect(try db.rows("SELECT installed_rank, success FROM seen") == [["2", "f"]])
    }

}
