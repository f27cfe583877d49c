import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// `--lock-wait-timeout`, `--application-name` / `DB_APPLICATION_NAME` and the waiting line, through the binary.
@Suite("the migrate CLI: lock wait bound and application_name", .timeLimit(.minutes(2)))
struct LockCLITests {
    /// Flyway's key for "public"."flyway_schema_history".
    static let key = "77433833903597"
    /// An advisory lock key the test holds to keep a migration in progress (used by no other test).
    static let gate = 515_151

    @Test("--lock-wait-timeout ends the wait with exit 4 and an error naming the holder")
    func lockWaitTimeout() async throws {
        let db = try await offPool { try TestDatabase("clilockwait") }
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let holder = try db.connect()
        try holder.execute("SELECT pg_advisory_lock(\(Self.key))")
        let pid = try holder.execute("SELECT pg_backend_pid()").scalar ?? ""
        let output = try await runMigrate(
            ["migrate", "--locations", folder.path, "--lock-retry-count=-1", "--lock-wait-timeout", "1"],
            environment: db.environment)
        #expect(output.status == 4, "\(output.stderr)")
        #expect(output.stderr.contains("Timed out after"), "\(output.stderr)")
        #expect(output.stderr.contains("Lock held by pid \(pid) (application_name 'runway-tests'"), "\(output.stderr)")
        #expect(output.stderr.contains("--lock-wait-timeout"), "\(output.stderr)")
        #expect(output.stderr.contains("Waiting for the migration lock"), "\(output.stderr)")
        #expect(try db.scalar("SELECT to_regclass('public.a') IS NULL") == "t")

        let invalid = try await runMigrate(
            ["migrate", "--locations", folder.path, "--lock-wait-timeout=-2"], environment: db.environment)
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("--lock-wait-timeout must be 0 or more seconds"), "\(invalid.stderr)")
    }

    @Test(
        "--application-name and DB_APPLICATION_NAME show in pg_stat_activity and in another runner's waiting line",
        arguments: [(["--application-name", "orders-flag"], [:]), ([], ["DB_APPLICATION_NAME": "orders-env"])]
            as [([String], [String: String])])
    func applicationName(flags: [String], variables: [String: String]) async throws {
        let name = flags.last ?? variables["DB_APPLICATION_NAME"] ?? ""
        let db = try await offPool { try TestDatabase("cliappname") }
        let folder = try MigrationFolder(["V1__a.sql": "SELECT pg_advisory_xact_lock(\(Self.gate));"])
        let gate = try db.connect()
        try gate.execute("SELECT pg_advisory_lock(\(Self.gate))")
        let first = try startMigrate(
            ["migrate", "--locations", folder.path] + flags, environment: db.environment.merging(variables) { $1 })
        // The first runner holds the migration lock while its migration waits on the gate.
        try await eventually(120, "the first runner inside its migration") {
            try db.scalar(
                """
                SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                WHERE l.locktype = 'advisory' AND l.objid = 4163491309 AND l.granted AND a.application_name = '\(name)'
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """) == "1"
        }
        let second = try startMigrate(
            ["migrate", "--locations", folder.path, "--lock-wait-timeout", "1"], environment: db.environment)
        let waiting = await second.finish()
        try gate.execute("SELECT pg_advisory_unlock(\(Self.gate))")
        let done = await first.finish()
        #expect(done.status == 0, "\(done.stderr)")
        #expect(waiting.status == 4, "\(waiting.stderr)")
        #expect(waiting.stderr.contains("application_name '\(name)'"), "\(waiting.stderr)")
        #expect(waiting.stderr.contains("client 127.0.0.1:"), "\(waiting.stderr)")
    }
}
