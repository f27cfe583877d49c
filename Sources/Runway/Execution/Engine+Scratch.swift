#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

extension Engine {
    /// `validate --scratch`: applies every migration from zero to a throwaway database and reports the first error
    /// and each migration's time. With a server configured (`DB_*`, `--url`, `PGHOST`...) the scratch database is
    /// created and dropped there; otherwise Runway starts a temporary local PostgreSQL cluster and removes it.
    func validateScratch() throws(RunwayError) -> CIReport {
        let environment = ProcessInfo.processInfo.environment
        let connection = configuration.connection
        let serverConfigured =
            connection.url != nil || connection.host != nil || connection.database != nil
            || ["PGHOST", "PGDATABASE", "PGSERVICE"].contains { environment[$0]?.isEmpty == false }
        // Scanned first: bad locations or files fail before a database or a cluster is created.
        let count = try scan().migrations.count
        return try onScratch(localCluster: !serverConfigured) { (scratch: Engine) throws(RunwayError) in
            try scratch.applyFromZero(count: count)
        }
    }

    /// Runs `body` with an engine on a throwaway database: `runway_scratch_<random>` created on the configured
    /// server and dropped after (also when `body` throws), or, with `localCluster`, the `postgres` database of a
    /// temporary local cluster that is removed after.
    func onScratch<T>(localCluster: Bool, _ body: (Engine) throws(RunwayError) -> T) throws(RunwayError) -> T {
        if localCluster {
            let cluster = try ScratchCluster.start(logger: logger)
            defer { cluster.stop() }
            var scratch = configuration
            scratch.connection = cluster.settings
            return try body(Engine(configuration: scratch, logger: logger, cancellation: cancellation))
        }
        let admin = try Session.connect(configuration, logger: logger, cancellation: cancellation, readWrite: true)
        defer { cancellation.untrack(admin) }
        let name = "runway_scratch_" + UUID().uuidString.prefix(8).lowercased()
        logger.info("Creating scratch database", metadata: ["database": "\(name)"])
        try admin.execute("CREATE DATABASE \(quoteIdentifier(name))")
        defer {
            do {
                try admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
            } catch {
                logger.warning(
                    "Unable to drop scratch database", metadata: ["database": "\(name)", "error": "\(error.message)"])
            }
        }
        var scratch = configuration
        scratch.connection.database = name
        return try body(Engine(configuration: scratch, logger: logger, cancellation: cancellation))
    }

    /// Migrates an empty database (`count` migrations); a failure becomes a finding naming the file and line.
    private func applyFromZero(count: Int) throws(RunwayError) -> CIReport {
        do throws(RunwayError) {
            let result = try migrate()
            return CIReport(findings: [], migrationsChecked: count, applied: result.migrations)
        } catch  where error.code == .migrationFailed || error.code == .invalidMigration || error.code == .validation {
            let finding = CIFinding(
                severity: .error, code: "MIGRATION_FAILED", file: error.file, line: error.line,
                message: error.message + (error.sqlState.map { " (SQLSTATE \($0))" } ?? ""))
            return CIReport(findings: [finding], migrationsChecked: count)
        }
    }
}
