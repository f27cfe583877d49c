import Foundation
import Logging
import Testing

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

@Suite("waiting for a database and for migrations")
struct WaitTests {
    @Test(
        "migrate tolerates a server that starts 5 s after the runner (connect retries, each attempt logged)",
        .timeLimit(.minutes(2)))
    func lateServer() async throws {
        let cluster = try TestCluster()
        try cluster.initPrimary()
        let endpoint = try TestServer.endpoint()
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        var configuration = Configuration()
        configuration.connection = try cluster.settings()
        configuration.connection.connectTimeout = 2
        configuration.locations = [folder.path]
        configuration.connectRetries = 10
        configuration.connectRetriesInterval = 2
        let capture = LogCapture()
        let run = Task { try await Migrator(configuration: configuration, logger: capture.logger).migrate() }
        try await Task.sleep(for: .seconds(5))
        #expect(capture.messages.contains { $0.hasPrefix("Connection error, retrying") })
        try cluster.start()
        let result = try await run.value
        #expect(result.migrationsExecuted == 1)
        // Each failed attempt logs one line, numbered 1, 2, 3... (how many depends on the machine's speed).
        let retries = capture.messages.filter { $0.hasPrefix("Connection error, retrying") }
        #expect(!retries.isEmpty)
        for (index, line) in retries.enumerated() { #expect(line.contains("attempt=\(index + 1) ")) }
        #expect(retries.allSatisfy { $0.contains("attempt=") && !$0.contains(endpoint.password) })
    }

    @Test("without retries an unreachable server fails at once with a connection error")
    func noRetries() async throws {
        var configuration = Configuration()
        configuration.connection.host = "127.0.0.1"
        configuration.connection.port = try TestCluster.freePort()
        let folder = try MigrationFolder()
        configuration.locations = [folder.path]
        let error = await #expect(throws: RunwayError.self) {
            try await Migrator(configuration: configuration, logger: Logger(label: "t")).migrate()
        }
        #expect(error?.code == .connection)
    }

    @Test("waitUntilMigrated times out before migrate, succeeds after; --until waits for a version only")
    func waitBeforeAndAfter() async throws {
        let db = try TestDatabase("wait")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;", "V2__b.sql": "SELECT 2;"])
        let migrator = db.migrator([folder.path])
        let error = await #expect(throws: RunwayError.self) {
            try await migrator.waitUntilMigrated(timeout: 1, interval: 0.2)
        }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("2 migration(s) not applied yet (1, 2)") == true)
        // A migrate that runs while someone waits releases the waiter.
        let waiter = Task { try await migrator.waitUntilMigrated(timeout: 60, interval: 0.2) }
        try await db.migrator([folder.path]) { $0.target = .next }.migrate()
        let partial = try await migrator.waitUntilMigrated(timeout: 5, until: try MigrationVersion("1"), interval: 0.2)
        #expect(partial.schemaVersion == "1")
        try await migrator.migrate()
        #expect(try await waiter.value.schemaVersion == "2")
    }
}
