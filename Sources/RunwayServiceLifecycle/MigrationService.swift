import Logging
import Runway
import ServiceLifecycle

/// A swift-service-lifecycle `Service` that applies migrations, then runs the service it wraps (Strategy A).
///
/// Add it where the app builds its `ServiceGroup`, wrapping the HTTP server so it only starts serving once the
/// schema is current:
///
/// ```swift
/// let migrator = Migrator(configuration: try .fromEnvironment(), logger: logger)
/// let group = ServiceGroup(
///     services: [MigrationService(migrator: migrator, then: app)],   // the one added line
///     gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
///
/// Many replicas may start at once: Flyway's advisory lock serialises them, and the later ones re-read the
/// history and find nothing to do. A graceful shutdown (SIGTERM) during migration cancels the running statement,
/// rolls the migration back and releases the lock; the wrapped service then never starts, and `run()` returns
/// without an error: a pod stopped during a rollout is a normal shutdown, not a failed service. A migration that
/// fails, or a cancellation that did not come from a graceful shutdown, still throws.
public struct MigrationService<Wrapped: Service>: Service {
    /// The migrator that runs first.
    public let migrator: Migrator
    /// The service started after a successful migration.
    public let wrapped: Wrapped

    /// Runs `migrator.migrate()` and then `service`.
    public init(migrator: Migrator, then service: Wrapped) {
        self.migrator = migrator
        self.wrapped = service
    }

    /// Migrates (cancelled on graceful shutdown), then runs the wrapped service until it returns.
    public func run() async throws {
        guard try await migrateUnlessShutDown(migrator) else { return }
        try Task.checkCancellation()
        try await wrapped.run()
    }
}

/// A `Service` that only applies migrations and then stays up until shutdown, for apps whose other services do not
/// touch the database before migrations finish (prefer ``MigrationService`` otherwise).
public struct MigrateOnStartupService: Service {
    /// The migrator that runs at startup.
    public let migrator: Migrator

    /// Creates the service.
    public init(migrator: Migrator) { self.migrator = migrator }

    /// Migrates, then waits for graceful shutdown; a graceful shutdown during the migration rolls it back and
    /// returns without an error.
    public func run() async throws {
        guard try await migrateUnlessShutDown(migrator) else { return }
        try await gracefulShutdown()
    }
}

/// Runs `migrate()`, cancelled by a graceful shutdown. Returns `false` when a graceful shutdown stopped it (the
/// migration in progress was rolled back): the caller then ends quietly. Any other failure is thrown.
func migrateUnlessShutDown(_ migrator: Migrator) async throws -> Bool {
    do {
        try await cancelWhenGracefulShutdown {
            _ = try await migrator.migrate()
        }
        return true
    } catch let error as RunwayError where error.code == .cancelled && Task.isShuttingDownGracefully {
        migrator.logger.info(
            "Graceful shutdown during migrations: the migration in progress was rolled back",
            metadata: ["error": "\(error.message)"])
        return false
    }
}
