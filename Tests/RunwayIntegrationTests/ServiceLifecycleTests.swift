import Foundation
import Logging
import RunwayServiceLifecycle
import ServiceLifecycle
import Testing
import RunwayTestSupport

@testable import Runway

/// `MigrationService` and `MigrateOnStartupService` inside a real `ServiceGroup` (Strategy A).
@Suite("RunwayServiceLifecycle in a ServiceGroup (real PostgreSQL)")
struct ServiceLifecycleTests {
    /// A service that records whether it was started.
    final class Recorder: Service, @unchecked Sendable {
        private let lock = NSLock()
        private var started = false
        var wasStarted: Bool { lock.withLock { started } }

        func run() async throws {
            lock.withLock { started = true }
            try await gracefulShutdown()
        }
    }

    static let slow = [
        "V1__slow.sql": "CREATE TABLE t (id int);\nSELECT pg_sleep(60);"
    ]

    /// Waits until the migration's `pg_sleep` runs on the server.
    func waitForSleep(_ db: TestDatabase) async throws {
        try await eventually {
            try db.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%' AND state = 'active' "
                    + "AND datname = current_database()")
                == "1"
        }
    }

    @Test(
        "a graceful shutdown during a migration rolls it back and the group ends without an error",
        .timeLimit(.minutes(2)))
    func gracefulShutdownDuringMigration() async throws {
        let db = try TestDatabase("lifecycle")
        let folder = try MigrationFolder(Self.slow)
        let app = Recorder()
        let group = ServiceGroup(
            services: [MigrationService(migrator: db.migrator([folder.path]), then: app)],
            logger: Logger(label: "lifecycle-test"))
        let running = Task { try await group.run() }
        try await waitForSleep(db)
        await group.triggerGracefulShutdown()
        try await running.value  // a normal shutdown, not a failed service
        #expect(!app.wasStarted)
        #expect(try db.scalar("SELECT to_regclass('public.t') IS NULL") == "t")
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE success") == "0")
    }

    @Test("MigrateOnStartupService ends quietly too when shut down mid-migration", .timeLimit(.minutes(2)))
    func migrateOnStartupShutdown() async throws {
        let db = try TestDatabase("lifecycleonly")
        let folder = try MigrationFolder(Self.slow)
        let group = ServiceGroup(
            services: [MigrateOnStartupService(migrator: db.migrator([folder.path]))],
            logger: Logger(label: "lifecycle-test"))
        let running = Task { try await group.run() }
        try await waitForSleep(db)
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(try db.scalar("SELECT to_regclass('public.t') IS NULL") == "t")
    }

    @Test("a failed migration still fails the group", .timeLimit(.minutes(2)))
    func failureStillThrows() async throws {
        let db = try TestDatabase("lifecyclefail")
        let folder = try MigrationFolder(["V1__broken.sql": "SELEC 1;"])
        let app = Recorder()
        let group = ServiceGroup(
            services: [MigrationService(migrator: db.migrator([folder.path]), then: app)],
            logger: Logger(label: "lifecycle-test"))
        let error = await #expect(throws: (any Error).self) { try await group.run() }
        #expect((error as? RunwayError)?.code == .migrationFailed, "\(String(describing: error))")
        #expect(!app.wasStarted)
    }
}
