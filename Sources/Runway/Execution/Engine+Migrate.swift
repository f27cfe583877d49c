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
        guard !context.callbacks.hasScripts, configuration.target == .latest,
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
        let currentVersion = service.current?.version
        for entry in service.pending {
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
        let reports: [AppliedMigrationReport]
        if configuration.group, prepared.count > 1 {
            reports = try applyGroup(prepared, context: context)
        } else {
            var applied: [AppliedMigrationReport] = []
            var afterVersionedFired = false
            for migration in prepared {
                try cancellation.check()
                if migration.migration.version == nil, !afterVersionedFired {
                    try fire("afterVersioned", callbacks: context.callbacks, session: session)
                    try fire("beforeRepeatables", callbacks: context.callbacks, session: session)
                    afterVersionedFired = true
                }
                applied.append(try apply(migration, context: context))
            }
            if !afterVersionedFired { try fire("afterVersioned", callbacks: context.callbacks, session: session) }
            reports = applied
        }
        if !reports.isEmpty { try fire("afterMigrateApplied", callbacks: context.callbacks, session: session) }
        try fire("afterMigrate", callbacks: context.callbacks, session: session)

        // The plan's current version, moved on by the versioned migrations this run applied.
        let appliedVersions = prepared.prefix(reports.count).compactMap(\.migration.version)
        let finalVersion =
            appliedVersions.max().map { applied in
                service.current?.version.map { $0 > applied ? $0 : applied } ?? applied
            }?.text ?? initialVersion
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
                var nonEmpty: [String] = []
                for schema in session.schemas where try session.schemaExists(schema) {
                    if !(try session.schemaIsEmpty(schema)) { nonEmpty.append(quoteIdentifier(schema)) }
                }
                if !nonEmpty.isEmpty {
                    guard configuration.baselineOnMigrate else {
                        throw RunwayError(
                            .validation,
                            "Found non-empty schema(s) \(nonEmpty.joined(separator: ", ")) but no schema history "
                                + "table. Use baseline() or set baselineOnMigrate to true to initialize the schema "
                                + "history table.")
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
        var missing: [String] = []
        for schema in session.schemas where !(try session.schemaExists(schema)) { missing.append(schema) }
        guard !missing.isEmpty else { return [] }
        try fire("createSchema", callbacks: context.callbacks, session: session, inTransaction: true)
        try fire("beforeCreateSchema", callbacks: context.callbacks, session: session, inTransaction: true)
        for schema in missing {
            logger.info("Creating schema \(quoteIdentifier(schema)) ...")
            try session.work.execute("CREATE SCHEMA \(quoteIdentifier(schema))")
        }
        return missing
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

    // MARK: - Applying migrations

    /// A migration whose script was split once (in bounded memory) before anything runs, with its transaction mode
    /// decided; its statements are read again, one at a time, when it runs.
    struct PreparedMigration {
        let migration: ResolvedMigration
        let file: ScannedFile
        let source: ScriptSource
        let outline: ScriptOutline
        let transactional: Bool
        var outOfOrder: Bool

        var label: String {
            migration.version.map { "version \"\($0) - \(migration.description)\"" }
                ?? "repeatable migration \"\(migration.description)\""
        }
    }

    /// Reads and splits a migration before anything runs; refuses a script mixing transactional and
    /// non-transactional statements unless `mixed` (Flyway's rule).
    private func prepare(
        _ migration: ResolvedMigration, file: ScannedFile, session: Session, outOfOrder: Bool
    ) throws(RunwayError) -> PreparedMigration {
        let source = try source(of: file, placeholders: session.placeholders)
        let outline = try outline(of: source, file: file, session: session)
        let executeInTransaction = file.config.executeInTransaction ?? configuration.executeInTransaction
        if file.config.executeInTransaction == nil, executeInTransaction, !configuration.mixed,
            let mixed = outline.mixed
        {
            throw RunwayError(.invalidMigration, mixed.message, file: file.relativePath, line: mixed.offending.line)
        }
        return PreparedMigration(
            migration: migration, file: file, source: source, outline: outline,
            transactional: executeInTransaction && outline.canExecuteInTransaction, outOfOrder: outOfOrder)
    }

    /// Applies one migration, its statements one at a time as psql and Flyway send them (never joined into one
    /// query: the server would lex the whole text before a `SET standard_conforming_strings` in it runs, and a
    /// `statement_timeout` would cover the whole batch).
    ///
    /// A transactional migration runs in one transaction together with its history row (and its
    /// `beforeEachMigrate`/`afterEachMigrate` callbacks). A non-transactional one is recorded first as a failed row,
    /// runs statement by statement in autocommit, and its row is marked successful at the end: a runner killed
    /// part-way leaves a failed row (so no later run applies it a second time), never a missing one.
    private func apply(_ prepared: PreparedMigration, context: Context) throws(RunwayError) -> AppliedMigrationReport {
        let session = context.session
        let started = announce(prepared, session: session)
        var row = newRow(prepared, session: session)
        let progress = ScriptProgress()
        var attempt = 0
        do throws(RunwayError) {
            if prepared.transactional {
                while true {
                    progress.reset()
                    do throws(RunwayError) {
                        try applyInTransaction(prepared, row: &row, started: started, context: context, progress)
                        break
                    } catch
                        where error.sqlState == .lockNotAvailable && progress.transactionEnd == nil
                        && attempt < configuration.ddlSafety.lockTimeoutRetries
                    {
                        // lock_timeout: everything was rolled back; let the application's queries through, then run
                        // the whole migration again (what --lock-timeout-retries asks for).
                        attempt += 1
                        let wait = min(1 << (attempt - 1), 30)
                        logger.warning(
                            "Migration waited longer than lock_timeout for a lock and was rolled back; retrying",
                            metadata: [
                                "migration": "\(prepared.file.relativePath)", "retry": .stringConvertible(attempt),
                                "of": .stringConvertible(configuration.ddlSafety.lockTimeoutRetries),
                                "retry_in_seconds": .stringConvertible(wait),
                            ])
                        try cancellation.sleep(seconds: Double(wait))
                    }
                }
            } else {
                try applyInAutocommit(prepared, row: &row, started: started, context: context, progress)
            }
        } catch {
            fireQuietly("afterEachMigrateError", callbacks: context.callbacks, session: session)
            throw failure(error, prepared, schema: session.defaultSchema, progress: progress, attempts: attempt + 1)
        }
        return report(prepared, executionTime: row.executionTime)
    }

    /// A transactional migration: `BEGIN` with the session reset, the statements, then the history row (as the
    /// original role), the lock check and the `COMMIT` in one round trip. When the script ends the transaction
    /// itself, the rest runs as psql `-1` runs it (each statement on its own), and a failure after that point is
    /// recorded as a failed row, since part of the script stayed committed.
    private func applyInTransaction(
        _ prepared: PreparedMigration, row: inout SchemaHistory.NewRow, started: Date, context: Context,
        _ progress: ScriptProgress
    ) throws(RunwayError) {
        let session = context.session
        do throws(RunwayError) {
            try session.withTransaction(restoringState: true) { () throws(RunwayError) in
                try run(prepared, context: context, stateRestored: true, progress)
                row.executionTime = Self.milliseconds(since: started)
                session.executeAtCommit(session.restoreRoleSQL)
                session.executeAtCommit(try session.history.insertStatement(row, on: session.work))
            }
        } catch {
            guard progress.transactionEnd != nil, !error.endedSession else { throw error }
            row.executionTime = Self.milliseconds(since: started)
            row.success = false
            recordFailure(row, session: session)
            throw error
        }
    }

    /// A non-transactional migration: a failed row first, then the statements in autocommit (each after a check
    /// that the lock is still held), then the row marked successful.
    private func applyInAutocommit(
        _ prepared: PreparedMigration, row: inout SchemaHistory.NewRow, started: Date, context: Context,
        _ progress: ScriptProgress
    ) throws(RunwayError) {
        let session = context.session
        try session.restoreOriginalState()
        var intent = row
        intent.success = false
        let rank = try insertInProgress(intent, session: session)
        do {
            try run(prepared, context: context, stateRestored: true, progress)
        } catch {
            session.rollback()  // a failed statement inside the script's own BEGIN
            if !error.endedSession {
                _ = try? session.recordInHistory(
                    session.history.finishStatement(
                        rank: rank, success: false, executionTime: Self.milliseconds(since: started)))
            }
            throw error
        }
        row.executionTime = Self.milliseconds(since: started)
        session.rollback()  // a script that leaves a transaction open: psql's end of file rolls it back too
        try session.recordInHistory(
            session.history.finishStatement(rank: rank, success: true, executionTime: row.executionTime))
    }

    /// Inserts `row` (in autocommit, under the lock check) and returns its `installed_rank`: the failed row a
    /// non-transactional migration is recorded with before it runs.
    private func insertInProgress(_ row: SchemaHistory.NewRow, session: Session) throws(RunwayError) -> Int {
        let history = session.history
        let sql = try history.insertStatement(row, on: session.work) + " RETURNING \"installed_rank\"::text"
        guard let rank = try session.recordInHistory(sql).scalar.flatMap({ Int($0) }) else {
            throw RunwayError(.database, "Unable to record the start of a migration in \(history.qualifiedName)")
        }
        return rank
    }

    /// `group`: every pending migration in one transaction (or all without one when `mixed` allows a mix).
    private func applyGroup(
        _ group: [PreparedMigration], context: Context
    ) throws(RunwayError) -> [AppliedMigrationReport] {
        let session = context.session
        let transactional = group.allSatisfy(\.transactional)
        if !transactional, !configuration.mixed, let first = group.first(where: { !$0.transactional }),
            group.contains(where: \.transactional)
        {
            throw RunwayError(
                .invalidMigration,
                "Detected both transactional and non-transactional migrations within the same migration group (even "
                    + "though mixed is false). First offending migration: \"\(first.migration.version?.text ?? "") "
                    + "\(first.migration.description)\" [non-transactional]", file: first.file.relativePath)
        }
        guard transactional else {
            var reports: [AppliedMigrationReport] = []
            for prepared in group { reports.append(try apply(prepared, context: context)) }
            return reports
        }
        var reports: [AppliedMigrationReport] = []
        var current: PreparedMigration?
        let progress = ScriptProgress()
        do throws(RunwayError) {
            try session.withTransaction { () throws(RunwayError) in
                for prepared in group {
                    current = prepared
                    progress.reset()
                    let started = announce(prepared, session: session)
                    var row = newRow(prepared, session: session)
                    try run(prepared, context: context, progress)
                    if progress.transactionEnd != nil {
                        throw RunwayError(
                            .invalidMigration,
                            "Migration \(prepared.file.relativePath) ends the transaction itself (line "
                                + "\(progress.transactionEnd?.line ?? 0)), which a migration group cannot allow: the "
                                + "group was rolled back as far as it could be. Remove the COMMIT or run without group.",
                            file: prepared.file.relativePath, line: progress.transactionEnd?.line)
                    }
                    row.executionTime = Self.milliseconds(since: started)
                    try session.work.execute(session.restoreRoleSQL)
                    try session.history.insert(row, on: session.work)
                    reports.append(report(prepared, executionTime: row.executionTime))
                }
            }
        } catch {
            fireQuietly("afterEachMigrateError", callbacks: context.callbacks, session: session)
            guard let current else { throw error }
            throw failure(error, current, schema: session.defaultSchema, progress: progress, attempts: 1)
        }
        return reports
    }

    /// What one run of a script got through: how many statements completed, and where the script ended the
    /// migration's transaction itself (`COMMIT`, `ROLLBACK`, `PREPARE TRANSACTION` part-way).
    final class ScriptProgress {
        private(set) var completed = 0
        /// The lines of the first completed statements (for the error of a migration that committed part-way).
        private(set) var completedLines: [Int] = []
        var transactionEnd: (line: Int, command: String, completedBefore: Int)?

        /// How many lines ``completedLines`` keeps.
        static let linesKept = 20

        func completed(_ statement: SQLStatement) {
            completed += 1
            if completedLines.count < Self.linesKept { completedLines.append(statement.line) }
        }

        func reset() {
            completed = 0
            completedLines = []
            transactionEnd = nil
        }
    }

    /// Session reset, `beforeEachMigrate`, the statements one by one (with statement callbacks), `afterEachMigrate`.
    private func run(
        _ prepared: PreparedMigration, context: Context, stateRestored: Bool = false, _ progress: ScriptProgress
    ) throws(RunwayError) {
        let session = context.session
        let callbacks = context.callbacks
        if !stateRestored { try session.restoreOriginalState() }
        if configuration.skipExecutingMigrations { return }
        try applyTimeouts(local: prepared.transactional, session: session)
        defer { if !prepared.transactional { resetTimeouts(session: session) } }
        try fire("beforeEachMigrate", callbacks: callbacks, session: session, inTransaction: true)
        let statementCallbacks =
            callbacks.handles("beforeEachMigrateStatement")
            || callbacks.handles("afterEachMigrateStatement") || callbacks.handles("afterEachMigrateStatementError")
        let statements = try stream(of: prepared.source, file: prepared.file, session: session)
        // Inside the migration's transaction, statements are pipelined: sent without waiting for the one before,
        // each still parsed and run on its own (see Connection.sendPipelined). A statement that could change what
        // follows in a way the pipeline would not see (transaction control, a split that depends on
        // standard_conforming_strings, COPY) waits for all results first and runs on its own.
        let pipelines = prepared.transactional && !statementCallbacks
        var inFlight: [SQLStatement] = []
        /// Records the outcome of `statement`: the transaction's end when the script ended it, or the error.
        func settle(_ statement: SQLStatement, autocommit: Bool, _ run: () throws(RunwayError) -> QueryResult)
            throws(RunwayError)
        {
            do {
                let result = try run()
                if prepared.transactional, progress.transactionEnd == nil,
                    Self.endsTransaction(result.commandTag)
                        || (!session.work.isPipelining && session.work.transactionStatus != .inTransaction)
                {
                    progress.transactionEnd = (statement.line, result.commandTag, progress.completed + 1)
                    logger.warning(
                        """
                        The migration ended its own transaction part-way: what ran so far stays committed, and the \
                        rest runs statement by statement in autocommit (as psql -1 runs it)
                        """,
                        metadata: [
                            "migration": "\(prepared.file.relativePath)", "line": .stringConvertible(statement.line),
                            "command": "\(result.commandTag)",
                        ])
                }
            } catch {
                var error = error
                error.file = prepared.file.relativePath
                error.line = error.line ?? Self.line(of: statement, position: error.position)
                error.statement = error.statement ?? Self.shorten(statement.sql)
                if statementCallbacks {
                    fireQuietly("afterEachMigrateStatementError", callbacks: callbacks, session: session)
                }
                if autocommit || progress.transactionEnd != nil {
                    error.detail = [error.detail, partialProgress(prepared, progress, session: session)]
                        .compactMap { $0 }.joined(separator: "\n")
                }
                throw error
            }
            progress.completed(statement)
        }
        /// Reads results until at most `keeping` statements are in flight.
        func drain(keeping: Int) throws(RunwayError) {
            while inFlight.count > keeping {
                let statement = inFlight.removeFirst()
                try settle(statement, autocommit: false) { () throws(RunwayError) in
                    try session.work.nextPipelinedResult()
                }
            }
            if keeping == 0 { session.work.endPipeline(pending: 0) }
        }
        do throws(RunwayError) {
            while let statement = try statements.next() {
                try cancellation.check()
                if pipelines, progress.transactionEnd == nil, Self.canPipeline(statement) {
                    try session.work.sendPipelined(statement.sql)
                    inFlight.append(statement)
                    try drain(keeping: Self.pipelineDepth)
                    continue
                }
                try drain(keeping: 0)
                // Every statement that commits on its own first checks that the lock is still held.
                let autocommit = !prepared.transactional || progress.transactionEnd != nil
                if autocommit { try session.verifyLockHeld() }
                if statementCallbacks {
                    try fire("beforeEachMigrateStatement", callbacks: callbacks, session: session, inTransaction: true)
                }
                try settle(statement, autocommit: autocommit) { () throws(RunwayError) in
                    try checkStandardStrings(statement, prepared: prepared, session: session)
                    return try execute(statement, from: statements, on: session.work)
                }
                if statementCallbacks {
                    try fire("afterEachMigrateStatement", callbacks: callbacks, session: session, inTransaction: true)
                }
            }
            try drain(keeping: 0)
        } catch {
            session.work.endPipeline(pending: inFlight.count)
            throw error
        }
        try fire("afterEachMigrate", callbacks: callbacks, session: session, inTransaction: true)
    }

    /// How many statements may be in flight in a pipeline before their results are read.
    private static let pipelineDepth = 256

    /// Whether a statement may be pipelined: not transaction control (a `COMMIT` or `ROLLBACK` queued behind a
    /// failing statement would end the aborted transaction and let the statements after it run), not split
    /// according to `standard_conforming_strings` (it is checked against the session before it is sent), not `COPY`
    /// (libpq runs no COPY in a pipeline).
    private static func canPipeline(_ statement: SQLStatement) -> Bool {
        !statement.runsOnItsOwn && !statement.copyDataFollows && statement.splitWithStandardStrings == nil
    }

    /// Command tags of statements that end the transaction (`COMMIT AND CHAIN` keeps one open after committing).
    private static func endsTransaction(_ tag: String) -> Bool {
        tag == "COMMIT" || tag == "ROLLBACK" || tag == "PREPARE TRANSACTION"
    }

    /// Refuses to send a statement split for another `standard_conforming_strings` than the session has now (the
    /// script changed it in a way the splitter cannot follow, such as `set_config()` or a function).
    private func checkStandardStrings(
        _ statement: SQLStatement, prepared: PreparedMigration, session: Session
    ) throws(RunwayError) {
        guard let assumed = statement.splitWithStandardStrings else { return }
        let current = session.work.standardConformingStrings
        guard assumed != current else { return }
        throw RunwayError(
            .invalidMigration,
            "Statement at line \(statement.line) of \(prepared.file.relativePath) holds a '...' literal with a "
                + "backslash, which was read with standard_conforming_strings = \(assumed ? "on" : "off"), but the "
                + "session now has it \(current ? "on" : "off") (changed by something other than a plain SET or "
                + "RESET statement). Nothing of this statement ran. Change the setting with SET "
                + "standard_conforming_strings, or write the literal as E'...'.",
            file: prepared.file.relativePath, line: statement.line, statement: Self.shorten(statement.sql))
    }

    /// For a migration that failed after part of it committed (a non-transactional one, or one whose script ended
    /// its transaction itself): which statements committed, and the INVALID indexes a failed
    /// `CREATE INDEX CONCURRENTLY` leaves behind, with the statement that removes each.
    private func partialProgress(
        _ prepared: PreparedMigration, _ progress: ScriptProgress, session: Session
    ) -> String {
        let total = prepared.outline.count
        var lines: [String] = []
        if let end = progress.transactionEnd {
            let after = progress.completed - end.completedBefore
            lines.append(
                "The script ended the migration's transaction itself at line \(end.line) (\(end.command)): the "
                    + "\(end.completedBefore) statement(s) up to it were not rolled back by Runway, and \(after) "
                    + "statement(s) after it ran in autocommit before the failure (\(progress.completed) of \(total) "
                    + "completed). The migration is recorded as failed.")
        } else if progress.completed == 0 {
            lines.append("No statement of \(prepared.file.relativePath) was committed before the failure.")
        } else {
            let more = progress.completed > progress.completedLines.count ? ", ..." : ""
            let where_ = progress.completedLines.map { "line \($0)" }.joined(separator: ", ") + more
            lines.append(
                "Committed before the failure (not rolled back): \(progress.completed) of \(total) statements "
                    + "(\(where_)).")
        }
        let placeholders = session.schemas.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        let invalid = try? session.work.query(
            """
            SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT i.indisvalid AND n.nspname IN (\(placeholders)) ORDER BY 1
            """, session.schemas)
        for row in invalid?.rows ?? [] {
            guard let name = row[0] else { continue }
            lines.append(
                "INVALID index left behind: \(name). Remove it with: DROP INDEX CONCURRENTLY IF EXISTS \(name);")
        }
        lines.append("Fix the migration, undo what it committed, then run repair to clear the failed row.")
        return lines.joined(separator: "\n")
    }

    /// Sets the DDL safety policy's timeouts: `SET LOCAL` inside a migration's transaction, session-wide (and reset
    /// afterwards) for a non-transactional one.
    private func applyTimeouts(local: Bool, session: Session) throws(RunwayError) {
        let scope = local ? "LOCAL " : ""
        if let lock = configuration.ddlSafety.lockTimeoutMilliseconds {
            try session.work.execute("SET \(scope)lock_timeout = \(lock)")
        }
        if let statement = configuration.ddlSafety.statementTimeoutMilliseconds {
            try session.work.execute("SET \(scope)statement_timeout = \(statement)")
        }
    }

    private func resetTimeouts(session: Session) {
        if configuration.ddlSafety.lockTimeoutMilliseconds != nil {
            _ = try? session.work.execute("RESET lock_timeout")
        }
        if configuration.ddlSafety.statementTimeoutMilliseconds != nil {
            _ = try? session.work.execute("RESET statement_timeout")
        }
    }

    private func announce(_ prepared: PreparedMigration, session: Session) -> Date {
        let flags =
            (prepared.transactional ? "" : " [non-transactional]") + (prepared.outOfOrder ? " [out of order]" : "")
        logger.info(
            "Migrating schema \(quoteIdentifier(session.defaultSchema)) to \(prepared.label)\(flags)",
            metadata: ["migration": "\(prepared.file.relativePath)"])
        return Date()
    }

    private func newRow(_ prepared: PreparedMigration, session: Session) -> SchemaHistory.NewRow {
        let migration = prepared.migration
        return SchemaHistory.NewRow(
            version: migration.version?.text, description: migration.description, type: migration.type,
            script: migration.script, checksum: migration.checksum.value, installedBy: installedBy(session),
            executionTime: 0, success: true)
    }

    private func recordFailure(_ row: SchemaHistory.NewRow, session: Session) {
        do {
            session.rollback()
            try session.recordInHistory(try session.history.insertStatement(row, on: session.work))
        } catch {
            logger.error(
                "Unable to record the failed migration in the schema history", metadata: ["error": "\(error.message)"])
        }
    }

    private func report(_ prepared: PreparedMigration, executionTime: Int) -> AppliedMigrationReport {
        let migration = prepared.migration
        logger.info(
            "Applied migration",
            metadata: [
                "migration": "\(migration.script)", "duration_ms": .stringConvertible(executionTime),
                "outcome": "success", "transactional": .stringConvertible(prepared.transactional),
            ])
        return AppliedMigrationReport(
            category: migration.version == nil
                ? "Repeatable" : (migration.kind == .baseline ? "Baseline" : "Versioned"),
            version: migration.version?.text, description: migration.description, type: migration.type,
            script: migration.script, filepath: migration.path, executionTime: executionTime,
            transactional: prepared.transactional)
    }

    private func failure(
        _ error: RunwayError, _ prepared: PreparedMigration, schema: String, progress: ScriptProgress, attempts: Int
    ) -> RunwayError {
        var error = error
        let schemaName = quoteIdentifier(schema)
        let rolledBack = prepared.transactional && progress.transactionEnd == nil
        if cancellation.isCancelled {
            error.code = .cancelled
            error.message =
                "Cancelled while migrating schema \(schemaName) to \(prepared.label): "
                + (rolledBack
                    ? "changes successfully rolled back."
                    : "the migration was interrupted after part of it committed; it is recorded as failed.")
            return error
        }
        if error.lockLost {
            error.message =
                "Migration \(prepared.file.relativePath) stopped: \(error.message)\nMigration of schema \(schemaName) "
                + "to \(prepared.label) did not complete. "
                + (rolledBack
                    ? "Its transaction was rolled back."
                    : "Statements that completed before stay committed and the migration is recorded as failed: check "
                        + "what it applied, then run repair and migrate again.")
            return error
        }
        if error.endedSession {
            // The server rolled back the open transaction and released the lock with the session: retryable.
            error.message =
                "Migration \(prepared.file.relativePath) was interrupted: the database session ended (\(error.message))"
                + "\nMigration of schema \(schemaName) to \(prepared.label) did not complete. "
                + (rolledBack
                    ? "The server rolled back its transaction and released the migration lock with the session: "
                        + "nothing of it was committed. Run migrate again."
                    : "Statements that completed before the interruption stay committed and the migration is "
                        + "recorded as failed: check what it applied, then run repair and migrate again.")
            error.code = .connection
            return error
        }
        guard error.code == .database || error.code == .migrationFailed else { return error }
        let outcome =
            rolledBack
            ? "Changes successfully rolled back."
            : progress.transactionEnd != nil
                ? "Please restore backups and roll back database and code! (the script committed part-way itself, "
                    + "so statements up to its COMMIT stay applied; run repair after fixing it)"
                : "Please restore backups and roll back database and code! (the migration is not transactional, so "
                    + "statements before the failing one stay applied; run repair after fixing it)"
        if error.sqlState == .lockNotAvailable, let timeout = configuration.ddlSafety.lockTimeoutMilliseconds {
            error.hint = [
                error.hint,
                "The migration waited longer than lock_timeout (\(timeout) ms) for a lock held by another session "
                    + "\(attempts == 1 ? "once" : "on each of \(attempts) attempts"). Run it again at a quieter "
                    + "time, or raise --lock-timeout\(attempts == 1 ? " or --lock-timeout-retries" : "").",
            ].compactMap { $0 }.joined(separator: " ")
        }
        error.message =
            "Migration \(prepared.file.relativePath) failed: \(error.message)\n"
            + "Migration of schema \(schemaName) to \(prepared.label) failed! \(outcome)"
        if error.code == .database { error.code = .migrationFailed }
        return error
    }

    static func milliseconds(since start: Date) -> Int { Int(Date().timeIntervalSince(start) * 1000) }
}
