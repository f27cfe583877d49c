import Foundation
import Hummingbird
import Logging
import Runway
import RunwayServiceLifecycle
import ServiceLifecycle

/// Strategy A: the app applies its migrations before it serves traffic.
///
/// The migrations are resources of this target (`resources: [.copy("Migrations")]` in Package.swift), so they travel
/// with the binary. DB_HOST, DB_PORT, DB_NAME, DB_USERNAME, DB_PASSWORD (or DB_PASSWORD_FILE) say where the database
/// is, as for the `migrate` CLI; PORT (default 8080) configures the example itself.
/// RUNWAY_MIGRATE_ON_STARTUP=false (Strategy B: a Job migrates, `migrate wait` gates the pod) skips migrating.
@main
struct StartupApp {
    static func main() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let environment = ProcessInfo.processInfo.environment
        let logger = Logger(label: "startup-app")
        let configuration = try Configuration.fromEnvironment()
            .migrations(fromResources: "Migrations", in: .module)
            .with { $0.connectRetries = 10 }  // the database may still be starting
        let migrator = Migrator(configuration: configuration, logger: logger)

        let router = Router()
        router.get("/health") { _, _ in "ok" }
        router.get("/schema") { _, _ in
            try await migrator.info().schemaVersion ?? "empty"
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: Int(environment["PORT"] ?? "") ?? 8080)),
            logger: logger)

        let migrateOnStartup = environment["RUNWAY_MIGRATE_ON_STARTUP"] != "false"
        let service: any Service = migrateOnStartup ? MigrationService(migrator: migrator, then: app) : app
        let group = ServiceGroup(
            services: [service],  // migrations first, then the HTTP server
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        try await group.run()
    }
}
