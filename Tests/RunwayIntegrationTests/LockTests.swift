import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("Flyway's advisory lock on a real PostgreSQL")
struct LockTests {
    /// Whether a Runway session (application_name = runway) is connected to this database.
    func runwayConnected(_ db: TestDatabase) throws -> Bool {
        try db.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'runway'"
        )
        .flatMap(Int.init) ?? 0 > 0
    }

    @Test("a session holding Flyway's lock key delays Runway until released; the log names the holder")
    func flywayLockKeyDelaysRunway() async throws {
        let db = try TestDatabase("lockkey")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let holder = try db.connect()
        // Flyway's key for "public"."flyway_schema_history" (§4.1 worked example), in Flyway's default
        // transaction-level mode.
        try holder.execute("BEGIN; SELECT pg_advisory_xact_lock(77433833903597)")
        let holderPID = try holder.execute("SELECT pg_backend_pid()").scalar ?? ""
        let capture = LogCapture()
        var configuration = db.configuration([folder.path])
        configuration.lockRetryCount = 60
        let migrator = Migrator(configuration: configuration, logger: capture.logger)
        let run = Task { try await migrator.migrate() }
        try await eventually { capture.messages.contains { $0.hasPrefix("Waiting for the migration lock") } }
        #expect(try db.scalar("SELECT to_regclass('public.a') IS NULL") == "t")
        let waiting = capture.messages.first { $0.hasPrefix("Waiting for the migration lock") } ?? ""
        #expect(waiting.contains("Lock held by pid \(holderPID)"))
        #expect(waiting.contains("application_name 'runway-tests'"))
        try holder.execute("COMMIT")
        let result = try await run.value
        #expect(result.migrationsExecuted == 1)
    }

    @Test("the wait is bounded by lockRetryCount and the error names the holder")
    func boundedWait() async throws {
        let db = try TestDatabase("lockbound")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let holder = try db.connect()
        try holder.execute("SELECT pg_advisory_lock(77433833903597)")
        let error = await #expect(throws: RunwayError.self) {
            try await db.migrator([folder.path]) { $0.lockRetryCount = 1 }.migrate()
        }
        #expect(error?.code == .lockTimeout)
        #expect(error?.message.contains("after 2 attempts") == true)
        #expect(error?.message.contains("Lock held by pid") == true)
        #expect(try db.scalar("SELECT to_regclass('public.a') IS NULL") == "t")
    }

    /// A gate a migration waits on: the test holds advisory lock 4242 and the migration takes it too, so the
    /// migration (and Runway's lock) stays in progress until the test opens the gate, however slow the machine is.
    static let gatedMigration = "SELECT pg_advisory_xact_lock(4242);"

    /// Whether Runway's lock for "public"."flyway_schema_history" is granted in this test's database.
    func runwayLockHeld(_ probe: Connection) throws -> Bool {
        try probe.execute(
            """
            SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4163491309 AND granted
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """
        ).scalar == "1"
    }

    @Test("Runway's lock excludes a Flyway-style try-lock while it migrates")
    func runwayExcludesFlyway() async throws {
        let db = try TestDatabase("lockexcl")
        let folder = try MigrationFolder(["V1__gated.sql": Self.gatedMigration])
        let gate = try db.connect()
        try gate.execute("SELECT pg_advisory_lock(4242)")
        let migrator = db.migrator([folder.path])
        let run = Task { try await migrator.migrate() }
        let probe = try db.connect()
        try await eventually { try runwayLockHeld(probe) }
        #expect(try probe.execute("SELECT pg_try_advisory_xact_lock(77433833903597)").scalar == "f")
        try gate.execute("SELECT pg_advisory_unlock(4242)")
        _ = try await run.value
        #expect(try probe.execute("SELECT pg_try_advisory_lock(77433833903597)").scalar == "t")
    }

    @Test("CREATE INDEX CONCURRENTLY completes while a second runner waits for the lock", .timeLimit(.minutes(2)))
    func concurrentIndexWithWaiter() async throws {
        let db = try TestDatabase("cicwait")
        let folder = try MigrationFolder([
            "V1__gated.sql": "CREATE TABLE t (id int);\n" + Self.gatedMigration,
            "V2__index.sql": "CREATE INDEX CONCURRENTLY t_id_idx ON t (id);",
        ])
        let gate = try db.connect()
        try gate.execute("SELECT pg_advisory_lock(4242)")
        let first = Task { try await db.migrator([folder.path]) { $0.lockRetryCount = 100 }.migrate() }
        let probe = try db.connect()
        try await eventually { try runwayLockHeld(probe) }
        let capture = LogCapture()
        var configuration = db.configuration([folder.path])
        configuration.lockRetryCount = 100
        let second = Task { try await Migrator(configuration: configuration, logger: capture.logger).migrate() }
        try await eventually { capture.messages.contains { $0.hasPrefix("Waiting for the migration lock") } }
        // The second runner is polling; now let the first run V1 and then CREATE INDEX CONCURRENTLY.
        try gate.execute("SELECT pg_advisory_unlock(4242)")
        let firstResult = try await first.value
        let secondResult = try await second.value
        #expect(firstResult.migrationsExecuted == 2)
        #expect(secondResult.migrationsExecuted == 0)
        #expect(try db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_id_idx'::regclass") == "t")
    }

    @Test("cancelling a run rolls the migration back and frees the lock at once", .timeLimit(.minutes(3)))
    func cancellationRollsBack() async throws {
        let db = try TestDatabase("cancel")
        // Long enough that a loaded machine cannot finish it before the cancellation arrives.
        let folder = try MigrationFolder(["V1__long.sql": "CREATE TABLE t (id int); SELECT pg_sleep(600);"])
        let migrator = db.migrator([folder.path])
        let run = Task { try await migrator.migrate() }
        try await eventually {
            try db.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND state = 'active' "
                    + "AND datname = current_database() AND pid <> pg_backend_pid()"
            ) == "1"
        }
        run.cancel()
        let error = await #expect(throws: RunwayError.self) { try await run.value }
        #expect(error?.code == .cancelled)
        #expect(try db.scalar("SELECT to_regclass('public.t') IS NULL") == "t")
        let probe = try db.connect()
        #expect(try probe.execute("SELECT pg_try_advisory_lock(77433833903597)").scalar == "t")
    }
}
