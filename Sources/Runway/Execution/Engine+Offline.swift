#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

/// One problem a CI check found, pointing at a file and line where it can.
public struct CIFinding: Sendable, Hashable, Codable {
    /// Errors fail the build; warnings are reported only. The same type as a lint finding's severity.
    public typealias Severity = LintFinding.Severity

    /// Errors fail the build.
    public var severity: Severity
    /// A stable code: `INVALID_NAME`, `DUPLICATE_VERSION`, `INVALID_ENCODING`, `UNTERMINATED_SQL`,
    /// `UNDEFINED_PLACEHOLDER`, `MIXED_TRANSACTIONALITY`, `SCRIPT_CONFIG`, `CHANGED_AFTER_RELEASE`,
    /// `DELETED_AFTER_RELEASE`, `VERSION_CLASH`, `OUT_OF_ORDER`, `MIGRATION_FAILED`, a lint rule id, or a Flyway
    /// validation code.
    public var code: String
    /// The file, relative to its location (or to the repository for git checks).
    public var file: String?
    /// The 1-based line.
    public var line: Int?
    /// What is wrong and what to do.
    public var message: String

    /// Creates a finding.
    public init(severity: Severity, code: String, file: String?, line: Int?, message: String) {
        self.severity = severity
        self.code = code
        self.file = file
        self.line = line
        self.message = message
    }
}

/// What an offline (or scratch) validation found.
public struct CIReport: Sendable {
    /// Every finding, errors and warnings, in file order.
    public var findings: [CIFinding]
    /// Migration files checked.
    public var migrationsChecked: Int
    /// For `--scratch`: each migration applied and its time.
    public var applied: [AppliedMigrationReport]
    /// Whether no finding is an error.
    public var isValid: Bool { !findings.contains { $0.severity == .error } }

    /// Creates a report.
    public init(findings: [CIFinding], migrationsChecked: Int, applied: [AppliedMigrationReport] = []) {
        self.findings = findings
        self.migrationsChecked = migrationsChecked
        self.applied = applied
    }
}

/// Options of the checks that need no database.
public struct OfflineValidationOptions: Sendable {
    /// A git revision (`origin/main`) whose migrations must be unchanged and below every new version.
    public var base: String?
    /// The DDL safety lint; `nil` turns it off.
    public var linter: MigrationLinter?

    /// No git check, the lint with its defaults (warnings).
    public init(base: String? = nil, linter: MigrationLinter? = MigrationLinter()) {
        self.base = base
        self.linter = linter
    }
}

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
            findings.append(CIFinding(severity: .error, code: "INVALID_NAME", file: file, line: nil, message: message))
        }
        for error in fileErrors {
            add(error, code: error.fileProblem == .scriptConfig ? "SCRIPT_CONFIG" : "INVALID_ENCODING")
        }

        let replacer = PlaceholderReplacer(
            values: offlinePlaceholderValues(), prefix: configuration.placeholderPrefix,
            suffix: configuration.placeholderSuffix, separator: configuration.placeholderSeparator)
        let resolver = MigrationResolver(
            placeholders: replacer, placeholderReplacement: configuration.placeholderReplacement)
        var resolved: [ResolvedMigration] = []
        // Each file is split (and linted) as a stream, one statement at a time: a script of any size is checked in
        // bounded memory, and nothing of one file is kept while the next is read.
        var lintFindings: [(script: String, findings: [LintFinding])] = []
        for file in scan.migrations + scan.callbacks {
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
                if case .migration = file.name, let linter = options.linter {
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
                var error = error
                error.file = error.file ?? file.relativePath
                let undefined = error.fileProblem == .undefinedPlaceholder
                add(error, code: undefined ? "UNDEFINED_PLACEHOLDER" : "INVALID_SQL")
            }
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

    /// Built-in placeholder values when there is no database to ask.
    private func offlinePlaceholderValues() -> [String: String] {
        Session.placeholderValues(
            configuration, defaultSchema: configuration.defaultSchema ?? configuration.schemas.first ?? "public",
            user: configuration.connection.user ?? "runway", database: configuration.connection.database ?? "runway")
    }
}
