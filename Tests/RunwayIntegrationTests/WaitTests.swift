import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

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
