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
/// rolls the migration back and releases the lock; the wrapped service then never starts.
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
        let migrator = migrator
        try await cancelWhenGracefulShutdown {
            try await migrator.migrate()
        }
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

    /// Migrates, then waits for graceful shutdown.
    public func run() async throws {
        let migrator = migrator
        try await cancelWhenGracefulShutdown {
            try await migrator.migrate()
        }
        try await gracefulShutdown()
    }
}
