import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

/// A private primary and a streaming standby made from it with `pg_basebackup -R` (private, so that other tests'
/// databases coming and going never touch the replication stream).
@Suite("HA: multi-host DB_HOST lands on the primary")
struct HighAvailabilityTests {
    func query(_ port: Int, _ sql: String) throws -> String? {
        try Connection(parameters: TestCluster.settings(port: port).libpqParameters(), logger: Logger(label: "t"))
            .execute(sql).scalar
    }

    /// Waits until the standby has replayed the primary's current WAL position.
    func waitForReplay(primary: Int, standby: Int) async throws {
        let lsn = try query(primary, "SELECT pg_current_wal_lsn()::text") ?? ""
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline {
            if (try? query(standby, "SELECT pg_last_wal_replay_lsn() >= '\(lsn)'::pg_lsn")) == "t" { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("standby did not catch up")
    }

    func migrator(_ folder: MigrationFolder, hosts: String, ports: String) throws -> Migrator {
        var configuration = Configuration()
        configuration.connection = try TestCluster.settings(port: 1)
        configuration.connection.host = hosts
        configuration.connection.ports = try #require(ConnectionSettings.ports(parsing: ports))
        configuration.locations = [folder.path]
        return Migrator(configuration: configuration, logger: Logger(label: "runway-test"))
    }

    @Test(
        "a two-host DB_HOST in either order migrates the primary; a standby-only host is refused",
        .timeLimit(.minutes(3)))
    func primaryAndStandby() async throws {
        let primary = try TestCluster()
        try primary.initPrimary()
        try primary.start()
        let standby = try TestCluster()
        try standby.initStandby(from: primary.port)
        try standby.start()
        try await waitForReplay(primary: primary.port, standby: standby.port)
        #expect(try query(standby.port, "SELECT pg_is_in_recovery()") == "t")
        #expect(try query(primary.port, "SELECT pg_is_in_recovery()") == "f")

        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        // Standby first, then primary.
        let first = try await migrator(folder, hosts: "127.0.0.1,127.0.0.1", ports: "\(standby.port),\(primary.port)")
            .migrate()
        #expect(first.migrationsExecuted == 1)
        #expect(try query(primary.port, "SELECT to_regclass('public.a') IS NOT NULL") == "t")

        // Primary first, then standby.
        try folder.write("V2__b.sql", "CREATE TABLE b (id int);")
        let second = try await migrator(folder, hosts: "127.0.0.1,127.0.0.1", ports: "\(primary.port),\(standby.port)")
            .migrate()
        #expect(second.migrations.map(\.version) == ["2"])

        // Only the standby: refused with a message pointing at the primary.
        try folder.write("V3__c.sql", "CREATE TABLE c (id int);")
        let error = await #expect(throws: RunwayError.self) {
            try await migrator(folder, hosts: "127.0.0.1", ports: "\(standby.port)").migrate()
        }
        #expect(error?.code == .connection)
        #expect(error?.message.contains("Point DB_HOST at the primary") == true)
        #expect(try query(primary.port, "SELECT to_regclass('public.c') IS NULL") == "t")

        // Read-only commands may use the standby.
        try await waitForReplay(primary: primary.port, standby: standby.port)
        let info = try await migrator(folder, hosts: "127.0.0.1", ports: "\(standby.port)").info()
        #expect(info.schemaVersion == "2")
    }
}
