import Foundation
import Hummingbird
import Logging
import Runway
import RunwayServiceLifecycle
import ServiceLifecycle

/// Strategy A: the app applies its migrations before it serves traffic.
///
/// Reads DB_HOST, DB_PORT, DB_NAME, DB_USERNAME, DB_PASSWORD (or DB_PASSWORD_FILE) like the `migrate` CLI;
/// MIGRATIONS (default `migrations`) and PORT (default 8080) configure the example itself.
/// RUNWAY_MIGRATE_ON_STARTUP=false (Strategy B: a Job migrates, `migrate wait` gates the pod) skips migrating.
@main
struct StartupApp {
    static func main() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let environment = ProcessInfo.processInfo.environment
        let logger = Logger(label: "startup-app")
        var configuration = try Configuration.fromEnvironment()
        configuration.locations = [environment["MIGRATIONS"] ?? "migrations"]
        configuration.connectRetries = 10  // the database may still be starting
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
