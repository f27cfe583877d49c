#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

// `migrate` as a script: the SQL a run would send, in its order, for psql to run (or a reviewer to read), written
// without changing the database. The session is read-only and takes no lock; the plan is the one `migrate` makes
// (validation, pending migrations, target, cherry-pick), the scripts are read, placeholder-replaced and split by the
// same code, and the history rows are the statements the executor sends.

extension Engine {
    /// Writes the dry run of `migrate` to `sink`, a piece at a time (a script of any size never sits in memory).
    func dryRun(_ sink: (String) throws(RunwayError) -> Void) throws(RunwayError) -> DryRunResult {
        let context = try open(readWrite: false)
        let session = context.session
        let history = session.history
        let historyExists = try history.exists(on: session.work)
        let service = try infoService(context, historyExists: historyExists)
        if configuration.validateOnMigrate {
            let validation = try validate(
                context, patterns: configuration.ignoreMigrationPatterns + [.anyPending], service: service)
            if !validation.isValid { throw Self.validationError(validation.problems) }
        }
        if !historyExists { try checkEmptyOrBaselined(context) }
        try service.validateTarget()

        try sink(
            """
            -- Runway dry run of migrate on database \(quoteIdentifier(session.database)), history table \
            \(history.qualifiedName).
            -- Nothing was changed and no lock was taken. Run it with: psql -X -v ON_ERROR_STOP=1 -f <this file>
            -- The history rows get the next installed_rank when they are inserted; execution_time is 0 here.

            """)
        let reset = try session.restoreStateSQL()
        var blocks = 0
        func block(_ title: String, transactional: Bool, _ body: () throws(RunwayError) -> Void) throws(RunwayError) {
            blocks += 1
            try sink(
                "\n-- \(title)" + (transactional ? "" : "\n-- (runs outside a transaction, as migrate runs it)") + "\n")
            if transactional { try sink("BEGIN;\n") }
            try body()
            if transactional { try sink("COMMIT;\n") }
        }
        if !historyExists {
            let created = configuration.createSchemas ? try missingSchemas(session) : []
            let nonEmpty = try nonEmptySchemas(session)
            let baseline = created.isEmpty && configuration.baselineOnMigrate && !nonEmpty.isEmpty
            try block("Schemas and the schema history table", transactional: true) { () throws(RunwayError) in
                for schema in created { try sink("CREATE SCHEMA \(quoteIdentifier(schema));\n") }
                for statement in history.createStatements { try sink(statement + ";\n") }
                if baseline {
                    try sink(
                        try history.insertStatement(
                            .init(
                                version: configuration.baselineVersion,
                                description: configuration.baselineDescription, type: .baseline,
                                script: configuration.baselineDescription, checksum: nil,
                                installedBy: installedBy(session), executionTime: 0, success: true),
                            rank: 1, on: session.work) + ";\n")
                }
                if !created.isEmpty {
                    try sink(
                        try history.insertStatement(
                            .init(
                                version: nil, description: "<< Flyway Schema Creation >>", type: .schema,
                                script: created.map(quoteIdentifier).joined(separator: ","), checksum: nil,
                                installedBy: installedBy(session), executionTime: 0, success: true),
                            rank: baseline ? nil : 0, on: session.work) + ";\n")
                }
            }
        }

        func callbacks(_ event: String) throws(RunwayError) {
            for (description, file) in context.callbacks.scripts(for: event) {
                let source = try source(of: file, placeholders: session.placeholders)
                let outline = try outline(of: source, file: file, session: session)
                let transactional = runsInTransaction(file, outline)
                try block(
                    "Callback \(event) - \(description): \(file.relativePath)", transactional: transactional
                ) { () throws(RunwayError) in
                    try sink(reset + ";\n")
                    try writeStatements(of: source, file: file, session: session, to: sink)
                }
            }
        }

        try callbacks("beforeMigrate")
        var selected: [PreparedMigration] = []
        let currentVersion = service.current?.version
        for entry in try cherryPicked(service.pending, service: service) {
            guard let migration = entry.resolved, let file = context.file(for: migration) else { continue }
            let outOfOrder = migration.version.map { v in currentVersion.map { v < $0 } ?? false } ?? false
            selected.append(try prepare(migration, file: file, session: session, outOfOrder: outOfOrder))
            if configuration.target == .next { break }
        }
        var afterVersioned = false
        for prepared in selected {
            if prepared.migration.version == nil, !afterVersioned {
                try callbacks("afterVersioned")
                try callbacks("beforeRepeatables")
                afterVersioned = true
            }
            let mode = prepared.transactional ? "in one transaction with its history row" : "not transactional"
            try block(
                "\(prepared.file.relativePath): \(prepared.label) (\(mode))", transactional: prepared.transactional
            ) { () throws(RunwayError) in
                try sink(reset + ";\n")
                try callbacks("beforeEachMigrate")
                if !configuration.skipExecutingMigrations {
                    try writeStatements(of: prepared.source, file: prepared.file, session: session, to: sink)
                }
                var row = newRow(prepared, session: session)
                row.executionTime = 0
                try sink("-- the history row\n" + (try history.insertStatement(row, on: session.work)) + ";\n")
                try callbacks("afterEachMigrate")
            }
        }
        if !afterVersioned { try callbacks("afterVersioned") }
        if !selected.isEmpty { try callbacks("afterMigrateApplied") }
        try callbacks("afterMigrate")
        try sink("\n-- End of the dry run: \(selected.count) migration\(selected.count == 1 ? "" : "s").\n")
        logger.info(
            "Dry run: \(selected.count) migration\(selected.count == 1 ? "" : "s") would be applied; nothing changed")
        return DryRunResult(
            initialSchemaVersion: service.current?.versionText, historyTableExists: historyExists,
            migrations: selected.map { report($0, executionTime: 0) }, database: session.database,
            schemas: session.schemas)
    }

    /// The statements of a script as psql runs them: each with a comment giving its line, ending in `;`, `COPY`
    /// data followed by `\.`.
    private func writeStatements(
        of source: ScriptSource, file: ScannedFile, session: Session, to sink: (String) throws(RunwayError) -> Void
    ) throws(RunwayError) {
        let statements = try stream(of: source, file: file, session: session)
        while let statement = try statements.next() {
            try sink("-- \(file.relativePath) line \(statement.line)\n\(statement.sql);\n")
            if let data = statement.copyData {
                try sink(data + "\\.\n")
            } else if statement.copyDataFollows {
                var pending: [UInt8] = []
                try statements.copyData { (bytes) throws(RunwayError) in
                    pending.append(contentsOf: bytes)
                    if pending.count >= 1 << 20 {
                        try sink(String(decoding: pending, as: UTF8.self))
                        pending.removeAll(keepingCapacity: true)
                    }
                }
                try sink(String(decoding: pending, as: UTF8.self) + "\\.\n")
            }
        }
    }

    /// The refusal `migrate` makes for a non-empty schema without a history table (unless `baselineOnMigrate`).
    private func checkEmptyOrBaselined(_ context: Context) throws(RunwayError) {
        let session = context.session
        let missing = configuration.createSchemas ? try missingSchemas(session) : []
        let nonEmpty = try nonEmptySchemas(session)
        guard missing.isEmpty, !configuration.baselineOnMigrate, !nonEmpty.isEmpty else { return }
        throw RunwayError(
            .validation,
            "Found non-empty schema(s) but no schema history table. Use baseline() or set baselineOnMigrate to true to "
                + "initialize the schema history table.")
    }
}
