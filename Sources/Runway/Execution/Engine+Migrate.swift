import Foundation
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
            logger.info("Successfully validated migrations", metadata: ["count": "\(service.all.count)"])
        }
        let schemaName = quoteIdentifier(session.defaultSchema)
        let version = service.current?.versionText
        logger.info("Current version of schema \(schemaName): \(version ?? "<< Empty Schema >>")")
        logger.info("Schema \(schemaName) is up to date. No migration necessary.")
        return MigrateResult(
            initialSchemaVersion: version, targetSchemaVersion: version, schemas: session.schemas, migrations: [],
            database: session.database, warnings: [], totalMigrationTime: Int(Date().timeIntervalSince(started) * 1000))
    }

    /// Runs `body` holding Flyway's advisory lock for the history table. The lock lives on its own connection that
    /// never opens a transaction, so CREATE INDEX CONCURRENTLY on the work connection never waits for it, nor for a
    /// runner that is waiting for it.
    func withMigrationLock<T>(_ context: Context, _ body: () throws(RunwayError) -> T) throws(RunwayError) -> T {
        let lockConnection = try Session.connect(
            configuration, logger: logger, cancellation: cancellation, readWrite: true)
        defer { cancellation.untrack(lockConnection) }
        let lock = AdvisoryLock(
            key: AdvisoryLockKey(schema: context.session.defaultSchema, table: configuration.table),
            connection: lockConnection, logger: logger)
        try lock.acquire(
            retries: configuration.lockRetryCount, timeout: configuration.lockWaitTimeout, cancellation: cancellation)
        defer { lock.release() }
        return try body()
    }

    /// Everything `migrate` does while holding the lock. The history is (re-)read here, after the lock was taken.
    private func migrateLocked(_ context: Context, started: Date) throws(RunwayError) -> MigrateResult {
        let session = context.session
        let schemaName = quoteIdentifier(session.defaultSchema)
        if configuration.validateOnMigrate {
            let validation = try withCallbacks("Validate", context) { () throws(RunwayError) in
                try validate(context, patterns: configuration.ignoreMigrationPatterns + [.anyPending])
            }
            if !validation.isValid { throw Self.validationError(validation.problems) }
        }
        // On a first run every migration is pending: read, replace and split them all before the history table (or
        // any schema) is created, so a broken script leaves the database exactly as it was.
        var preparedBeforeCreation: [String: ParsedScript] = [:]
        if !(try session.history.exists(on: session.work)) {
            let empty = try MigrationInfoService(
                resolved: context.resolved, applied: [], target: configuration.target,
                outOfOrder: configuration.outOfOrder)
            for entry in empty.pending {
                guard let migration = entry.resolved, let file = context.file(for: migration) else { continue }
                preparedBeforeCreation[migration.path] = try prepare(
                    migration, file: file, session: session, outOfOrder: false
                ).script
                if configuration.target == .next { break }
            }
        }
        try prepareSchemasAndHistory(context)
        let service = try infoService(context)
        let initialVersion = service.current?.versionText
        logger.info("Current version of schema \(schemaName): \(initialVersion ?? "<< Empty Schema >>")")
        if configuration.outOfOrder {
            logger.info("outOfOrder mode is active. Migration of schema \(schemaName) may not be reproducible.")
        }
        var warnings: [String] = []
        try checkFailedAndFuture(service, context: context, warnings: &warnings)
        try service.validateTarget()

        try fire("beforeMigrate", callbacks: context.callbacks, session: session)
        var prepared: [PreparedMigration] = []
        let currentVersion = service.current?.version
        for entry in service.pending {
            guard let migration = entry.resolved, let file = context.file(for: migration) else { continue }
            let outOfOrder = migration.version.map { v in currentVersion.map { v < $0 } ?? false } ?? false
            prepared.append(
                try prepare(
                    migration, file: file, session: session, outOfOrder: outOfOrder,
                    script: preparedBeforeCreation.removeValue(forKey: migration.path)))
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

        let finalVersion = try infoService(context).current?.versionText
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
                    type: "BASELINE", script: configuration.baselineDescription, checksum: nil,
                    installedBy: installedBy(session), executionTime: 0, success: true),
                rank: 1, on: session.work)
            logger.info("Successfully baselined schema with version: \(configuration.baselineVersion)")
        }
        if !createdSchemas.isEmpty {
            try history.insert(
                .init(
                    version: nil, description: "<< Flyway Schema Creation >>", type: "SCHEMA",
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

    /// A migration read, placeholder-replaced and split, with its transaction mode decided.
    struct PreparedMigration {
        let migration: ResolvedMigration
        let file: ScannedFile
        let script: ParsedScript
        let transactional: Bool
        let outOfOrder: Bool

        var statements: [SQLStatement] { script.statements }

        var label: String {
            migration.version.map { "version \"\($0) - \(migration.description)\"" }
                ?? "repeatable migration \"\(migration.description)\""
        }
    }

    /// Reads and splits a migration before anything runs; refuses a script mixing transactional and
    /// non-transactional statements unless `mixed` (Flyway's rule).
    private func prepare(
        _ migration: ResolvedMigration, file: ScannedFile, session: Session, outOfOrder: Bool,
        script alreadyParsed: ParsedScript? = nil
    ) throws(RunwayError) -> PreparedMigration {
        let script: ParsedScript
        if let alreadyParsed { script = alreadyParsed } else { script = try self.script(of: file, session: session) }
        let statements = script.statements
        let executeInTransaction = file.config.executeInTransaction ?? configuration.executeInTransaction
        if file.config.executeInTransaction == nil, executeInTransaction, !configuration.mixed,
            let mixed = statements.mixedTransactionality
        {
            throw RunwayError(.invalidMigration, mixed.message, file: file.relativePath, line: mixed.offending.line)
        }
        return PreparedMigration(
            migration: migration, file: file, script: script,
            transactional: executeInTransaction && statements.canExecuteInTransaction, outOfOrder: outOfOrder)
    }

    /// Applies one migration. A transactional migration runs in one transaction together with its history row (and
    /// its `beforeEachMigrate`/`afterEachMigrate` callbacks); a non-transactional one runs statement by statement in
    /// autocommit and records a failed row if it fails.
    private func apply(_ prepared: PreparedMigration, context: Context) throws(RunwayError) -> AppliedMigrationReport {
        let session = context.session
        let started = announce(prepared, session: session)
        var row = newRow(prepared, session: session)
        do throws(RunwayError) {
            if prepared.transactional {
                var attempt = 0
                while true {
                    do throws(RunwayError) {
                        // Three round trips for a small migration: BEGIN with the session reset, the statements,
                        // the history row with the COMMIT.
                        try session.withTransaction(restoringState: true) { () throws(RunwayError) in
                            try run(prepared, context: context, stateRestored: true)
                            row.executionTime = Self.milliseconds(since: started)
                            session.executeAtCommit(try session.history.insertStatement(row, on: session.work))
                        }
                        break
                    } catch where error.needsPreciseRerun {
                        // A batch failed without saying where; everything was rolled back. Run the migration again
                        // statement by statement: it fails at the exact statement (and line) this time.
                        do throws(RunwayError) {
                            try session.withTransaction { () throws(RunwayError) in
                                try run(prepared, context: context, precise: true)
                                row.executionTime = Self.milliseconds(since: started)
                                try session.history.insert(row, on: session.work)
                            }
                        } catch let rerunError where rerunError.file == nil {
                            var original = error
                            original.needsPreciseRerun = false
                            throw original
                        }
                        break
                    } catch where error.sqlState == "55P03" && attempt < configuration.ddlSafety.lockTimeoutRetries {
                        // lock_timeout: rolled back; let the application's queries through, then try again.
                        attempt += 1
                        let wait = min(1 << (attempt - 1), 30)
                        logger.warning(
                            "Migration waited longer than lock_timeout for a lock and was rolled back; retrying",
                            metadata: [
                                "migration": "\(prepared.file.relativePath)", "retry": "\(attempt)",
                                "of": "\(configuration.ddlSafety.lockTimeoutRetries)", "retry_in_seconds": "\(wait)",
                            ])
                        try cancellation.sleep(seconds: Double(wait))
                    }
                }
            } else {
                do {
                    try run(prepared, context: context)
                } catch {
                    row.executionTime = Self.milliseconds(since: started)
                    row.success = false
                    recordFailure(row, session: session)
                    throw error
                }
                row.executionTime = Self.milliseconds(since: started)
                try session.history.insert(row, on: session.work)
            }
        } catch {
            fireQuietly("afterEachMigrateError", callbacks: context.callbacks, session: session)
            throw failure(error, prepared, schema: session.defaultSchema, rolledBack: prepared.transactional)
        }
        return report(prepared, executionTime: row.executionTime)
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
        do throws(RunwayError) {
            try session.withTransaction { () throws(RunwayError) in
                for prepared in group {
                    current = prepared
                    let started = announce(prepared, session: session)
                    var row = newRow(prepared, session: session)
                    try run(prepared, context: context)
                    row.executionTime = Self.milliseconds(since: started)
                    try session.history.insert(row, on: session.work)
                    reports.append(report(prepared, executionTime: row.executionTime))
                }
            }
        } catch {
            fireQuietly("afterEachMigrateError", callbacks: context.callbacks, session: session)
            guard let current else { throw error }
            throw failure(error, current, schema: session.defaultSchema, rolledBack: true)
        }
        return reports
    }

    /// Session reset, `beforeEachMigrate`, the statements (with statement callbacks), `afterEachMigrate`.
    private func run(
        _ prepared: PreparedMigration, context: Context, precise: Bool = false, stateRestored: Bool = false
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
        if prepared.transactional, !statementCallbacks, !precise {
            try runBatched(prepared, session: session)
            try fire("afterEachMigrate", callbacks: callbacks, session: session, inTransaction: true)
            return
        }
        for (index, statement) in prepared.statements.enumerated() {
            try cancellation.check()
            if statementCallbacks {
                try fire("beforeEachMigrateStatement", callbacks: callbacks, session: session, inTransaction: true)
            }
            do {
                try session.work.execute(statement, of: prepared.script)
            } catch {
                var error = error
                error.file = prepared.file.relativePath
                error.line = Self.line(of: statement, position: error.position)
                error.statement = Self.shorten(statement.sql)
                if !prepared.transactional {
                    if statementCallbacks {
                        fireQuietly("afterEachMigrateStatementError", callbacks: callbacks, session: session)
                    }
                    error.detail = [error.detail, partialProgress(prepared, failedAt: index, session: session)]
                        .compactMap { $0 }.joined(separator: "\n")
                }
                throw error
            }
            if statementCallbacks {
                try fire("afterEachMigrateStatement", callbacks: callbacks, session: session, inTransaction: true)
            }
        }
        try fire("afterEachMigrate", callbacks: callbacks, session: session, inTransaction: true)
    }

    /// Sends a transactional migration's statements in batches: many statements in one simple-protocol query, so a
    /// file of 60,000 INSERTs costs tens of round trips instead of 60,000. `COPY ... FROM STDIN` goes on its own.
    ///
    /// A failing batch is attributed exactly: the server's error position is mapped back to the statement and its
    /// line; an error without a position marks the error `needsPreciseRerun`, and ``apply(_:context:)`` runs the
    /// (rolled back) migration once more statement by statement to name the statement.
    private func runBatched(_ prepared: PreparedMigration, session: Session) throws(RunwayError) {
        let maximumBytes = 1 << 20
        var batch: [SQLStatement] = []
        var batchText = ""
        func flush() throws(RunwayError) {
            guard !batch.isEmpty else { return }
            defer {
                batch.removeAll(keepingCapacity: true)
                batchText = ""
            }
            try cancellation.check()
            do {
                try session.work.execute(batchText)
            } catch {
                throw attribute(error, batch: batch, prepared: prepared)
            }
        }
        for statement in prepared.statements {
            if statement.copyData != nil || statement.copyDataRange != nil {
                try flush()
                batch = [statement]
                do {
                    try session.work.execute(statement, of: prepared.script)
                } catch {
                    throw attribute(error, batch: batch, prepared: prepared)
                }
                batch = []
                continue
            }
            // A newline before each `;` ends a trailing `--` comment of the statement before it.
            batchText += batch.isEmpty ? statement.sql : "\n;\n" + statement.sql
            batch.append(statement)
            if batchText.utf8.count >= maximumBytes { try flush() }
        }
        try flush()
    }

    /// Maps an error of a batch onto its statement: the server's position counts characters from the start of the
    /// batch text, each statement followed by `\n;\n`.
    private func attribute(_ error: RunwayError, batch: [SQLStatement], prepared: PreparedMigration) -> RunwayError {
        var error = error
        error.file = prepared.file.relativePath
        guard batch.count > 1 else {
            if let statement = batch.first {
                error.line = Self.line(of: statement, position: error.position)
                error.statement = Self.shorten(statement.sql)
            }
            return error
        }
        guard let position = error.position else {
            // A lost connection cannot be re-run (and is not about a statement); anything else is located by a
            // statement-by-statement re-run.
            let state = error.sqlState ?? ""
            let sessionLost = state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
            error.needsPreciseRerun = error.code == .database && !sessionLost
            return error
        }
        var start = 1
        for statement in batch {
            let length = statement.sql.unicodeScalars.count
            if position < start + length + 3 {
                error.position = max(1, position - start + 1)
                error.line = Self.line(of: statement, position: error.position)
                error.statement = Self.shorten(statement.sql)
                return error
            }
            start += length + 3
        }
        error.needsPreciseRerun = true
        return error
    }

    /// For a non-transactional migration that failed part-way: which statements committed, and the INVALID indexes
    /// a failed `CREATE INDEX CONCURRENTLY` leaves behind, with the statement that removes each.
    private func partialProgress(_ prepared: PreparedMigration, failedAt index: Int, session: Session) -> String {
        let committed = prepared.statements.prefix(index)
        var lines: [String] = []
        if committed.isEmpty {
            lines.append("No statement of \(prepared.file.relativePath) was committed before the failure.")
        } else {
            let where_ = committed.map { "line \($0.line)" }.joined(separator: ", ")
            lines.append(
                "Committed before the failure (not rolled back): \(committed.count) of \(prepared.statements.count) "
                    + "statements (\(where_)).")
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
        if configuration.ddlSafety.lockTimeoutMilliseconds != nil { _ = try? session.work.execute("RESET lock_timeout") }
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
            try session.history.insert(row, on: session.work)
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
                "migration": "\(migration.script)", "duration_ms": "\(executionTime)", "outcome": "success",
                "transactional": "\(prepared.transactional)",
            ])
        return AppliedMigrationReport(
            category: migration.version == nil
                ? "Repeatable" : (migration.kind == .baseline ? "Baseline" : "Versioned"),
            version: migration.version?.text, description: migration.description, type: migration.type,
            script: migration.script, filepath: migration.path, executionTime: executionTime,
            transactional: prepared.transactional)
    }

    private func failure(
        _ error: RunwayError, _ prepared: PreparedMigration, schema: String, rolledBack: Bool
    ) -> RunwayError {
        var error = error
        let schemaName = quoteIdentifier(schema)
        if cancellation.isCancelled {
            error.code = .cancelled
            error.message =
                "Cancelled while migrating schema \(schemaName) to \(prepared.label): "
                + (rolledBack
                    ? "changes successfully rolled back."
                    : "the non-transactional migration was interrupted part-way; it is recorded as failed.")
            return error
        }
        guard error.code == .database || error.code == .connection || error.code == .migrationFailed else {
            return error
        }
        let outcome =
            rolledBack
            ? "Changes successfully rolled back."
            : "Please restore backups and roll back database and code! (the migration is not transactional, so "
                + "statements before the failing one stay applied; run repair after fixing it)"
        if error.sqlState == "55P03", let timeout = configuration.ddlSafety.lockTimeoutMilliseconds {
            let tries = configuration.ddlSafety.lockTimeoutRetries + 1
            error.hint = [
                error.hint,
                "The migration waited longer than lock_timeout (\(timeout) ms) for a lock held by another session, "
                    + "\(tries) time(s). Run it again at a quieter time, or raise --lock-timeout.",
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
