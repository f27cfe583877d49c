#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

extension Engine {
    /// Applies pending migrations under the advisory lock; see ``Migrator/migrate()``.
    func migrate() throws(RunwayError) -> MigrateResult {
        let started = Date()
        let context = try open(readWrite: true)
        if let result = try upToDateWithoutLock(context, started: started) { return result }
        do {
            return try withMigrationLock(context) { () throws(RunwayError) in
                try migrateLocked(context, started: started)
            }
        } catch {
            fireQuietly("afterMigrateError", callbacks: context.callbacks, session: context.session)
            throw error
        }
    }

    /// The common case at every application start: everything is applied already. One read of the history on the
    /// work connection decides it, without opening the lock connection or waiting for another runner's lock.
    ///
    /// Only a run that would change nothing and report nothing else takes this path: the history table exists, no
    /// migration is pending, failed or from the future, validation passes, and there are no callback scripts
    /// (Flyway fires `beforeMigrate`/`afterMigrate` even when nothing is pending). Anything else, including a
    /// concurrent runner's rows appearing between this read and the next, goes through the locked path, which
    /// reads the history again after taking the lock. Reading without the lock is safe because nothing is written.
    private func upToDateWithoutLock(_ context: Context, started: Date) throws(RunwayError) -> MigrateResult? {
        let session = context.session
        // A cherry-pick is checked against the plan under the lock (a name that matches nothing is an error).
        guard !context.callbacks.hasScripts, configuration.target == .latest, configuration.cherryPick.isEmpty,
            try session.history.exists(on: session.work)
        else { return nil }
        let service = try infoService(context, historyExists: true)
        guard service.pending.isEmpty, service.failed.isEmpty, service.future.isEmpty else { return nil }
        if configuration.validateOnMigrate {
            guard (try? service.validateTarget()) != nil,
                service.validate(ignoring: configuration.ignoreMigrationPatterns + [.anyPending]).isEmpty
            else { return nil }
            logger.info("Successfully validated migrations", metadata: ["count": .stringConvertible(service.all.count)])
        }
        let schemaName = quoteIdentifier(session.defaultSchema)
        let version = service.current?.versionText
        logger.info("Current version of schema \(schemaName): \(version ?? "<< Empty Schema >>")")
        logger.info("Schema \(schemaName) is up to date. No migration necessary.")
        return MigrateResult(
            initialSchemaVersion: version, targetSchemaVersion: version, schemas: session.schemas, migrations: [],
            database: session.database, warnings: context.files.skippedLocations,
            totalMigrationTime: Int(Date().timeIntervalSince(started) * 1000))
    }

    /// Runs `body` holding Flyway's advisory lock for the history table, on the work connection itself (see
    /// ``AdvisoryLock`` for why): the lock lives exactly as long as the session that applies the migrations.
    func withMigrationLock<T>(_ context: Context, _ body: () throws(RunwayError) -> T) throws(RunwayError) -> T {
        let session = context.session
        return try session.withMigrationLock(
            key: AdvisoryLockKey(schema: session.defaultSchema, table: configuration.table),
            retries: configuration.lockRetryCount, timeout: configuration.lockWaitTimeout, body)
    }

    /// Everything `migrate` does while holding the lock. The history is read once here, after the lock was taken,
    /// and that one plan carries the run (it is read again only after this run created the table, which then holds
    /// at most a baseline and a schema-creation row).
    private func migrateLocked(_ context: Context, started: Date) throws(RunwayError) -> MigrateResult {
        let session = context.session
        let schemaName = quoteIdentifier(session.defaultSchema)
        let historyExisted = try session.history.exists(on: session.work)
        var service = try infoService(context, historyExists: historyExisted)
        if configuration.validateOnMigrate {
            let validation = try withCallbacks("Validate", context) { () throws(RunwayError) in
                try validate(context, patterns: configuration.ignoreMigrationPatterns + [.anyPending], service: service)
            }
            if !validation.isValid { throw Self.validationError(validation.problems) }
        }
        // On a first run every migration is pending: read, replace and split them all before the history table (or
        // any schema) is created, so a broken script leaves the database exactly as it was.
        var preparedBeforeCreation: [String: PreparedMigration] = [:]
        if !historyExisted {
            for entry in service.pending {
                guard let migration = entry.resolved, let file = context.file(for: migration) else { continue }
                preparedBeforeCreation[migration.path] = try prepare(
                    migration, file: file, session: session, outOfOrder: false)
                if configuration.target == .next { break }
            }
            try prepareSchemasAndHistory(context)
            service = try infoService(context, historyExists: true)
        }
        let initialVersion = service.current?.versionText
        logger.info("Current version of schema \(schemaName): \(initialVersion ?? "<< Empty Schema >>")")
        if configuration.outOfOrder {
            logger.info("outOfOrder mode is active. Migration of schema \(schemaName) may not be reproducible.")
        }
        var warnings = context.files.skippedLocations
        try checkFailedAndFuture(service, context: context, warnings: &warnings)
        try service.validateTarget()

        try fire("beforeMigrate", callbacks: context.callbacks, session: session)
        var prepared: [PreparedMigration] = []
        var reports: [AppliedMigrationReport] = []
        do throws(RunwayError) {
            try applyPending(
                service, context: context, early: &preparedBeforeCreation, prepared: &prepared, reports: &reports)
        } catch {
            // Flyway's failed result: what stayed applied before the failure (nothing of a rolled-back group).
            let result = MigrateResult(
                initialSchemaVersion: initialVersion,
                targetSchemaVersion: Self.versionReached(service, applied: prepared.prefix(reports.count))
                    ?? initialVersion,
                schemas: session.schemas, migrations: reports, database: session.database, warnings: warnings,
                totalMigrationTime: Self.milliseconds(since: started))
            throw error.refined { $0.migrateResult = result }
        }
        if !reports.isEmpty { try fire("afterMigrateApplied", callbacks: context.callbacks, session: session) }
        try fire("afterMigrate", callbacks: context.callbacks, session: session)

        // The plan's current version, moved on by the versioned migrations this run applied.
        let finalVersion = Self.versionReached(service, applied: prepared.prefix(reports.count)) ?? initialVersion
        let total = Int(Date().timeIntervalSince(started) * 1000)
        if reports.isEmpty {
            logger.info("Schema \(schemaName) is up to date. No migration necessary.")
        } else {
            let summary =
                "Successfully applied \(reports.count) migration\(reports.count == 1 ? "" : "s") to schema "
                + schemaName + (finalVersion.map { ", now at version v\($0)" } ?? "")
                + " (execution time \(Self.formatDuration(total)))"
            logger.info("\(summary)")
        }
        return MigrateResult(
            initialSchemaVersion: initialVersion, targetSchemaVersion: finalVersion, schemas: session.schemas,
            migrations: reports, database: session.database, warnings: warnings, totalMigrationTime: total)
    }

    /// The highest of the plan's current version and the versions of `applied`, or `nil` when neither has one.
    private static func versionReached(
        _ service: MigrationInfoService, applied: ArraySlice<PreparedMigration>
    ) -> String? {
        applied.compactMap(\.migration.version).max().map { applied in
            service.current?.version.map { $0 > applied ? $0 : applied } ?? applied
        }?.text
    }

    /// Prepares and applies the pending migrations (one group, or one at a time with the versioned/repeatable
    /// callbacks between them). `reports` holds the migrations that stayed applied, also when this throws.
    private func applyPending(
        _ service: MigrationInfoService, context: Context,
        early preparedBeforeCreation: inout [String: PreparedMigration], prepared: inout [PreparedMigration],
        reports: inout [AppliedMigrationReport]
    ) throws(RunwayError) {
        let session = context.session
        let currentVersion = service.current?.version
        for entry in try cherryPicked(service.pending, service: service) {
            guard let migration = entry.resolved, let file = context.file(for: migration) else { continue }
            let outOfOrder = migration.version.map { v in currentVersion.map { v < $0 } ?? false } ?? false
            var migrationPrepared: PreparedMigration
            if let early = preparedBeforeCreation.removeValue(forKey: migration.path) {
                migrationPrepared = early
            } else {
                migrationPrepared = try prepare(migration, file: file, session: session, outOfOrder: outOfOrder)
            }
            migrationPrepared.outOfOrder = outOfOrder
            prepared.append(migrationPrepared)
            if configuration.target == .next { break }
        }
        if configuration.group, prepared.count > 1 {
            reports = try applyGroup(prepared, context: context)
        } else {
            var afterVersionedFired = false
            for migration in prepared {
                try cancellation.check()
                if migration.migration.version == nil, !afterVersionedFired {
                    try fire("afterVersioned", callbacks: context.callbacks, session: session)
                    try fire("beforeRepeatables", callbacks: context.callbacks, session: session)
                    afterVersionedFired = true
                }
                reports.append(try apply(migration, context: context))
            }
            if !afterVersionedFired { try fire("afterVersioned", callbacks: context.callbacks, session: session) }
        }
    }

    // MARK: - Schemas and history table

    /// Creates missing schemas and the history table in one transaction (with the `<< Flyway Schema Creation >>`
    /// marker when Runway created schemas). A non-empty schema without a history table is baselined with
    /// `baselineOnMigrate`, and refused otherwise.
    private func prepareSchemasAndHistory(_ context: Context) throws(RunwayError) {
        let session = context.session
        if try session.history.exists(on: session.work) { return }
        try session.withTransaction { () throws(RunwayError) in
            let created = try createMissingSchemas(context)
            var baseline = false
            if created.isEmpty {
                let nonEmpty = try nonEmptySchemas(session).map(quoteIdentifier)
                if !nonEmpty.isEmpty {
                    guard configuration.baselineOnMigrate else {
                        throw RunwayError(
                            .validation,
                            "Found non-empty schema(s) \(nonEmpty.joined(separator: ", ")) but no schema history "
                                + "table. Use baseline() or set baselineOnMigrate to true to initialize the schema "
                                + "history table."
                        ).refined { $0.flywayErrorCode = "NON_EMPTY_SCHEMA_WITHOUT_SCHEMA_HISTORY_TABLE" }
                    }
                    baseline = true
                }
            } else if configuration.baselineOnMigrate {
                logger.info("All configured schemas are empty; a baseline marker will not be added")
            }
            try createHistory(session, baseline: baseline, createdSchemas: created)
        }
    }

    /// Creates the managed schemas that do not exist (when `createSchemas`), firing the schema-creation callbacks.
    func createMissingSchemas(_ context: Context) throws(RunwayError) -> [String] {
        let session = context.session
        guard configuration.createSchemas else {
            if !(try session.schemaExists(session.defaultSchema)) {
                throw RunwayError(
                    .configuration,
                    "Schema \(quoteIdentifier(session.defaultSchema)) does not exist and createSchemas is false: "
                        + "create it first or enable createSchemas")
            }
            return []
        }
        let missing = try missingSchemas(session)
        guard !missing.isEmpty else { return [] }
        try fire("createSchema", callbacks: context.callbacks, session: session, inTransaction: true)
        try fire("beforeCreateSchema", callbacks: context.callbacks, session: session, inTransaction: true)
        for schema in missing {
            logger.info("Creating schema \(quoteIdentifier(schema)) ...")
            try session.work.execute("CREATE SCHEMA \(quoteIdentifier(schema))")
        }
        return missing
    }

    /// The managed schemas that do not exist, in Flyway's order, which the `<< Flyway Schema Creation >>` row
    /// records: `schemas` as configured, preceded by `defaultSchema` only when it is not one of them.
    func missingSchemas(_ session: Session) throws(RunwayError) -> [String] {
        let flywayOrder =
            configuration.schemas.contains(session.defaultSchema)
            ? configuration.schemas : [session.defaultSchema] + configuration.schemas
        var missing: [String] = []
        for schema in flywayOrder where !missing.contains(schema) {
            if !(try session.schemaExists(schema)) { missing.append(schema) }
        }
        return missing
    }

    /// The managed schemas that exist and hold objects.
    func nonEmptySchemas(_ session: Session) throws(RunwayError) -> [String] {
        var nonEmpty: [String] = []
        for schema in session.schemas where try session.schemaExists(schema) {
            if !(try session.schemaIsEmpty(schema)) { nonEmpty.append(schema) }
        }
        return nonEmpty
    }

    /// Creates the history table with Flyway's DDL, the baseline row (rank 1) when asked, and the schema-creation
    /// marker (rank 0 in an empty table, else next) when schemas were created. The caller owns the transaction.
    func createHistory(_ session: Session, baseline: Bool, createdSchemas: [String]) throws(RunwayError) {
        let history = session.history
        logger.info("Creating Schema History table \(history.qualifiedName) ...")
        try history.create(on: session.work)
        if baseline {
            try history.insert(
                .init(
                    version: configuration.baselineVersion, description: configuration.baselineDescription,
                    type: .baseline, script: configuration.baselineDescription, checksum: nil,
                    installedBy: installedBy(session), executionTime: 0, success: true),
                rank: 1, on: session.work)
            logger.info("Successfully baselined schema with version: \(configuration.baselineVersion)")
        }
        if !createdSchemas.isEmpty {
            try history.insert(
                .init(
                    version: nil, description: "<< Flyway Schema Creation >>", type: .schema,
                    script: createdSchemas.map(quoteIdentifier).joined(separator: ","), checksum: nil,
                    installedBy: installedBy(session), executionTime: 0, success: true),
                rank: baseline ? nil : 0, on: session.work)
        }
    }

    /// Flyway's pre-migration checks: failed rows block migrate; future rows warn.
    private func checkFailedAndFuture(
        _ service: MigrationInfoService, context: Context, warnings: inout [String]
    ) throws(RunwayError) {
        let schemaName = quoteIdentifier(context.session.defaultSchema)
        if !service.future.isEmpty {
            let latest = context.resolved.compactMap(\.version).max()
            let message =
                "Schema \(schemaName) has a version (\(service.current?.versionText ?? "")) that is newer than "
                + (latest.map { "the latest available migration (\($0)) !" }
                    ?? "the latest available migration, but no migration could be resolved in the configured locations !")
            logger.warning("\(message)")
            warnings.append(message)
        }
        let failed = service.failed
        guard let first = failed.first else { return }
        if failed.count == 1, first.state == .futureFailed, configuration.ignoreMigrationPatterns.ignores(.futureFailed)
        {
            let message =
                "Schema \(schemaName) contains a failed future migration to version \(first.versionText ?? "") !"
            logger.warning("\(message)")
            warnings.append(message)
            return
        }
        let what =
            first.versionText.map { "a failed migration to version \($0)" }
            ?? "a failed repeatable migration (\"\(first.description)\")"
        throw RunwayError(
            .validation,
            "Schema \(schemaName) contains \(what) ! Remove any half-completed changes, then run repair to fix the "
                + "schema history.")
    }

    // MARK: - Cherry-pick

    /// The pending migrations `cherryPick` selects (all of them without it), in their order. An entry names a version
    /// (`2`, `1.1`) or a repeatable migration's description. An entry that names an applied migration is skipped
    /// with a note; one that names a migration below the current version without `outOfOrder`, or nothing at all,
    /// is an error: a typo must not pass silently, and an out-of-order apply must be asked for.
    func cherryPicked(_ pending: [MigrationInfo], service: MigrationInfoService) throws(RunwayError) -> [MigrationInfo]
    {
        guard !configuration.cherryPick.isEmpty else { return pending }
        func matches(_ entry: MigrationInfo, _ item: String) -> Bool {
            if let version = entry.resolved?.version ?? entry.applied?.version {
                return (try? MigrationVersion(item)) == version
            }
            return entry.description == item
        }
        var picked: [MigrationInfo] = []
        for item in configuration.cherryPick {
            let chosen = pending.filter { matches($0, item) }
            if !chosen.isEmpty {
                picked += chosen
                continue
            }
            guard let known = service.all.first(where: { matches($0, item) }) else {
                throw .configuration(
                    "cherryPick names \(item.debugDescription), but no migration has that version or repeatable "
                        + "description")
            }
            if known.state == .ignored {
                throw .configuration(
                    "cherryPick names \(item.debugDescription), which is below the current version: set outOfOrder "
                        + "to apply it")
            }
            logger.info(
                "cherryPick: \(item) is not pending (\(known.state.displayName)); skipped",
                metadata: ["migration": "\(known.script)"])
        }
        return pending.filter { entry in picked.contains { $0.script == entry.script } }
    }
}
