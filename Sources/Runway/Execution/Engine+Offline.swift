#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

extension Engine {
    /// `validate --offline`: every check that needs no database (naming, duplicates, encodings, lexical errors,
    /// undefined placeholders, mixed transactionality, `.sql.conf` errors, the lint), plus the git checks against
    /// `options.base`.
    func validateOffline(_ options: OfflineValidationOptions) throws(RunwayError) -> CIReport {
        var findings: [CIFinding] = []
        func add(_ error: RunwayError, code: String) {
            findings.append(
                CIFinding(severity: .error, code: code, file: error.file, line: error.line, message: error.message))
        }
        let (scan, fileErrors) = try scanner.scanCollectingErrors()
        for message in scan.invalidNames {
            let file = message.split(separator: ":", maxSplits: 1).last.map {
                String($0.trimmingSpaces().split(separator: " ").first ?? "")
            }
            // `migrate` (and Flyway) skip such files unless `validateMigrationNaming` is set: only then do they fail.
            let severity: CIFinding.Severity = configuration.validateMigrationNaming ? .error : .warning
            findings.append(
                CIFinding(severity: severity, code: "INVALID_NAME", file: file, line: nil, message: message))
        }
        for error in fileErrors {
            add(error, code: error.fileProblem == .scriptConfig ? "SCRIPT_CONFIG" : "INVALID_ENCODING")
        }

        // Built-in values stand in for what there is no database to ask.
        let replacer = configuration.placeholderReplacer(
            defaultSchema: configuration.defaultSchema ?? configuration.schemas.first ?? "public",
            user: configuration.connection.user ?? "runway", database: configuration.connection.database ?? "runway")
        let resolver = MigrationResolver(
            placeholders: replacer, placeholderReplacement: configuration.placeholderReplacement)
        var resolved: [ResolvedMigration] = []
        // Each file is split (and linted) as a stream, one statement at a time: a script of any size is checked in
        // bounded memory, and nothing of one file is kept while the next is read.
        var lintFindings: [(script: String, findings: [LintFinding])] = []
        // Undo files are checked as scripts (and for duplicate versions among themselves); the statement rules of the
        // lint do not apply to them (an undo file drops what its migration added), the undo rule below does.
        for file in scan.migrations + scan.callbacks + scan.undoMigrations {
            do throws(RunwayError) {
                if case .migration = file.name { resolved += try resolver.resolveAllowingDuplicates([file]) }
                let source = try source(of: file, placeholders: replacer)
                let outline = try ScriptOutline(
                    try source.statements(serverMajorVersion: 15, standardConformingStrings: true))
                if let problem = outline.unterminated {
                    findings.append(
                        CIFinding(
                            severity: .error, code: "UNTERMINATED_SQL", file: file.relativePath, line: problem.line,
                            message: "Unterminated \(problem.construct) starting at line \(problem.line) of "
                                + "\(file.relativePath): the rest of the file would be sent as one broken statement"))
                    continue
                }
                let executeInTransaction = file.config.executeInTransaction ?? configuration.executeInTransaction
                if file.config.executeInTransaction == nil, executeInTransaction, !configuration.mixed,
                    let mixed = outline.mixed
                {
                    findings.append(
                        CIFinding(
                            severity: .error, code: "MIXED_TRANSACTIONALITY", file: file.relativePath,
                            line: mixed.offending.line, message: mixed.message))
                }
                if case .migration(let kind, _, _) = file.name, kind != .undo, let linter = options.linter {
                    let statements = try source.statements(serverMajorVersion: 15, standardConformingStrings: true)
                    lintFindings.append(
                        (
                            file.relativePath,
                            try linter.lint(
                                file: file.relativePath, statements: statements,
                                isTransactional: outline.canExecuteInTransaction)
                        ))
                }
            } catch {
                let error = error.refined { $0.file = $0.file ?? file.relativePath }
                let undefined = error.fileProblem == .undefinedPlaceholder
                add(error, code: undefined ? "UNDEFINED_PLACEHOLDER" : "INVALID_SQL")
            }
        }
        if let linter = options.linter {
            lintFindings += lintUndoFiles(scan, linter: linter, placeholders: replacer)
        }
        resolved.sort(by: MigrationResolver.flywayOrder)
        for error in MigrationResolver.duplicates(in: resolved) {
            let repeatable = error.fileProblem == .duplicateDescription
            add(error, code: repeatable ? "DUPLICATE_DESCRIPTION" : "DUPLICATE_VERSION")
        }
        if options.linter != nil {
            let order = Dictionary(uniqueKeysWithValues: resolved.enumerated().map { ($1.script, $0) })
            let ordered = lintFindings.enumerated().sorted {
                ((order[$0.element.script] ?? .max), $0.offset) < ((order[$1.element.script] ?? .max), $1.offset)
            }
            findings += ordered.flatMap(\.element.findings).map {
                CIFinding(severity: $0.severity, code: $0.rule, file: $0.file, line: $0.line, message: $0.message)
            }
        }
        if let base = options.base {
            findings += try GitBaseCheck(
                base: base,
                locations: try MigrationScanner.normalise(
                    configuration.locations, workingDirectory: configuration.workingDirectory, logger: logger),
                naming: configuration.naming, logger: logger
            ).check(resolved)
        }
        return CIReport(findings: findings, migrationsChecked: scan.migrations.count)
    }

    /// The undo rule: each undo file read with the versioned migration of its version. A file that cannot be read or
    /// split is left to the other checks.
    private func lintUndoFiles(
        _ scan: ScanResult, linter: MigrationLinter, placeholders: PlaceholderReplacer
    ) -> [(script: String, findings: [LintFinding])] {
        func statements(_ file: ScannedFile) -> [SQLStatement]? {
            do throws(RunwayError) {
                let stream = try source(of: file, placeholders: placeholders).statements(
                    serverMajorVersion: 15, standardConformingStrings: true)
                var list: [SQLStatement] = []
                while let statement = try stream.next() { list.append(statement) }
                return list
            } catch {
                return nil
            }
        }
        var forwardByVersion: [MigrationVersion: ScannedFile] = [:]
        for file in scan.migrations {
            if case .migration(.versioned, let version?, _) = file.name { forwardByVersion[version] = file }
        }
        var result: [(script: String, findings: [LintFinding])] = []
        for undo in scan.undoMigrations {
            guard case .migration(.undo, let version?, _) = undo.name, let forward = forwardByVersion[version],
                let undoStatements = statements(undo), let forwardStatements = statements(forward)
            else { continue }
            let findings = linter.lintUndo(
                file: undo.relativePath, statements: undoStatements, forward: forward.relativePath,
                forwardStatements: forwardStatements)
            if !findings.isEmpty { result.append((undo.relativePath, findings)) }
        }
        return result
    }
}
