#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

// `undo` (Flyway Teams' command): revert the latest applied versioned migration, or every one down to the target, by
// running its `U<version>__<description>.sql` file and recording an `UNDO_SQL` row. Everything that could refuse is
// checked before anything runs, so a refused undo changes nothing.

extension Engine {
    /// Reverts applied versioned migrations under the advisory lock; see ``Migrator/undo()``.
    func undo() throws(RunwayError) -> UndoResult {
        let started = Date()
        let context = try open(readWrite: true)
        return try withMigrationLock(context) { () throws(RunwayError) in
            try undoLocked(context, started: started)
        }
    }

    private func undoLocked(_ context: Context, started: Date) throws(RunwayError) -> UndoResult {
        let session = context.session
        let schemaName = quoteIdentifier(session.defaultSchema)
        guard try session.history.exists(on: session.work) else {
            logger.info("Schema \(schemaName) has no schema history table: nothing to undo")
            return UndoResult(
                initialSchemaVersion: nil, targetSchemaVersion: nil, schemas: session.schemas, migrations: [],
                database: session.database, warnings: context.files.skippedLocations,
                totalUndoTime: Self.milliseconds(since: started))
        }
        // The target of `undo` is where it stops (handled below), not a cap on what counts as applied.
        let service = try infoService(context, target: .latest, historyExists: true)
        // What to undo, each checked and its undo file read and split, before validation (whose message for a failed
        // migration would not say why undo refuses it) and before anything runs.
        let plan = try undoPlan(service)
        var prepared: [PreparedMigration] = []
        for entry in plan {
            prepared.append(try prepareUndo(entry, context: context))
        }
        if configuration.validateOnMigrate {
            let problems = service.validate(ignoring: configuration.ignoreMigrationPatterns + [.anyPending])
            if !problems.isEmpty { throw Self.validationError(problems) }
        }
        let initialVersion = service.current?.versionText
        logger.info("Current version of schema \(schemaName): \(initialVersion ?? "<< Empty Schema >>")")
        guard !prepared.isEmpty else {
            logger.info("Schema \(schemaName) has no versioned migration to undo")
            return UndoResult(
                initialSchemaVersion: initialVersion, targetSchemaVersion: initialVersion, schemas: session.schemas,
                migrations: [], database: session.database, warnings: context.files.skippedLocations,
                totalUndoTime: Self.milliseconds(since: started))
        }

        var reports: [UndoneMigrationReport] = []
        for undo in prepared {
            try cancellation.check()
            do throws(RunwayError) {
                reports.append(try applyUndo(undo, context: context))
            } catch {
                let result = UndoResult(
                    initialSchemaVersion: initialVersion,
                    targetSchemaVersion: try? infoService(context, target: .latest).current?.versionText,
                    schemas: session.schemas, migrations: reports, database: session.database,
                    warnings: context.files.skippedLocations, totalUndoTime: Self.milliseconds(since: started))
                throw error.refined { $0.undoResult = result }
            }
        }
        let finalVersion = try infoService(context, target: .latest, historyExists: true).current?.versionText
        let total = Self.milliseconds(since: started)
        let summary =
            "Successfully undid \(reports.count) migration\(reports.count == 1 ? "" : "s") to schema \(schemaName)"
            + (finalVersion.map { ", now at version v\($0)" } ?? "") + " (execution time \(Self.formatDuration(total)))"
        logger.info("\(summary)")
        return UndoResult(
            initialSchemaVersion: initialVersion, targetSchemaVersion: finalVersion, schemas: session.schemas,
            migrations: reports, database: session.database, warnings: context.files.skippedLocations,
            totalUndoTime: total)
    }

    /// The applied versioned migrations to undo, latest applied first: the latest one, or with a target every one
    /// whose version is at or above it (Flyway Teams: "until it hits one with a version below the target").
    func undoPlan(_ service: MigrationInfoService) throws(RunwayError) -> [MigrationInfo] {
        let live = service.all.filter { entry in
            guard let row = entry.applied, row.version != nil, !row.isSynthetic, row.type != .undoSQL else {
                return false
            }
            return entry.state != .undone && entry.state != .deleted
        }.sorted { ($0.applied?.installedRank ?? 0) > ($1.applied?.installedRank ?? 0) }
        switch configuration.target {
        case .version(let target, let optional):
            if !optional, !service.all.contains(where: { $0.version == target }) {
                throw .configuration(
                    "No migration with a target version \(target.text) could be found. Ensure target is specified "
                        + "correctly and the migration exists.")
            }
            return Array(live.prefix(while: { ($0.version.map { $0 >= target }) ?? false }))
        case .latest:
            return Array(live.prefix(1))
        default:
            throw .configuration(
                "undo takes a target version (the lowest version to undo) or none (the latest applied migration); "
                    + "'\(configuration.target)' is not one")
        }
    }

    /// Checks that `entry` can be undone and prepares its undo file: it must have succeeded, be a versioned SQL
    /// migration with its file (itself transactional) and an undo file that can run in a transaction.
    private func prepareUndo(_ entry: MigrationInfo, context: Context) throws(RunwayError) -> PreparedMigration {
        let session = context.session
        let version = entry.versionText ?? ""
        let what = "migration \(version) (\(entry.description))"
        func refuse(_ message: String, file: String? = nil) -> RunwayError {
            RunwayError(.invalidMigration, "Unable to undo \(what): \(message) Nothing was undone.", file: file)
                .refined { $0.flywayErrorCode = "UNDO_FAILED" }
        }
        if entry.state.isFailed {
            throw refuse(
                "it failed (\(entry.state.displayName)), so it may be half-applied; an undo file reverts a "
                    + "complete migration. Remove what it applied by hand, then run repair.")
        }
        guard entry.type == .sql, let applied = entry.applied else {
            throw refuse("only versioned SQL migrations can be undone; its type is \(entry.type).")
        }
        guard let undoFile = entry.undoFile, let undoScanned = context.file(for: undoFile) else {
            throw refuse(
                "there is no undo file for version \(version) (expected \(configuration.naming.undoPrefix)\(version)"
                    + "\(configuration.naming.separator)<description>\(configuration.naming.suffixes.first ?? ".sql")"
                    + " in the locations).")
        }
        if let forward = entry.resolved, let forwardFile = context.file(for: forward) {
            let forwardPrepared = try prepare(forward, file: forwardFile, session: session, outOfOrder: false)
            if !forwardPrepared.transactional {
                throw refuse(
                    "it was applied without a transaction (\(applied.script) is non-transactional), so it may have "
                        + "committed part-way; Runway undoes transactional migrations only.",
                    file: forwardFile.relativePath)
            }
        }
        let undo = try prepare(undoFile, file: undoScanned, session: session, outOfOrder: false)
        if !undo.transactional {
            throw refuse(
                "its undo file \(undoScanned.relativePath) cannot run in a transaction (a statement such as "
                    + "CREATE/DROP INDEX CONCURRENTLY, or executeInTransaction=false), so it could not be recorded "
                    + "atomically with its history row.", file: undoScanned.relativePath)
        }
        return undo
    }

    /// Runs one undo file in a transaction together with its `UNDO_SQL` row (the lock checked before `COMMIT`).
    private func applyUndo(_ prepared: PreparedMigration, context: Context) throws(RunwayError) -> UndoneMigrationReport
    {
        let session = context.session
        logger.info(
            "Undoing migration of schema \(quoteIdentifier(session.defaultSchema)) to \(prepared.label)",
            metadata: ["migration": "\(prepared.file.relativePath)"])
        let started = Date()
        var row = newRow(prepared, session: session)
        let progress = ScriptProgress()
        do throws(RunwayError) {
            try applyInTransaction(prepared, row: &row, started: started, context: context, progress)
        } catch {
            let failed = failure(error, prepared, schema: session.defaultSchema, progress: progress, attempts: 1)
            throw failed.refined {
                $0.message = $0.message.replacing("Migration of schema", with: "Undo of schema")
                if $0.flywayErrorCode == "FAILED_VERSIONED_MIGRATION" { $0.flywayErrorCode = "UNDO_FAILED" }
            }
        }
        let migration = prepared.migration
        logger.info(
            "Undid migration",
            metadata: [
                "migration": "\(migration.script)", "duration_ms": .stringConvertible(row.executionTime),
                "outcome": "success",
            ])
        return UndoneMigrationReport(
            version: migration.version?.text ?? "", description: migration.description, script: migration.script,
            filepath: migration.path, executionTime: row.executionTime)
    }
}
