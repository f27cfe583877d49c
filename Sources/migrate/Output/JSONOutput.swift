#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Runway

/// Flyway's JSON shapes (`-outputType=json`), plus Runway's extra fields (checksums, transactional).
enum JSONOutput {
    static var timestamp: String { Timestamps.utc() }

    /// `schemaName` is the configured `schemas`, comma-separated (empty when only the connection's schema is used),
    /// as Flyway writes it. A failed run (`failure`) keeps what it applied before the error, with `success` false,
    /// Flyway's `exception` and `error`, and a null `targetSchemaVersion`.
    static func migrate(_ result: MigrateResult, schemas: [String], failure: RunwayError? = nil) -> JSONValue {
        // Flyway's target version: the last versioned migration this run applied; null for a run that applied
        // none, or failed.
        let target = failure == nil ? result.migrations.last { $0.version != nil }?.version : nil
        var fields: [(String, JSONValue)] = [
            ("timestamp", .string(timestamp)), ("operation", .string("migrate")),
            ("exception", .optional(failure?.description)), ("licenseFailed", .bool(false)),
            ("initialSchemaVersion", .optional(result.initialSchemaVersion)),
            ("targetSchemaVersion", .optional(target)),
            ("schemaName", .string(schemas.joined(separator: ", "))),
            (
                "migrations",
                .array(
                    result.migrations.map { m in
                        .object([
                            ("category", .string(m.category)), ("version", .string(m.version ?? "")),
                            ("description", .string(m.description)), ("type", .string(m.type.rawValue)),
                            ("filepath", .string(m.filepath)), ("executionTime", .int(m.executionTime)),
                            ("script", .string(m.script)), ("transactional", .bool(m.transactional)),
                        ])
                    })
            ),
            ("migrationsExecuted", .int(result.migrationsExecuted)), ("success", .bool(failure == nil)),
            ("flywayVersion", .string("runway-\(RunwayVersion.current)")), ("database", .string(result.database)),
            ("warnings", .array(result.warnings.map(JSONValue.string))), ("databaseType", .string("PostgreSQL")),
        ]
        if let failure { fields.append(("error", errorDetails(failure))) }
        fields.append(("totalMigrationTime", .int(result.totalMigrationTime)))
        return .object(fields)
    }

    /// `schemaName` as `migrate`'s: the configured `schemas`.
    static func info(_ result: InfoResult, schemas: [String]) -> JSONValue {
        .object([
            ("timestamp", .string(timestamp)), ("operation", .string("info")), ("exception", .null),
            ("licenseFailed", .bool(false)), ("schemaVersion", .optional(result.schemaVersion)),
            ("schemaName", .string(schemas.joined(separator: ", "))),
            ("migrations", .array(result.migrations.map(migration))),
            ("flywayVersion", .string("runway-\(RunwayVersion.current)")), ("database", .string(result.database)),
            ("allSchemasEmpty", .bool(result.allSchemasEmpty)), ("historyTable", .string(result.historyTable)),
        ])
    }

    static func migration(_ entry: MigrationInfo) -> JSONValue {
        // Flyway's JSON says `No` also for Deleted rows, where its table says nothing.
        let undoable =
            entry.state == .deleted && entry.versionText != nil && entry.type != .delete ? "No" : entry.undoable
        return .object([
            ("category", .string(entry.category)), ("version", .string(entry.versionText ?? "")),
            ("rawVersion", .string(entry.versionText ?? "")), ("description", .string(entry.description)),
            ("type", .string(entry.type.rawValue)), ("installedOnUTC", .string(entry.applied?.installedOnUTC ?? "")),
            ("state", .string(entry.state.displayName)), ("undoable", .string(undoable)),
            ("filepath", .string(entry.resolved?.path ?? "")), ("undoFilepath", .string(entry.undoFile?.path ?? "")),
            ("installedBy", .string(entry.applied?.installedBy ?? "")), ("shouldExecuteExpression", .null),
            ("executionTime", .int(entry.applied?.executionTime ?? 0)),
            ("script", .string(entry.script)),
            ("localChecksum", .optional(entry.resolved.map { Int($0.checksum.value) })),
            ("appliedChecksum", .optional(entry.applied?.checksum.map { Int($0) })),
            ("installedRank", .optional(entry.applied?.installedRank)),
        ])
    }

    static func validate(_ result: ValidateResult) -> JSONValue {
        .object([
            ("flywayVersion", .string("runway-\(RunwayVersion.current)")), ("database", .string(result.database)),
            ("warnings", .array(result.warnings.map(JSONValue.string))), ("operation", .string("validate")),
            (
                "errorDetails",
                result.isValid
                    ? .null
                    : .object([
                        ("errorCode", .string("VALIDATE_ERROR")),
                        ("errorMessage", .string("Migrations have failed validation")),
                    ])
            ),
            (
                "invalidMigrations",
                .array(
                    result.problems.map { problem in
                        .object([
                            ("version", .string(problem.version ?? "")), ("description", .string(problem.description)),
                            ("filepath", .string(problem.filepath ?? "")),
                            (
                                "errorDetails",
                                .object([
                                    ("errorCode", .string(problem.code)), ("errorMessage", .string(problem.message)),
                                ])
                            ),
                        ])
                    })
            ),
            ("validationSuccessful", .bool(result.isValid)), ("validateCount", .int(result.validateCount)),
            ("allErrorMessages", .string(result.problems.map(\.message).joined(separator: "\n"))),
        ])
    }

    static func header(_ operation: String, database: String, warnings: [String] = []) -> [(String, JSONValue)] {
        [
            ("flywayVersion", .string("runway-\(RunwayVersion.current)")), ("database", .string(database)),
            ("warnings", .array(warnings.map(JSONValue.string))), ("operation", .string(operation)),
        ]
    }

    static func baseline(_ result: BaselineResult) -> JSONValue {
        .object(
            header("baseline", database: result.database, warnings: result.warnings) + [
                ("successfullyBaselined", .bool(result.successfullyBaselined)),
                ("baselineVersion", .string(result.baselineVersion)),
            ])
    }

    static func repair(_ result: RepairResult) -> JSONValue {
        func list(_ items: [RepairedMigration]) -> JSONValue {
            .array(
                items.map {
                    .object([
                        ("version", .string($0.version ?? "")), ("description", .string($0.description)),
                        ("filepath", .string($0.filepath ?? "")),
                    ])
                })
        }
        return .object(
            header("repair", database: result.database) + [
                ("repairActions", .array(result.repairActions.map(JSONValue.string))),
                ("migrationsRemoved", list(result.migrationsRemoved)),
                ("migrationsDeleted", list(result.migrationsDeleted)),
                ("migrationsAligned", list(result.migrationsAligned)),
            ])
    }

    static func clean(_ result: CleanResult) -> JSONValue {
        .object(
            header("clean", database: result.database) + [
                ("schemasCleaned", .array(result.schemasCleaned.map(JSONValue.string))),
                ("schemasDropped", .array(result.schemasDropped.map(JSONValue.string))),
            ])
    }

    /// A failed command: a failed `migrate` that had started applying is its whole result (Flyway's shape);
    /// anything else is `operation`, `success` and the `error` object.
    static func error(_ error: RunwayError, operation: String, schemas: [String]) -> JSONValue {
        if operation == "migrate", let result = error.migrateResult {
            return migrate(result, schemas: schemas, failure: error)
        }
        if operation == "undo", let result = error.undoResult {
            return undo(result, schemas: schemas, failure: error)
        }
        return .object([
            ("operation", .string(operation)), ("success", .bool(false)), ("error", errorDetails(error)),
        ])
    }

    /// Flyway's error object, its fields in Flyway's order. `errorCode` is Flyway's code where Flyway has one for
    /// the failure (`FAILED_VERSIONED_MIGRATION`, `DB_CONNECTION`...), else Runway's (`CONFIGURATION`...).
    static func errorDetails(_ error: RunwayError) -> JSONValue {
        let code =
            error.flywayErrorCode
            ?? (error.code == .connection || error.code == .authentication ? "DB_CONNECTION" : error.code.rawValue)
        var fields: [(String, JSONValue)] = [("errorCode", .string(code))]
        if let sqlState = error.sqlState {
            fields += [("sqlState", .string(sqlState.rawValue)), ("sqlErrorCode", .int(0))]
        }
        fields.append(("message", .string(error.description)))
        if let line = error.line { fields.append(("lineNumber", .int(line))) }
        if let file = error.file { fields.append(("path", .string(file))) }
        fields.append(("cause", .null))
        return .object(fields)
    }

    /// Flyway Teams' undo result (`initialSchemaVersion`, `targetSchemaVersion`, `schemaName`, `undoneMigrations`,
    /// `migrationsUndone`, ..., `operation`), plus `success` and, for a failed run, `error`.
    static func undo(_ result: UndoResult, schemas: [String], failure: RunwayError? = nil) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("initialSchemaVersion", .optional(result.initialSchemaVersion)),
            ("targetSchemaVersion", .optional(result.targetSchemaVersion)),
            ("schemaName", .string(schemas.joined(separator: ", "))),
            (
                "undoneMigrations",
                .array(
                    result.migrations.map { m in
                        .object([
                            ("version", .string(m.version)), ("description", .string(m.description)),
                            ("filepath", .string(m.filepath)), ("executionTime", .int(m.executionTime)),
                            ("script", .string(m.script)),
                        ])
                    })
            ),
            ("migrationsUndone", .int(result.migrationsUndone)),
            ("flywayVersion", .string("runway-\(RunwayVersion.current)")), ("database", .string(result.database)),
            ("warnings", .array(result.warnings.map(JSONValue.string))), ("operation", .string("undo")),
            ("success", .bool(failure == nil)), ("totalUndoTime", .int(result.totalUndoTime)),
        ]
        if let failure { fields.append(("error", errorDetails(failure))) }
        return .object(fields)
    }
}
