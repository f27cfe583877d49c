#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

extension Engine {
    // MARK: - baseline

    /// Flyway's `baseline` (§8.1): creates the history table with a `BASELINE` row, under the advisory lock.
    func baseline() throws(RunwayError) -> BaselineResult {
        let context = try open(readWrite: true)
        let session = context.session
        let version = try MigrationVersion(configuration.baselineVersion)
        return try withMigrationLock(context) { () throws(RunwayError) in
            try withCallbacks("Baseline", context) { () throws(RunwayError) in
                try session.withTransaction { () throws(RunwayError) in
                    let history = session.history
                    let result = BaselineResult(
                        successfullyBaselined: true, baselineVersion: configuration.baselineVersion,
                        database: session.database, warnings: [])
                    guard try history.exists(on: session.work) else {
                        let created = try createMissingSchemas(context)
                        try createHistory(session, baseline: true, createdSchemas: created)
                        return result
                    }
                    let rows = try history.read(on: session.work)
                    let name = history.qualifiedName
                    if let marker = rows.prefix(2).first(where: { $0.type == .baseline }) {
                        if marker.version == version, marker.description == configuration.baselineDescription {
                            let versionText = marker.versionText ?? ""
                            logger.info(
                                "Schema history table \(name) already initialized with (\(versionText),\(marker.description)). Skipping."
                            )
                            return BaselineResult(
                                successfullyBaselined: false, baselineVersion: configuration.baselineVersion,
                                database: session.database, warnings: [])
                        }
                        throw RunwayError(
                            .validation,
                            "Unable to baseline schema history table \(name) with (\(configuration.baselineVersion),"
                                + "\(configuration.baselineDescription)) as it has already been baselined with ("
                                + "\(marker.versionText ?? ""),\(marker.description))")
                    }
                    let prefix =
                        "Unable to baseline schema history table \(name) with version \(configuration.baselineVersion)"
                    if version == (try? MigrationVersion("0")), rows.contains(where: { $0.type == .schema }) {
                        throw RunwayError(.validation, "\(prefix) as this version was used for schema creation")
                    }
                    if rows.contains(where: { !$0.isSynthetic }) {
                        // Flyway 12 reports this refusal with the code ERROR.
                        throw RunwayError(.validation, "\(prefix) as it already contains migrations").refined {
                            $0.flywayErrorCode = "ERROR"
                        }
                    }
                    if rows.isEmpty {
                        throw RunwayError(
                            .validation,
                            "\(prefix) as it already exists, and is empty.\nDelete the schema history table, and run "
                                + "baseline again.")
                    }
                    try history.insert(
                        .init(
                            version: configuration.baselineVersion, description: configuration.baselineDescription,
                            type: .baseline, script: configuration.baselineDescription, checksum: nil,
                            installedBy: installedBy(session), executionTime: 0, success: true),
                        on: session.work)
                    logger.info("Successfully baselined schema with version: \(configuration.baselineVersion)")
                    return result
                }
            }
        }
    }

    // MARK: - repair

    /// Flyway's `repair` (§8.2), in one transaction: removes failed rows, marks missing migrations deleted and
    /// realigns checksums, descriptions and types with the files.
    func repair() throws(RunwayError) -> RepairResult {
        let context = try open(readWrite: true)
        let session = context.session
        return try withCallbacks("Repair", context) { () throws(RunwayError) in
            guard try session.history.exists(on: session.work) else {
                logger.info("Schema history table does not exist: nothing to repair")
                return RepairResult(
                    repairActions: [], migrationsRemoved: [], migrationsDeleted: [], migrationsAligned: [],
                    database: session.database)
            }
            return try session.withTransaction { () throws(RunwayError) in
                try repair(context)
            }
        }
    }

    private func repair(_ context: Context) throws(RunwayError) -> RepairResult {
        let session = context.session
        let history = session.history
        var actions: [String] = []
        let filePaths = Dictionary(
            context.resolved.map { ($0.version.map { "v:\($0)" } ?? "r:\($0.description)", $0.path) },
            uniquingKeysWith: { a, _ in a })
        func repaired(_ row: AppliedMigration) -> RepairedMigration {
            let key = row.version.map { "v:\($0)" } ?? "r:\(row.description)"
            return RepairedMigration(
                version: row.versionText, description: row.description, script: row.script, filepath: filePaths[key])
        }

        // 1. Failed rows.
        let failed = try history.read(on: session.work).filter { !$0.success }
        if failed.isEmpty {
            logger.info(
                "Repair of failed migration in Schema History table \(history.qualifiedName) not necessary. No failed migration detected."
            )
        } else {
            try session.work.execute("DELETE FROM \(history.qualifiedName) WHERE \"success\" = FALSE")
            actions.append("Removed failed migrations")
            logger.info("Successfully removed failed migrations", metadata: ["count": .stringConvertible(failed.count)])
        }

        // 2. Missing (and, unless ignored, future) migrations get DELETE rows.
        let service = try MigrationInfoService(
            resolved: context.resolved, applied: try history.read(on: session.work), target: .latest,
            outOfOrder: true, undo: context.undo)
        var deleted: [RepairedMigration] = []
        for info in service.all {
            guard let row = info.applied, !row.isSynthetic, row.type != .delete,
                info.state.isMissing || info.state.isFuture,
                !configuration.ignoreMigrationPatterns.contains(where: { $0.matches(info) })
            else { continue }
            try history.insert(
                .init(
                    version: row.versionText, description: row.description, type: .delete, script: row.script,
                    checksum: row.checksum, installedBy: installedBy(session), executionTime: 0, success: row.success),
                on: session.work)
            deleted.append(repaired(row))
        }
        if !deleted.isEmpty { actions.append("Marked missing migrations as deleted") }

        // 3. Realign checksums, descriptions and types.
        var aligned: [RepairedMigration] = []
        for info in service.all {
            guard let row = info.applied, let file = info.resolved, !row.isSynthetic, row.type != .delete,
                info.state != .ignored, info.state != .deleted, info.state != .undone
            else { continue }
            let description = MigrationInfoService.abbreviatedDescription(file.description)
            var update = false
            if file.version != nil {
                update =
                    row.checksum != nil && row.checksum != file.checksum.value
                    || row.description != description || row.type != file.type
            } else if let stored = row.checksum, stored != file.checksum.value, stored == file.equivalentChecksum?.value
            {
                update = true
            }
            guard update else { continue }
            try session.work.query(
                "UPDATE \(history.qualifiedName) SET \"description\" = $1, \"type\" = $2, \"checksum\" = $3::integer "
                    + "WHERE \"installed_rank\" = $4::integer",
                [description, file.type.rawValue, String(file.checksum.value), String(row.installedRank)])
            aligned.append(repaired(row))
        }
        if !aligned.isEmpty { actions.append("Aligned applied migration checksums") }
        logger.info(
            "Successfully repaired schema history table \(history.qualifiedName)",
            metadata: [
                "removed": .stringConvertible(failed.count), "marked_deleted": .stringConvertible(deleted.count),
                "aligned": .stringConvertible(aligned.count),
            ])
        return RepairResult(
            repairActions: actions, migrationsRemoved: failed.map(repaired), migrationsDeleted: deleted,
            migrationsAligned: aligned, database: session.database)
    }

    // MARK: - clean

    /// Flyway's `clean` (§8.3): drops every object in the managed schemas (and the schemas Runway or Flyway
    /// created). Refused unless `cleanDisabled` is false.
    func clean() throws(RunwayError) -> CleanResult {
        guard !configuration.cleanDisabled else {
            throw RunwayError(
                .configuration,
                "Unable to execute clean as it has been disabled with the 'flyway.cleanDisabled' property. "
                    + "Set cleanDisabled=false (--clean-disabled=false) to allow dropping everything in the managed "
                    + "schemas.")
        }
        let context = try open(readWrite: true)
        let session = context.session
        return try withCallbacks("Clean", context) { () throws(RunwayError) in
            var createdByRunway: Set<String> = []
            if try session.history.exists(on: session.work) {
                for row in try session.history.read(on: session.work) where row.type == .schema {
                    for name in row.script.split(separator: ",") {
                        createdByRunway.insert(
                            String(name.dropFirst().dropLast()).replacingEvery("\"\"", with: "\""))
                    }
                }
            }
            var cleaned: [String] = []
            var dropped: [String] = []
            for schema in session.schemas {
                guard try session.schemaExists(schema) else {
                    logger.warning("Unable to clean unknown schema: \(quoteIdentifier(schema))")
                    continue
                }
                if createdByRunway.contains(schema) {
                    try session.withTransaction { () throws(RunwayError) in
                        try session.work.execute("DROP SCHEMA \(quoteIdentifier(schema)) CASCADE")
                    }
                    dropped.append(schema)
                } else {
                    try session.withTransaction { () throws(RunwayError) in try cleanSchema(schema, session: session) }
                    cleaned.append(schema)
                }
                logger.info("Successfully cleaned schema \(quoteIdentifier(schema))")
            }
            return CleanResult(schemasCleaned: cleaned, schemasDropped: dropped, database: session.database)
        }
    }

    /// Drops the objects of one schema, keeping the schema itself (and its grants), skipping extension members.
    private func cleanSchema(_ schema: String, session: Session) throws(RunwayError) {
        let notExtension = { (oid: String) in
            "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = \(oid) AND d.deptype = 'e')"
        }
        let queries: [(String, String)] = [
            (
                "MATERIALIZED VIEW",
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
                    + "AND c.relkind = 'm' AND \(notExtension("c.oid"))"
            ),
            (
                "VIEW",
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
                    + "AND c.relkind = 'v' AND \(notExtension("c.oid"))"
            ),
            (
                "FOREIGN TABLE",
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
                    + "AND c.relkind = 'f' AND \(notExtension("c.oid"))"
            ),
            (
                "TABLE",
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
                    + "AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND \(notExtension("c.oid"))"
            ),
            (
                "SEQUENCE",
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
                    + "AND c.relkind = 'S' AND \(notExtension("c.oid"))"
            ),
        ]
        for (kind, sql) in queries {
            for row in try session.work.query(sql, [schema]).rows {
                guard let name = row[0] else { continue }
                try session.work.execute(
                    "DROP \(kind) IF EXISTS \(quoteIdentifier(schema)).\(quoteIdentifier(name)) CASCADE")
            }
        }
        let routines = try session.work.query(
            "SELECT p.proname, pg_get_function_identity_arguments(p.oid), p.prokind FROM pg_proc p "
                + "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND \(notExtension("p.oid"))",
            [schema])
        for row in routines.rows {
            guard let name = row[0], let arguments = row[1] else { continue }
            let kind = row[2] == "p" ? "PROCEDURE" : (row[2] == "a" ? "AGGREGATE" : "FUNCTION")
            try session.work.execute(
                "DROP \(kind) IF EXISTS \(quoteIdentifier(schema)).\(quoteIdentifier(name))(\(arguments)) CASCADE")
        }
        let types = try session.work.query(
            "SELECT t.typname, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                + "WHERE n.nspname = $1 AND t.typtype IN ('e', 'd', 'r', 'c', 'b', 'm') AND t.typelem = 0 "
                + "AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c') "
                + "AND \(notExtension("t.oid"))",
            [schema])
        for row in types.rows {
            guard let name = row[0] else { continue }
            let kind = row[1] == "d" ? "DOMAIN" : "TYPE"
            try session.work.execute(
                "DROP \(kind) IF EXISTS \(quoteIdentifier(schema)).\(quoteIdentifier(name)) CASCADE")
        }
        let collations = try session.work.query(
            "SELECT c.collname FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace "
                + "WHERE n.nspname = $1 AND \(notExtension("c.oid"))", [schema])
        for row in collations.rows {
            guard let name = row[0] else { continue }
            try session.work.execute(
                "DROP COLLATION IF EXISTS \(quoteIdentifier(schema)).\(quoteIdentifier(name)) CASCADE")
        }
        let extensions = try session.work.query(
            "SELECT e.extname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                + "WHERE n.nspname = $1 AND pg_get_userbyid(e.extowner) = current_user", [schema])
        for row in extensions.rows {
            guard let name = row[0] else { continue }
            try session.work.execute("DROP EXTENSION IF EXISTS \(quoteIdentifier(name)) CASCADE")
        }
    }
}
