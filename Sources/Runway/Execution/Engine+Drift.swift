#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

extension Engine {
    /// `check --drift`: builds the schema the live history's applied migrations produce on a scratch database (with
    /// the same schema names and the live run's placeholder values), then compares the two catalogs.
    ///
    /// Read-only on the live database: one read-only session reads the history and the catalogs (no callbacks, no
    /// lock, nothing created). The scratch database is created and dropped on the configured server, or lives in a
    /// temporary local cluster (``DriftOptions/localCluster``).
    func checkDrift(_ options: DriftOptions) throws(RunwayError) -> DriftReport {
        // Files first: bad locations or names fail before anything is opened.
        let files = try scan()
        let live = try Session(
            configuration: configuration, logger: logger, cancellation: cancellation, readWrite: false)
        guard live.work.serverVersion >= 120000 else {
            throw RunwayError(.configuration, "check --drift needs PostgreSQL 12 or newer")
        }
        guard try live.history.exists(on: live.work) else {
            throw RunwayError(
                .validation,
                "No schema history table \(live.history.qualifiedName) in database \(live.database): nothing was "
                    + "applied, so there is no expected schema to compare with. Run migrate first.")
        }
        let placeholders = live.placeholders
        let resolved = try resolve(files, placeholders: placeholders)
        let applied = try live.history.read(on: live.work, times: false)
        let replay = try DriftReplay.plan(applied: applied, resolved: resolved)
        logger.info(
            "Building the expected schema on a scratch database",
            metadata: ["migrations": .stringConvertible(replay.count)])

        // The scratch side keeps the live schema names (so definitions print alike) and the live placeholder values.
        var expectedConfiguration = configuration
        expectedConfiguration.defaultSchema = live.defaultSchema
        expectedConfiguration.schemas = live.schemas
        expectedConfiguration.createSchemas = true
        expectedConfiguration.skipExecutingMigrations = false
        let managed = live.schemas
        let history = (schema: live.defaultSchema, table: configuration.table)
        let (schemas, expected) = try Engine(
            configuration: expectedConfiguration, logger: logger, cancellation: cancellation
        ).onScratch(localCluster: options.localCluster) { (scratch: Engine) throws(RunwayError) in
            try scratch.replay(
                replay, files: files, placeholders: placeholders, managed: managed, options: options,
                history: history)
        }
        let actual = try CatalogSnapshot(schemas: schemas, privileges: options.privileges, history: history).read(
            on: live.work)
        let differences = SchemaComparison(expected: expected, actual: actual, ignore: options.ignore).differences()
        if differences.isEmpty {
            logger.info("No drift", metadata: ["database": "\(live.database)"])
        } else {
            logger.warning(
                "Drift detected",
                metadata: ["database": "\(live.database)", "differences": .stringConvertible(differences.count)])
        }
        return DriftReport(
            differences: differences, schemas: schemas, migrationsReplayed: replay.map(\.script),
            database: live.database)
    }

    /// On the scratch database: creates the schemas and a history table, applies `migrations` in order, and reads
    /// the catalogs of the managed schemas and every schema the migrations made.
    private func replay(
        _ migrations: [ResolvedMigration], files: ScanResult, placeholders: PlaceholderReplacer, managed: [String],
        options: DriftOptions, history: (schema: String, table: String)
    ) throws(RunwayError) -> ([String], [CatalogObject]) {
        let session = try Session(
            configuration: configuration, logger: logger, cancellation: cancellation, readWrite: true)
        session.usePlaceholders(placeholders)
        let context = Context(
            files: files, callbacks: try Callbacks(files.callbacks), session: session, resolved: migrations)
        try session.withTransaction { () throws(RunwayError) in
            let created = try createMissingSchemas(context)
            try createHistory(session, baseline: false, createdSchemas: created)
        }
        // As a migrate run: beforeMigrate, each migration with its per-migration callbacks, afterMigrate.
        try fire("beforeMigrate", callbacks: context.callbacks, session: session)
        for migration in migrations {
            try cancellation.check()
            guard let file = context.file(for: migration) else { continue }
            do throws(RunwayError) {
                _ = try apply(try prepare(migration, file: file, session: session, outOfOrder: false), context: context)
            } catch {
                throw error.refined {
                    $0.message =
                        "Building the expected schema failed: an applied migration does not apply on a scratch "
                        + "database, so drift cannot be computed. " + $0.message
                }
            }
        }
        try fire("afterMigrate", callbacks: context.callbacks, session: session)
        let schemas = try CatalogSnapshot.schemas(on: session.work, managed: managed)
        let objects = try CatalogSnapshot(schemas: schemas, privileges: options.privileges, history: history).read(
            on: session.work)
        return (schemas, objects)
    }
}
