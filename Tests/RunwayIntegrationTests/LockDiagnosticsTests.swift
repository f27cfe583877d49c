import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

/// What a waiting runner says about the lock holder, the time bound on the wait, and `application_name`.
@Suite("lock diagnostics, lockWaitTimeout and application_name", .timeLimit(.minutes(2)))
struct LockDiagnosticsTests {
    /// Flyway's key for "public"."flyway_schema_history".
    static let key = "77433833903597"

    @Test("the waiting log line names the holder's pid, application_name, client, state and connection age")
    func waitingLineDescribesHolder() async throws {
        let db = try await offPool { try TestDatabase("lockdiag") }
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let holder = try db.connect()
        try holder.execute("SELECT pg_advisory_lock(\(Self.key))")
        let row =
            try holder.execute(
                "SELECT pg_backend_pid()::text, inet_client_addr()::text, inet_client_port()::text"
            ).rows.first ?? []
        let pid = row[0] ?? ""
        let client = "\(host(row[1] ?? "")):\(row[2] ?? "")"
        let capture = LogCapture()
        var configuration = db.configuration([folder.path])
        configuration.lockRetryCount = 60
        let run = Task { try await Migrator(configuration: configuration, logger: capture.logger).migrate() }
        try await eventually(120, "a waiting line") {
            capture.messages.contains { $0.hasPrefix("Waiting for the migration lock") }
        }
        let line = capture.messages.first { $0.hasPrefix("Waiting for the migration lock") } ?? ""
        #expect(line.contains("Lock held by pid \(pid) ("), "\(line)")
        #expect(line.contains("application_name 'runway-tests'"), "\(line)")
        #expect(line.contains("user '\(db.endpoint.user)'"), "\(line)")
        #expect(line.contains("client \(client)"), "\(line)")
        #expect(line.contains("state 'idle' for "), "\(line)")
        #expect(line.contains("connected for "), "\(line)")
        // Structured fields for JSON logs.
        #expect(line.contains("holder_pid=\(pid)"), "\(line)")
        #expect(line.contains("holder_application_name=runway-tests"), "\(line)")
        #expect(line.contains("holder_client=\(client)"), "\(line)")
        #expect(line.contains("holder_state=idle"), "\(line)")
        #expect(line.contains("holder_connected_seconds="), "\(line)")
        try holder.execute("SELECT pg_advisory_unlock(\(Self.key))")
        #expect(try await run.value.migrationsExecuted == 1)
    }

    @Test("a holder inside a transaction (Flyway's default mode) is described with its transaction's age")
    func transactionHolder() async throws {
        let db = try await offPool { try TestDatabase("lockxact") }
        let holder = try db.connect()
        try holder.execute("BEGIN; SELECT pg_advisory_xact_lock(\(Self.key))")
        let lock = AdvisoryLock(
            key: AdvisoryLockKey(schema: "public", table: "flyway_schema_history"), connection: try db.connect(),
            logger: Logger(label: "t"))
        let description = try #require(lock.holderDescription())
        #expect(description.contains("state 'idle in transaction' for "), "\(description)")
        #expect(description.contains("transaction open for "), "\(description)")
        try holder.execute("COMMIT")
        #expect(lock.holderDescription() == nil)
    }

    @Test("lockWaitTimeout bounds the wait in seconds even when lockRetryCount waits forever")
    func waitTimeout() async throws {
        let db = try await offPool { try TestDatabase("lockwait") }
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let holder = try db.connect()
        try holder.execute("SELECT pg_advisory_lock(\(Self.key))")
        let pid = try holder.execute("SELECT pg_backend_pid()").scalar ?? ""
        let error = await #expect(throws: RunwayError.self) {
            try await db.migrator([folder.path]) {
                $0.lockRetryCount = -1
                $0.lockWaitTimeout = 1.5
            }.migrate()
        }
        #expect(error?.code == .lockTimeout)
        #expect(error?.message.contains("Timed out after") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("lockWaitTimeout 1.5 s") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("Lock held by pid \(pid) (application_name 'runway-tests'") == true)
        let waitedFor = " attempts) waiting for PostgreSQL advisory lock \(Self.key)"
        #expect(error?.message.contains(waitedFor) == true, "\(error?.message ?? "")")
        #expect(try db.scalar("SELECT to_regclass('public.a') IS NULL") == "t")

        // The retry count still applies when it ends first.
        let retries = await #expect(throws: RunwayError.self) {
            try await db.migrator([folder.path]) {
                $0.lockRetryCount = 0
                $0.lockWaitTimeout = 60
            }.migrate()
        }
        #expect(retries?.message.contains("Number of retries exceeded") == true)
        #expect(retries?.message.contains("Lock held by pid \(pid)") == true)
    }

    @Test("application_name is configurable and shows in pg_stat_activity")
    func applicationName() async throws {
        let db = try await offPool { try TestDatabase("appname") }
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let holder = try db.connect()
        try holder.execute("SELECT pg_advisory_lock(\(Self.key))")
        var configuration = try Configuration.fromEnvironment(
            db.environment.merging(["DB_APPLICATION_NAME": "orders-migrations"]) { $1 })
        #expect(configuration.connection.applicationName == "orders-migrations")
        configuration.locations = [folder.path]
        let run = Task { try await Migrator(configuration: configuration, logger: Logger(label: "t")).migrate() }
        let probe = try db.connect()
        try await eventually(120, "the session named orders-migrations") {
            try probe.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'orders-migrations'",
                [db.name]
            ).scalar == "1"  // the work connection, which also waits for (and then holds) the lock
        }
        try holder.execute("SELECT pg_advisory_unlock(\(Self.key))")
        #expect(try await run.value.migrationsExecuted == 1)
        #expect(throws: RunwayError.self) { try Configuration.fromEnvironment(["DB_APPLICATION_NAME": " "]) }
    }

    /// `127.0.0.1/32` → `127.0.0.1`.
    private func host(_ inet: String) -> String {
        inet.split(separator: "/").first.map(String.init) ?? inet
    }
}
