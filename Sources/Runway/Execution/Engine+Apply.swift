#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

// Applying one migration: prepare it (read, replace placeholders, split, decide its transaction mode), run it in its
// transaction or in autocommit, record it in the history, and turn a failure into an error that names the file, the
// line and what was left behind. The run's flow (scan, plan, lock, loop) is in Engine+Migrate.swift; running the
// statements themselves is in Engine+Statements.swift.

extension Engine {
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
    func prepare(
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
    func apply(_ prepared: PreparedMigration, context: Context) throws(RunwayError) -> AppliedMigrationReport {
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
    func applyInTransaction(
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
    func applyInAutocommit(
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
    func insertInProgress(_ row: SchemaHistory.NewRow, session: Session) throws(RunwayError) -> Int {
        let history = session.history
        let sql = try history.insertStatement(row, on: session.work) + " RETURNING \"installed_rank\"::text"
        guard let rank = try session.recordInHistory(sql).scalar.flatMap({ Int($0) }) else {
            throw RunwayError(.database, "Unable to record the start of a migration in \(history.qualifiedName)")
        }
        return rank
    }

    /// `group`: every pending migration in one transaction (or all without one when `mixed` allows a mix).
    func applyGroup(
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
                current = nil  // every statement ran: what fails now is the group's COMMIT
            }
        } catch {
            fireQuietly("afterEachMigrateError", callbacks: context.callbacks, session: session)
            guard let current else { throw groupCommitFailure(error, group, schema: session.defaultSchema) }
            throw failure(error, current, schema: session.defaultSchema, progress: progress, attempts: 1)
        }
        return reports
    }

    /// For a migration that failed after part of it committed (a non-transactional one, or one whose script ended
    /// its transaction itself): which statements committed, and the INVALID indexes a failed
    /// `CREATE INDEX CONCURRENTLY` leaves behind, with the statement that removes each.
    func partialProgress(
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
    func applyTimeouts(local: Bool, session: Session) throws(RunwayError) {
        let scope = local ? "LOCAL " : ""
        if let lock = configuration.ddlSafety.lockTimeoutMilliseconds {
            try session.work.execute("SET \(scope)lock_timeout = \(lock)")
        }
        if let statement = configuration.ddlSafety.statementTimeoutMilliseconds {
            try session.work.execute("SET \(scope)statement_timeout = \(statement)")
        }
    }

    func resetTimeouts(session: Session) {
        if configuration.ddlSafety.lockTimeoutMilliseconds != nil {
            _ = try? session.work.execute("RESET lock_timeout")
        }
        if configuration.ddlSafety.statementTimeoutMilliseconds != nil {
            _ = try? session.work.execute("RESET statement_timeout")
        }
    }

    func announce(_ prepared: PreparedMigration, session: Session) -> Date {
        let flags =
            (prepared.transactional ? "" : " [non-transactional]") + (prepared.outOfOrder ? " [out of order]" : "")
        logger.info(
            "Migrating schema \(quoteIdentifier(session.defaultSchema)) to \(prepared.label)\(flags)",
            metadata: ["migration": "\(prepared.file.relativePath)"])
        return Date()
    }

    func newRow(_ prepared: PreparedMigration, session: Session) -> SchemaHistory.NewRow {
        let migration = prepared.migration
        return SchemaHistory.NewRow(
            version: migration.version?.text, description: migration.description, type: migration.type,
            script: migration.script, checksum: migration.checksum.value, installedBy: installedBy(session),
            executionTime: 0, success: true)
    }

    func recordFailure(_ row: SchemaHistory.NewRow, session: Session) {
        do {
            session.rollback()
            try session.recordInHistory(try session.history.insertStatement(row, on: session.work))
        } catch {
            logger.error(
                "Unable to record the failed migration in the schema history", metadata: ["error": "\(error.message)"])
        }
    }

    func report(_ prepared: PreparedMigration, executionTime: Int) -> AppliedMigrationReport {
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

    func failure(
        _ error: RunwayError, _ prepared: PreparedMigration, schema: String, progress: ScriptProgress, attempts: Int
    ) -> RunwayError {
        var refined = error.fields
        let schemaName = quoteIdentifier(schema)
        let rolledBack = prepared.transactional && progress.transactionEnd == nil
        if cancellation.isCancelled {
            refined.code = .cancelled
            refined.message =
                "Cancelled while migrating schema \(schemaName) to \(prepared.label): "
                + (rolledBack
                    ? "changes successfully rolled back."
                    : "the migration was interrupted after part of it committed; it is recorded as failed.")
            return RunwayError(refined)
        }
        if error.lockLost {
            refined.message =
                "Migration \(prepared.file.relativePath) stopped: \(error.message)\nMigration of schema \(schemaName) "
                + "to \(prepared.label) did not complete. "
                + (rolledBack
                    ? "Its transaction was rolled back."
                    : "Statements that completed before stay committed and the migration is recorded as failed: check "
                        + "what it applied, then run repair and migrate again.")
            return RunwayError(refined)
        }
        if error.endedSession {
            // The server rolled back the open transaction and released the lock with the session: retryable.
            refined.message =
                "Migration \(prepared.file.relativePath) was interrupted: the database session ended (\(error.message))"
                + "\nMigration of schema \(schemaName) to \(prepared.label) did not complete. "
                + (rolledBack
                    ? "The server rolled back its transaction and released the migration lock with the session: "
                        + "nothing of it was committed. Run migrate again."
                    : "Statements that completed before the interruption stay committed and the migration is "
                        + "recorded as failed: check what it applied, then run repair and migrate again.")
            refined.code = .connection
            return RunwayError(refined)
        }
        guard refined.code == .database || refined.code == .migrationFailed else { return error }
        let outcome =
            rolledBack
            ? "Changes successfully rolled back."
            : progress.transactionEnd != nil
                ? "Please restore backups and roll back database and code! (the script committed part-way itself, "
                    + "so statements up to its COMMIT stay applied; run repair after fixing it)"
                : "Please restore backups and roll back database and code! (the migration is not transactional, so "
                    + "statements before the failing one stay applied; run repair after fixing it)"
        if refined.sqlState == .lockNotAvailable, let timeout = configuration.ddlSafety.lockTimeoutMilliseconds {
            refined.hint = [
                error.hint,
                "The migration waited longer than lock_timeout (\(timeout) ms) for a lock held by another session "
                    + "\(attempts == 1 ? "once" : "on each of \(attempts) attempts"). Run it again at a quieter "
                    + "time, or raise --lock-timeout\(attempts == 1 ? " or --lock-timeout-retries" : "").",
            ].compactMap { $0 }.joined(separator: " ")
        }
        refined.message =
            "Migration \(prepared.file.relativePath) failed: \(error.message)\n"
            + "Migration of schema \(schemaName) to \(prepared.label) failed! \(outcome)"
        if refined.code == .database { refined.code = .migrationFailed }
        if refined.code == .migrationFailed {
            refined.flywayErrorCode =
                prepared.migration.version == nil ? "FAILED_REPEATABLE_MIGRATION" : "FAILED_VERSIONED_MIGRATION"
        }
        return RunwayError(refined)
    }

    /// A group whose statements all ran but whose `COMMIT` failed (a deferred constraint or trigger, the lock
    /// check): no single migration or line is at fault, so the error names the group, not its last file.
    func groupCommitFailure(_ error: RunwayError, _ group: [PreparedMigration], schema: String) -> RunwayError {
        guard !error.lockLost, !error.endedSession, !cancellation.isCancelled,
            error.code == .database || error.code == .migrationFailed
        else { return error }
        return error.refined {
            $0.message =
                "Migration group failed at COMMIT: \(error.message)\nEvery statement of the group ran; the commit "
                + "(deferred constraints and triggers) failed, so the group was rolled back and schema "
                + "\(quoteIdentifier(schema)) is unchanged. Migrations in the group: "
                + group.map(\.file.relativePath).joined(separator: ", ")
            $0.code = .migrationFailed
            $0.flywayErrorCode = "ERROR"  // Flyway 12: "Unable to commit transaction", code ERROR
        }
    }

    static func milliseconds(since start: Date) -> Int { Int(Date().timeIntervalSince(start) * 1000) }
}
