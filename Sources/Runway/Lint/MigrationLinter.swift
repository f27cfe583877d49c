#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Flags DDL that is risky on a busy production database: statements that block traffic for long, rewrite big
/// tables, fail on tables with rows, or break the previous release while the new one rolls out.
///
/// The linter reads SQL only; it never connects. It backs `migrate lint` and `migrate validate --offline`.
///
/// ```swift
/// let linter = try MigrationLinter(errors: ["create-index-not-concurrently"], disabled: ["rename-column"])
/// for finding in linter.lint(scripts) { print(finding) }   // V3__index.sql:4: error: CREATE INDEX ... [rule]
/// ```
///
/// ## Rules
///
/// See `LintRule.all` and each rule's documentation: `create-index-not-concurrently`,
/// `add-column-not-null-without-default`, `volatile-default`, `alter-column-type`, `set-not-null`,
/// `foreign-key-without-not-valid`, `check-without-not-valid`, `add-unique-constraint`, `drop-column`, `drop-table`,
/// `rename-column`, `rename-table`, `missing-lock-timeout`, `invalid-disable-comment`. Every finding is a warning
/// unless its rule is promoted through `errors`.
///
/// ## New and existing tables
///
/// A table is new when the same file created it earlier (`CREATE TABLE`, `CREATE MATERIALIZED VIEW`, or renaming a
/// new table); any other table exists already and, in production, holds data and serves traffic. The rules that are
/// about locks, rewrites and scans only report statements on existing tables. Names compare as PostgreSQL resolves
/// them (unquoted → lower case, quoted → as written); the schema counts only when both names have one, so
/// `public.orders`, `orders` and `"orders"` are the same table and `"Orders"` is another.
///
/// ## Disable comments
///
/// ```sql
/// -- runway:lint-disable drop-column, rename-column      (anywhere in a file: the whole file)
/// -- runway:lint-disable all                             (every rule, the whole file)
/// -- runway:lint-disable-next create-index-not-concurrently -- small table, reviewed
/// CREATE INDEX orders_status_idx ON orders (status);     (the next statement only)
/// ```
///
/// A `lint-disable-next` comment must be in the comment-only lines directly above the statement's first line; text
/// after a further `--` is a free-form reason. A comment with an unknown rule id, or a `lint-disable-next` that is
/// not directly above a statement, is reported as `invalid-disable-comment`.
///
/// ## What the linter does not see
///
/// Statements inside `DO` blocks, function bodies and dynamic SQL (`EXECUTE`) are string literals to it; so are
/// comments inside literals. A `lock_timeout` set by the runner's `initSql` or the role's settings is not known: turn
/// `missing-lock-timeout` off (`disabled`) when you rely on one.
public struct MigrationLinter: Sendable {
    /// Rule ids reported as errors; `all` promotes every rule whose `promotedByAll` is true.
    public let errors: Set<String>
    /// Rule ids never reported; `all` turns every rule off.
    public let disabled: Set<String>

    /// Creates a linter with every rule on, every finding a warning.
    public init() {
        errors = []
        disabled = []
    }

    /// Creates a linter with some rules promoted to errors or turned off.
    ///
    /// - Parameters:
    ///   - errors: rule ids to report as errors instead of warnings (`all`: every rule except the rollout ones,
    ///     `drop-column`, `drop-table`, `rename-column` and `rename-table`, which are promoted only when named).
    ///   - disabled: rule ids never to report, in any file.
    /// - Throws: `RunwayError(.configuration)` naming every unknown rule id and listing the valid ones.
    public init(errors: Set<String> = [], disabled: Set<String> = []) throws(RunwayError) {
        func normalized(_ ids: Set<String>) -> Set<String> {
            Set(ids.map { LintLexer.asciiLowercased(String($0.filter { !$0.isWhitespace })) })
        }
        let errors = normalized(errors)
        let disabled = normalized(disabled)
        let valid = Set(LintRule.validIDs)
        let unknown = errors.union(disabled).subtracting(valid).sorted()
        guard unknown.isEmpty else {
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            throw RunwayError(
                .configuration,
                "Unknown lint rule\(unknown.count == 1 ? "" : "s") \(names). Valid rules: "
                    + LintRule.validIDs.joined(separator: ", ") + ".")
        }
        self.errors = errors
        self.disabled = disabled
    }

    /// The severity findings of `rule` get, or `nil` when the rule is disabled.
    public func severity(of rule: LintRule) -> LintFinding.Severity? {
        if disabled.contains(rule.id) || disabled.contains("all") { return nil }
        let promoted = errors.contains(rule.id) || (errors.contains("all") && rule.promotedByAll)
        return promoted ? .error : .warning
    }

    // MARK: - Linting

    /// Lints one migration.
    ///
    /// - Parameters:
    ///   - file: the script's path as it should appear in findings (relative to its location).
    ///   - text: the file's text, placeholders replaced; read for disable comments.
    ///   - statements: the statements `text` splits into (`SQLScriptParser`); their `line`s anchor the findings.
    /// - Returns: the findings, by line.
    public func lint(file: String, text: String, statements: [SQLStatement]) -> [LintFinding] {
        let directives = LintDirectives(text: Self.blankingCopyData(of: statements, in: text))
        var lint = FileLint(linter: self, isTransactional: statements.allSatisfy(\.canExecuteInTransaction))
        for statement in statements { lint.add(statement, directives: directives) }
        return lint.findings(file: file, directives: directives)
    }

    /// Lints a script as `statements` splits it, one statement at a time (in bounded memory, whatever its size); the
    /// disable comments are read from the same pass. `isTransactional`: whether the whole script runs in one
    /// transaction (``ScriptOutline/canExecuteInTransaction`` of an earlier pass).
    func lint(file: String, statements: StatementStream, isTransactional: Bool) throws(RunwayError) -> [LintFinding] {
        final class Reading {
            var directives = LintDirectives()
        }
        let reading = Reading()
        statements.lines = { comments, code in
            for (line, text) in comments { reading.directives.add(comment: text, line: line) }
            for line in code { reading.directives.add(codeLine: line) }
        }
        var lint = FileLint(linter: self, isTransactional: isTransactional)
        while let statement = try statements.next() {
            lint.add(statement, directives: reading.directives)
            reading.directives.forgetLines(below: statement.line)
        }
        return lint.findings(file: file, directives: reading.directives)
    }

    /// The findings of one script, gathered statement by statement.
    private struct FileLint {
        let linter: MigrationLinter
        var analysis: LintFileAnalysis
        /// Each finding with the rules `lint-disable-next` comments turn off for its statement.
        var collected: [(finding: LintRawFinding, disabledNext: Set<String>)] = []
        var usedDirectiveLines: Set<Int> = []
        var lockTimeoutReported = false

        init(linter: MigrationLinter, isTransactional: Bool) {
            self.linter = linter
            analysis = LintFileAnalysis(isTransactional: isTransactional)
        }

        /// Analyses the next statement; `directives` holds every comment read up to it.
        mutating func add(_ statement: SQLStatement, directives: LintDirectives) {
            let disabledNext = directives.nextDisabled(forStatementAt: statement.line)
            usedDirectiveLines.formUnion(directives.nextDirectiveLines(forStatementAt: statement.line))
            let outcome = analysis.analyze(statement)
            collected += outcome.findings.map { ($0, disabledNext) }
            guard !lockTimeoutReported, !analysis.lockTimeoutIsEffective, let lock = outcome.locks.first else {
                return
            }
            let finding = LintRawFinding(
                rule: .missingLockTimeout, line: lock.line,
                message: MigrationLinter.lockTimeoutMessage(lock, analysis))
            // One finding per file, at the first statement where the rule is not disabled.
            if !linter.isDisabled(.missingLockTimeout, fileDisabled: directives.fileDisabled, next: disabledNext) {
                collected.append((finding, disabledNext))
                lockTimeoutReported = true
            }
        }

        /// The findings, by line; `directives` holds every comment of the script.
        func findings(file: String, directives: LintDirectives) -> [LintFinding] {
            var all: [(finding: LintRawFinding, disabledNext: Set<String>)] = directives.problems.map {
                (LintRawFinding(rule: .invalidDisableComment, line: $0.line, message: $0.message), [])
            }
            for line in directives.nextDirectiveLines.subtracting(usedDirectiveLines).sorted() {
                let message =
                    "This runway:lint-disable-next is not directly above a statement, so it disables nothing: put "
                    + "it on the comment lines right above the first line of the statement, with no blank line "
                    + "between."
                all.append((LintRawFinding(rule: .invalidDisableComment, line: line, message: message), []))
            }
            all += collected
            let order = Dictionary(uniqueKeysWithValues: LintRule.all.enumerated().map { ($1.id, $0) })
            return all.enumerated()
                .filter {
                    !linter.isDisabled($1.finding.rule, fileDisabled: directives.fileDisabled, next: $1.disabledNext)
                }
                .sorted { lhs, rhs in
                    let left = (lhs.element.finding.line, order[lhs.element.finding.rule.id] ?? 0, lhs.offset)
                    let right = (rhs.element.finding.line, order[rhs.element.finding.rule.id] ?? 0, rhs.offset)
                    return left < right
                }
                .compactMap { _, element in
                    linter.severity(of: element.finding.rule).map {
                        LintFinding(
                            rule: element.finding.rule.id, severity: $0, file: file, line: element.finding.line,
                            message: element.finding.message)
                    }
                }
        }
    }

    /// Lints a whole ordered set of migrations (versioned in order, then repeatables), each on its own.
    ///
    /// A table counts as new only in the file that creates it: one created by an earlier file, or never created in
    /// the set, exists already (in production it has data by the time a later migration runs).
    ///
    /// - Returns: the findings, file by file in the given order, each file's by line.
    public func lint(_ scripts: [(file: String, text: String, statements: [SQLStatement])]) -> [LintFinding] {
        scripts.flatMap { lint(file: $0.file, text: $0.text, statements: $0.statements) }
    }

    /// Splits `text` into statements as `migrate` would (Flyway's PostgreSQL parser), then lints it.
    ///
    /// - Parameters:
    ///   - text: the file's text, placeholders replaced.
    ///   - serverMajorVersion: decides whether `ALTER TYPE ... ADD VALUE` runs outside a transaction (before 12),
    ///     which matters to `missing-lock-timeout`.
    /// - Throws: `RunwayError(.invalidMigration)` with `file` set when the script cannot be split (an unterminated
    ///   `BEGIN ATOMIC` block).
    public func lint(file: String, text: String, serverMajorVersion: Int = 15) throws(RunwayError) -> [LintFinding] {
        let statements: [SQLStatement]
        do {
            statements = try SQLScriptParser.parse(text, serverMajorVersion: serverMajorVersion)
        } catch {
            throw error.refined { $0.file = file }
        }
        return lint(file: file, text: text, statements: statements)
    }

    // MARK: - Helpers

    private func isDisabled(_ rule: LintRule, fileDisabled: Set<String>, next: Set<String>) -> Bool {
        if severity(of: rule) == nil { return true }
        let off = fileDisabled.union(next)
        return off.contains(rule.id) || off.contains("all")
    }

    /// The text with the data lines of `COPY ... FROM STDIN` statements replaced by empty lines, so that a quote or
    /// `--` in the data is not read as SQL when looking for disable comments. Line numbers stay the same.
    private static func blankingCopyData(of statements: [SQLStatement], in text: String) -> String {
        guard statements.contains(where: { $0.copyData?.isEmpty == false }) else { return text }
        var result = ""
        var position = text.startIndex
        for statement in statements {
            guard let data = statement.copyData, !data.isEmpty,
                let sql = text.firstLiteralRange(of: statement.sql, in: position..<text.endIndex),
                let found = text.firstLiteralRange(of: data, in: sql.upperBound..<text.endIndex)
            else { continue }
            result += text[position..<found.lowerBound]
            result += String(repeating: "\n", count: data.unicodeScalars.filter { $0 == "\n" }.count)
            position = found.upperBound
        }
        return result + text[position...]
    }

    private static func lockTimeoutMessage(_ lock: LintLockEvent, _ analysis: LintFileAnalysis) -> String {
        let risk =
            "\(lock.statement) takes \(lock.mode.withArticle) lock on \(lock.target) with no lock_timeout set before "
            + "it in this file: if a long-running transaction holds a conflicting lock, the migration waits for it "
            + "and \(lock.mode.blocks) queues behind the migration, stopping traffic. "
        if analysis.isTransactional {
            return risk + "Put SET LOCAL lock_timeout = '5s'; at the top of the file, and run the migration again "
                + "if it times out."
        }
        if analysis.lockTimeout == .local {
            return risk + "The SET LOCAL lock_timeout before it has no effect: this migration runs outside a "
                + "transaction (it has a non-transactional statement such as CREATE INDEX CONCURRENTLY). Use SET "
                + "lock_timeout = '5s'; instead, and run the migration again if it times out."
        }
        return risk + "Put SET lock_timeout = '5s'; at the top of the file (this migration runs outside a "
            + "transaction, so SET LOCAL would have no effect), and run the migration again if it times out."
    }
}
