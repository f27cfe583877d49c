import Foundation
import Logging

/// The synchronous implementation of the commands. It blocks its thread on libpq calls, so ``Migrator`` runs it
/// on a dedicated thread, never on Swift's cooperative pool.
struct Engine {
    let configuration: Configuration
    let logger: Logger
    let cancellation: Cancellation

    // MARK: - Files

    /// Scans the locations and applies `validateMigrationNaming`.
    func scan() throws(RunwayError) -> ScanResult {
        let scanner = MigrationScanner(
            locations: configuration.locations, naming: configuration.naming,
            failOnMissingLocations: configuration.failOnMissingLocations, logger: logger)
        let result = try scanner.scan()
        if !result.invalidNames.isEmpty {
            if configuration.validateMigrationNaming {
                throw .invalidMigration("Invalid SQL filenames found:\n" + result.invalidNames.joined(separator: "\n"))
            }
            for message in result.invalidNames {
                logger.info("Skipping file that does not follow the naming convention", metadata: ["reason": "\(message)"])
            }
            logger.info(
                """
                SQL migrations were detected but not run because they did not follow the filename convention. \
                Set 'validateMigrationNaming' to true (--validate-migration-naming) to fail fast.
                """,
                metadata: ["count": "\(result.invalidNames.count)"])
        }
        return result
    }

    func replacer(for session: Session) -> PlaceholderReplacer {
        PlaceholderReplacer(
            values: session.placeholderValues(), prefix: configuration.placeholderPrefix,
            suffix: configuration.placeholderSuffix)
    }

    func resolve(_ scan: ScanResult, session: Session) throws(RunwayError) -> [ResolvedMigration] {
        try MigrationResolver(
            placeholders: replacer(for: session), placeholderReplacement: configuration.placeholderReplacement
        ).resolve(scan.migrations)
    }

    // MARK: - info / validate

    /// Builds the info model from the files and the history table (no lock, read-only).
    func info() throws(RunwayError) -> InfoResult {
        let files = try scan()
        let session = try Session(configuration: configuration, logger: logger, cancellation: cancellation, readWrite: false)
        let resolved = try resolve(files, session: session)
        let exists = try session.history.exists(on: session.work)
        let applied = exists ? try session.history.read(on: session.work) : []
        let service = try MigrationInfoService(
            resolved: resolved, applied: applied, target: configuration.target, outOfOrder: configuration.outOfOrder)
        return InfoResult(
            schemaVersion: service.current?.versionText, schemas: session.schemas,
            historyTable: session.history.qualifiedName, historyTableExists: exists, migrations: service.all,
            database: session.database)
    }

    /// Validates the files against the history table (no lock, read-only).
    func validate() throws(RunwayError) -> ValidateResult {
        let files = try scan()
        let session = try Session(configuration: configuration, logger: logger, cancellation: cancellation, readWrite: false)
        let resolved = try resolve(files, session: session)
        var warnings: [String] = []
        guard try session.schemaExists(session.defaultSchema) else {
            let pendingIgnored = configuration.ignoreMigrationPatterns.ignores(.pending)
            if resolved.isEmpty || pendingIgnored {
                return ValidateResult(problems: [], validateCount: 0, database: session.database, warnings: [])
            }
            throw RunwayError(.validation, "Schema \(quoteIdentifier(session.defaultSchema)) doesn't exist yet")
        }
        let applied = try session.history.exists(on: session.work) ? try session.history.read(on: session.work) : []
        let service = try MigrationInfoService(
            resolved: resolved, applied: applied, target: configuration.target, outOfOrder: configuration.outOfOrder)
        try service.validateTarget()
        let problems = service.validate(ignoring: configuration.ignoreMigrationPatterns)
        if service.all.isEmpty { warnings.append("No migrations found. Are your locations set up correctly?") }
        return ValidateResult(
            problems: problems, validateCount: problems.isEmpty ? service.all.count : 0, database: session.database,
            warnings: warnings)
    }

    // MARK: - migrate

    /// Applies pending migrations under the advisory lock; see ``Migrator/migrate()``.
    func migrate() throws(RunwayError) -> MigrateResult {
        let started = Date()
        let files = try scan()
        let session = try Session(configuration: configuration, logger: logger, cancellation: cancellation, readWrite: true)
        let resolved = try resolve(files, session: session)
        let texts = Dictionary(files.migrations.map { ($0.path, $0.text) }, uniquingKeysWith: { a, _ in a })

        // The lock lives on its own connection that never opens a transaction, so CREATE INDEX CONCURRENTLY on the
        // work connection never waits for it.
        let lockConnection = try Session.connect(
            configuration, logger: logger, cancellation: cancellation, readWrite: true)
        defer { cancellation.untrack(lockConnection) }
        let lock = AdvisoryLock(
            key: AdvisoryLockKey(schema: session.defaultSchema, table: configuration.table), connection: lockConnection,
            logger: logger)
        try lock.acquire(retries: configuration.lockRetryCount, cancellation: cancellation)
        defer { lock.release() }

        try prepareSchemasAndHistory(session)
        // Re-read the history now that the lock is held: another runner may have applied migrations meanwhile.
        let applied = try session.history.read(on: session.work)
        let service = try MigrationInfoService(
            resolved: resolved, applied: applied, target: configuration.target, outOfOrder: configuration.outOfOrder)
        let initialVersion = service.current?.versionText
        logger.info(
            "Current version of schema \(quoteIdentifier(session.defaultSchema)): \(initialVersion ?? "<< Empty Schema >>")")
        if configuration.validateOnMigrate {
            let problems = service.validate(ignoring: configuration.ignoreMigrationPatterns + [.anyPending])
            if !problems.isEmpty { throw Self.validationError(problems) }
        }
        try service.validateTarget()
        var warnings: [String] = []
        try checkFailedAndFuture(service, session: session, resolved: resolved, warnings: &warnings)

        var reports: [AppliedMigrationReport] = []
        let installedBy = configuration.installedBy.flatMap { $0.isEmpty ? nil : $0 } ?? session.originalRole
        let currentVersion = service.current?.version
        for entry in service.pending {
            guard let migration = entry.resolved else { continue }
            try cancellation.check()
            let outOfOrder = migration.version.map { v in currentVersion.map { v < $0 } ?? false } ?? false
            let text = texts[migration.path] ?? ""
            let report = try apply(
                migration, text: text, session: session, installedBy: installedBy, outOfOrder: outOfOrder)
            reports.append(report)
            if configuration.target == .next { break }
        }
        let finalVersion = try MigrationInfoService(
            resolved: resolved, applied: try session.history.read(on: session.work), target: configuration.target,
            outOfOrder: configuration.outOfOrder
        ).current?.versionText
        let total = Int(Date().timeIntervalSince(started) * 1000)
        let schemaName = quoteIdentifier(session.defaultSchema)
        if reports.isEmpty {
            logger.info("Schema \(schemaName) is up to date. No migration necessary.")
        } else {
            let plural = reports.count == 1 ? "migration" : "migrations"
            let summary = "Successfully applied \(reports.count) \(plural) to schema \(schemaName)"
                + (finalVersion.map { ", now at version v\($0)" } ?? "")
                + " (execution time \(Self.formatDuration(total)))"
            logger.info("\(summary)")
        }
        return MigrateResult(
            initialSchemaVersion: initialVersion, targetSchemaVersion: finalVersion, schemas: session.schemas,
            migrations: reports, database: session.database, warnings: warnings, totalMigrationTime: total)
    }

    /// Creates missing schemas and the history table in one transaction (with the `<< Flyway Schema Creation >>`
    /// marker when Runway created schemas). Refuses a non-empty schema that has no history table.
    private func prepareSchemasAndHistory(_ session: Session) throws(RunwayError) {
        let history = session.history
        if try history.exists(on: session.work) { return }
        try session.withTransaction { () throws(RunwayError) in
            var created: [String] = []
            if configuration.createSchemas {
                for schema in session.schemas where !(try session.schemaExists(schema)) {
                    logger.info("Creating schema \(quoteIdentifier(schema)) ...")
                    try session.work.execute("CREATE SCHEMA \(quoteIdentifier(schema))")
                    created.append(schema)
                }
            } else if !(try session.schemaExists(session.defaultSchema)) {
                throw RunwayError(
                    .configuration,
                    "Schema \(quoteIdentifier(session.defaultSchema)) does not exist and createSchemas is false: "
                        + "create it first or enable createSchemas")
            }
            if created.isEmpty {
                var nonEmpty: [String] = []
                for schema in session.schemas where try session.schemaExists(schema) {
                    if !(try session.schemaIsEmpty(schema)) { nonEmpty.append(quoteIdentifier(schema)) }
                }
                if !nonEmpty.isEmpty {
                    throw RunwayError(
                        .validation,
                        "Found non-empty schema(s) \(nonEmpty.joined(separator: ", ")) but no schema history table. "
                            + "Use baseline() or set baselineOnMigrate to true to initialize the schema history table.")
                }
            }
            logger.info("Creating Schema History table \(history.qualifiedName) ...")
            try history.create(on: session.work)
            if !created.isEmpty {
                try history.insert(
                    .init(
                        version: nil, description: "<< Flyway Schema Creation >>", type: "SCHEMA",
                        script: created.map(quoteIdentifier).joined(separator: ","), checksum: nil,
                        installedBy: configuration.installedBy.flatMap { $0.isEmpty ? nil : $0 } ?? session.originalRole,
                        executionTime: 0, success: true),
                    rank: 0, on: session.work)
            }
        }
    }

    /// Flyway's pre-migration checks: failed rows block migrate; future rows warn.
    private func checkFailedAndFuture(
        _ service: MigrationInfoService, session: Session, resolved: [ResolvedMigration], warnings: inout [String]
    ) throws(RunwayError) {
        let schemaName = quoteIdentifier(session.defaultSchema)
        let future = service.all.filter { $0.state.isFuture }
        if !future.isEmpty {
            let latest = resolved.compactMap(\.version).max()
            let message = "Schema \(schemaName) has a version (\(service.current?.versionText ?? "")) that is newer than "
                + (latest.map { "the latest available migration (\($0)) !" }
                    ?? "the latest available migration, but no migration could be resolved in the configured locations !")
            logger.warning("\(message)")
            warnings.append(message)
        }
        let failed = service.all.filter { $0.state.isFailed }
        guard let first = failed.first else { return }
        let futureIgnored = configuration.ignoreMigrationPatterns.ignores(.futureSuccess)
        if failed.count == 1, first.state == .futureFailed, futureIgnored {
            let message = "Schema \(schemaName) contains a failed future migration to version \(first.versionText ?? "") !"
            logger.warning("\(message)")
            warnings.append(message)
            return
        }
        if let version = first.versionText {
            throw RunwayError(
                .validation,
                "Schema \(schemaName) contains a failed migration to version \(version) ! Remove any half-completed "
                    + "changes, then run repair to fix the schema history.")
        }
        throw RunwayError(
            .validation,
            "Schema \(schemaName) contains a failed repeatable migration (\"\(first.description)\") ! Remove any "
                + "half-completed changes, then run repair to fix the schema history.")
    }

    // MARK: - Applying one migration

    /// Applies one migration. A transactional migration runs in one transaction together with its history row; a
    /// non-transactional one runs statement by statement in autocommit and records a failed row if it fails.
    private func apply(
        _ migration: ResolvedMigration, text: String, session: Session, installedBy: String, outOfOrder: Bool
    ) throws(RunwayError) -> AppliedMigrationReport {
        let script = migration.script
        let replaced =
            configuration.placeholderReplacement
            ? try replacer(for: session).forFile(script).replace(text, file: script) : text
        let statements: [SQLStatement]
        do {
            statements = try SQLScriptParser.parse(replaced, serverMajorVersion: session.work.serverVersion / 10000)
        } catch {
            var error = error
            error.file = error.file ?? script
            throw error
        }
        if let mixed = statements.mixedTransactionality, !configuration.mixed, configuration.executeInTransaction {
            throw RunwayError(.invalidMigration, mixed.message, file: script, line: mixed.offending.line)
        }
        let transactional = configuration.executeInTransaction && statements.canExecuteInTransaction
        let schemaName = quoteIdentifier(session.defaultSchema)
        let label = migration.version.map { "version \"\($0) - \(migration.description)\"" }
            ?? "repeatable migration \"\(migration.description)\""
        let flags = (transactional ? "" : " [non-transactional]") + (outOfOrder ? " [out of order]" : "")
        logger.info("Migrating schema \(schemaName) to \(label)\(flags)", metadata: ["migration": "\(script)"])
        let started = Date()
        var row = SchemaHistory.NewRow(
            version: migration.version?.text, description: migration.description, type: migration.type,
            script: script, checksum: migration.checksum.value, installedBy: installedBy, executionTime: 0,
            success: true)
        let elapsed = { Int(Date().timeIntervalSince(started) * 1000) }
        if transactional {
            do {
                try session.withTransaction { () throws(RunwayError) in
                    try session.restoreOriginalState()
                    for statement in statements { try run(statement, of: migration, session: session) }
                    row.executionTime = elapsed()
                    try session.history.insert(row, on: session.work)
                }
            } catch {
                throw failure(error, migration: migration, label: label, schema: schemaName, rolledBack: true)
            }
        } else {
            do {
                try session.restoreOriginalState()
                for statement in statements { try run(statement, of: migration, session: session) }
            } catch {
                row.executionTime = elapsed()
                row.success = false
                do {
                    try session.history.insert(row, on: session.work)
                } catch let recordError {
                    logger.error(
                        "Unable to record the failed migration in the schema history",
                        metadata: ["error": "\(recordError.message)"])
                }
                throw failure(error, migration: migration, label: label, schema: schemaName, rolledBack: false)
            }
            row.executionTime = elapsed()
            try session.history.insert(row, on: session.work)
        }
        logger.info(
            "Applied migration",
            metadata: [
                "migration": "\(script)", "duration_ms": "\(row.executionTime)", "outcome": "success",
                "transactional": "\(transactional)",
            ])
        return AppliedMigrationReport(
            category: migration.version == nil ? "Repeatable" : (migration.kind == .baseline ? "Baseline" : "Versioned"),
            version: migration.version?.text, description: migration.description, type: migration.type,
            script: script, filepath: migration.path, executionTime: row.executionTime, transactional: transactional)
    }

    /// Runs one statement, attributing a server error to the file and line.
    private func run(_ statement: SQLStatement, of migration: ResolvedMigration, session: Session) throws(RunwayError) {
        try cancellation.check()
        do {
            try session.work.execute(statement.sql, copyData: statement.copyData)
        } catch {
            var error = error
            error.file = migration.script
            error.line = Self.line(of: statement, position: error.position)
            error.statement = Self.shorten(statement.sql)
            throw error
        }
    }

    private func failure(
        _ error: RunwayError, migration: ResolvedMigration, label: String, schema: String, rolledBack: Bool
    ) -> RunwayError {
        var error = error
        if cancellation.isCancelled {
            error.code = .cancelled
            error.message = "Cancelled while migrating schema \(schema) to \(label): "
                + (rolledBack ? "changes successfully rolled back." : "the migration was interrupted part-way; "
                    + "please restore backups and roll back database and code!")
            return error
        }
        guard error.code == .database || error.code == .connection else { return error }
        let outcome = rolledBack
            ? "Changes successfully rolled back."
            : "Please restore backups and roll back database and code! (the migration is not transactional, so "
                + "statements before the failing one stay applied; run repair after fixing it)"
        error.message = "Migration \(migration.script) failed: \(error.message)\n"
            + "Migration of schema \(schema) to \(label) failed! \(outcome)"
        if error.code == .database { error.code = .migrationFailed }
        return error
    }

    /// The line in the file: the statement's line plus the newlines before the server's error position.
    static func line(of statement: SQLStatement, position: Int?) -> Int {
        guard let position, position > 1, !statement.sql.hasPrefix("--"), !statement.sql.hasPrefix("/*") else {
            return statement.line
        }
        let newlines = statement.sql.unicodeScalars.prefix(position - 1).filter { $0 == "\n" }.count
        return statement.line + newlines
    }

    static func shorten(_ sql: String) -> String {
        sql.count > 500 ? String(sql.prefix(500)) + "..." : sql
    }

    static func validationError(_ problems: [ValidationProblem]) -> RunwayError {
        RunwayError(
            .validation,
            "Validate failed: Migrations have failed validation\n"
                + problems.map(\.message).joined(separator: "\n"))
    }

    /// Flyway's `mm:ss.SSSs`.
    static func formatDuration(_ milliseconds: Int) -> String {
        let minutes = milliseconds / 60_000
        let seconds = (milliseconds / 1000) % 60
        let millis = milliseconds % 1000
        return String(format: "%02d:%02d.%03ds", minutes, seconds, millis)
    }
}

