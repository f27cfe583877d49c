#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Runway

/// Flyway's JSON shapes (`-outputType=json`), plus Runway's extra fields (checksums, transactional).
enum JSONOutput {
    static var timestamp: String { Timestamps.utc() }

    static func migrate(_ result: MigrateResult) -> JSONValue {
        .object([
            ("timestamp", .string(timestamp)), ("operation", .string("migrate")), ("exception", .null),
            ("licenseFailed", .bool(false)),
            ("initialSchemaVersion", .optional(result.initialSchemaVersion)),
            ("targetSchemaVersion", .optional(result.targetSchemaVersion)),
            ("schemaName", .string(result.schemas.first ?? "")),
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
            ("migrationsExecuted", .int(result.migrationsExecuted)), ("success", .bool(true)),
            ("flywayVersion", .string("runway-\(RunwayVersion.current)")), ("database", .string(result.database)),
            ("warnings", .array(result.warnings.map(JSONValue.string))), ("databaseType", .string("PostgreSQL")),
            ("totalMigrationTime", .int(result.totalMigrationTime)),
        ])
    }

    static func info(_ result: InfoResult) -> JSONValue {
        .object([
            ("timestamp", .string(timestamp)), ("operation", .string("info")), ("exception", .null),
            ("licenseFailed", .bool(false)), ("schemaVersion", .optional(result.schemaVersion)),
            ("schemaName", .string(result.schemas.joined(separator: ", "))),
            ("migrations", .array(result.migrations.map(migration))),
            ("flywayVersion", .string("runway-\(RunwayVersion.current)")), ("database", .string(result.database)),
            ("allSchemasEmpty", .bool(result.allSchemasEmpty)), ("historyTable", .string(result.historyTable)),
        ])
    }

    static func migration(_ entry: MigrationInfo) -> JSONValue {
        let undoable =
            entry.versionText == nil || entry.type == .delete || entry.applied?.isSynthetic == true ? "" : "No"
        return .object([
            ("category", .string(entry.category)), ("version", .string(entry.versionText ?? "")),
            ("rawVersion", .string(entry.versionText ?? "")), ("description", .string(entry.description)),
            ("type", .string(entry.type.rawValue)), ("installedOnUTC", .string(entry.applied?.installedOnUTC ?? "")),
            ("state", .string(entry.state.displayName)), ("undoable", .string(undoable)),
            ("filepath", .string(entry.resolved?.path ?? "")), ("undoFilepath", .string("")),
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

    static func error(_ error: RunwayError, operation: String) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("errorCode", .string(error.code.rawValue)), ("message", .string(error.description)),
        ]
        if let sqlState = error.sqlState {
            fields += [("sqlState", .string(sqlState.rawValue)), ("sqlErrorCode", .int(0))]
        }
        if let line = error.line { fields.append(("lineNumber", .int(line))) }
        if let file = error.file { fields.append(("path", .string(file))) }
        fields.append(("cause", .null))
        return .object([("operation", .string(operation)), ("success", .bool(false)), ("error", .object(fields))])
    }
}
