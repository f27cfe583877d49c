/// A lint finding: file, line, rule, severity, and a message that says why the statement is risky and what to do
/// instead.
public struct LintFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How serious a finding is: of a lint finding, and of every CI check (``CIFinding/Severity`` is this type).
    public enum Severity: String, Sendable, Hashable, Codable {
        /// Worth a look; reported only (a lint rule unless promoted through `MigrationLinter(errors:)`).
        case warning
        /// Fails the check: `migrate lint`, `validate --offline` (a lint rule promoted through
        /// `MigrationLinter(errors:)`, or any other CI finding).
        case error
    }

    /// The stable rule id, e.g. `create-index-not-concurrently` (see `LintRule.all`).
    public var rule: String
    /// Warning unless the rule was promoted to an error.
    public var severity: Severity
    /// The script path, as the caller gave it (relative to its location).
    public var file: String
    /// The 1-based line in `file` of the offending clause (of the statement when the clause is not known).
    public var line: Int
    /// Why the statement is risky and what to do instead.
    public var message: String

    /// Creates a finding.
    public init(rule: String, severity: Severity, file: String, line: Int, message: String) {
        self.rule = rule
        self.severity = severity
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: severity: message [rule]`, the shape compilers use, so editors and CI annotations can link it.
    public var description: String {
        "\(file):\(line): \(severity.rawValue): \(message) [\(rule)]"
    }
}

/// One rule of the migration linter: a stable id (for `errors`, `disabled` and disable comments) and a one-line
/// summary.
///
/// Every rule reports a warning unless its id is in `MigrationLinter(errors:)`; `errors: ["all"]` promotes every rule
/// whose `promotedByAll` is true. The rules assume PostgreSQL 11 or later (a constant `DEFAULT` no longer rewrites the
/// table) and judge a table "existing" (in production: full of rows, busy) unless the same file created it.
public struct LintRule: Sendable, Hashable {
    /// The stable id, e.g. `create-index-not-concurrently`.
    public let id: String
    /// What the rule flags and why, in one line.
    public let summary: String
    /// Whether `errors: ["all"]` promotes the rule. False for the rules about rolling out code and schema together
    /// (`drop-column`, `drop-table`, `rename-column`, `rename-table`): they are promoted only when named.
    public let promotedByAll: Bool

    init(_ id: String, _ summary: String, promotedByAll: Bool = true) {
        self.id = id
        self.summary = summary
        self.promotedByAll = promotedByAll
    }

    /// Every rule, in the order findings of the same line are reported.
    public static let all: [LintRule] = [
        .createIndexNotConcurrently, .addColumnNotNullWithoutDefault, .volatileDefault, .alterColumnType,
        .setNotNull, .foreignKeyWithoutNotValid, .checkWithoutNotValid, .addUniqueConstraint, .dropColumn,
        .dropTable, .renameColumn, .renameTable, .missingLockTimeout, .invalidDisableComment, .undoDropsFilledColumn,
    ]

    /// The rule with this id, if there is one.
    public static func named(_ id: String) -> LintRule? {
        all.first { $0.id == id }
    }

    /// The ids `MigrationLinter(errors:disabled:)` and disable comments accept: every rule id, and `all`.
    public static var validIDs: [String] { ["all"] + all.map(\.id) }

    // MARK: - The rules

    /// `CREATE [UNIQUE] INDEX` without `CONCURRENTLY` on an existing table: the build holds a SHARE lock, which blocks
    /// every INSERT, UPDATE and DELETE until it finishes. Not reported for `CREATE INDEX ... ON ONLY` (a partitioned
    /// table's parent, where `CONCURRENTLY` is not supported and nothing is built).
    public static let createIndexNotConcurrently = LintRule(
        "create-index-not-concurrently",
        "CREATE INDEX without CONCURRENTLY on an existing table blocks writes for the whole build")

    /// `ALTER TABLE ... ADD COLUMN c type NOT NULL` (or `PRIMARY KEY`) without a `DEFAULT` on an existing table: fails
    /// as soon as the table has a row. Serial, identity and generated columns fill themselves and are not reported.
    public static let addColumnNotNullWithoutDefault = LintRule(
        "add-column-not-null-without-default",
        "ADD COLUMN ... NOT NULL without DEFAULT on an existing table fails when the table has rows")

    /// `ADD COLUMN` whose value is computed per row on an existing table: a `DEFAULT` calling a volatile function
    /// (`random()`, `random_normal()`, `clock_timestamp()`, `timeofday()`, `gen_random_uuid()`,
    /// `uuid_generate_v1/v1mc/v4()`, `uuidv4()`, `uuidv7()`, `gen_random_bytes()`, `nextval()`, `setval()`), a
    /// `serial` type, an identity column or a `STORED` generated column. PostgreSQL rewrites the table and its indexes
    /// under an ACCESS EXCLUSIVE lock.
    /// `now()` and `CURRENT_TIMESTAMP` are stable, not volatile: since PostgreSQL 11 they do not rewrite. Functions of
    /// unknown volatility (user-defined ones) are not reported.
    public static let volatileDefault = LintRule(
        "volatile-default",
        "ADD COLUMN with a volatile DEFAULT (random(), gen_random_uuid(), serial...) rewrites an existing table")

    /// `ALTER [COLUMN] c [SET DATA] TYPE t` on an existing table: unless the old type casts to the new one without
    /// work (varchar(n) to text or to a longer varchar, numeric to a larger precision), PostgreSQL rewrites the table
    /// and rebuilds its indexes under an ACCESS EXCLUSIVE lock. The linter cannot know the old type, so it always
    /// reports, with that hint.
    public static let alterColumnType = LintRule(
        "alter-column-type",
        "ALTER COLUMN ... TYPE on an existing table may rewrite it and its indexes under ACCESS EXCLUSIVE")

    /// `ALTER [COLUMN] c SET NOT NULL` on an existing table: scans every row under an ACCESS EXCLUSIVE lock.
    public static let setNotNull = LintRule(
        "set-not-null",
        "SET NOT NULL on an existing table scans every row under ACCESS EXCLUSIVE")

    /// `ADD [CONSTRAINT c] FOREIGN KEY ... REFERENCES` without `NOT VALID`, or an inline `REFERENCES` in
    /// `ADD COLUMN`, on an existing table: every row is checked while both tables are locked against writes.
    public static let foreignKeyWithoutNotValid = LintRule(
        "foreign-key-without-not-valid",
        "FOREIGN KEY added to an existing table without NOT VALID checks every row while blocking writes")

    /// `ADD [CONSTRAINT c] CHECK (...)` without `NOT VALID`, or an inline `CHECK` in `ADD COLUMN`, on an existing
    /// table: every row is checked under an ACCESS EXCLUSIVE lock.
    public static let checkWithoutNotValid = LintRule(
        "check-without-not-valid",
        "CHECK constraint added to an existing table without NOT VALID scans every row under ACCESS EXCLUSIVE")

    /// `ADD [CONSTRAINT c] UNIQUE (...)` or `PRIMARY KEY (...)` without `USING INDEX`, or an inline `UNIQUE` /
    /// `PRIMARY KEY` in `ADD COLUMN`, on an existing table: the index is built under an ACCESS EXCLUSIVE lock.
    public static let addUniqueConstraint = LintRule(
        "add-unique-constraint",
        "UNIQUE / PRIMARY KEY added to an existing table without USING INDEX builds its index under ACCESS EXCLUSIVE")

    /// `ALTER TABLE ... DROP [COLUMN]` on an existing table: instances of the previous release still use it while
    /// the new one rolls out.
    public static let dropColumn = LintRule(
        "drop-column",
        "DROP COLUMN breaks the previous release's code while the new one rolls out", promotedByAll: false)

    /// `DROP TABLE` of an existing table: instances of the previous release still use it while the new one rolls out.
    public static let dropTable = LintRule(
        "drop-table",
        "DROP TABLE breaks the previous release's code while the new one rolls out", promotedByAll: false)

    /// `ALTER TABLE ... RENAME [COLUMN] a TO b` on an existing table: the previous release still uses the old name.
    public static let renameColumn = LintRule(
        "rename-column",
        "RENAME COLUMN breaks the previous release's code while the new one rolls out", promotedByAll: false)

    /// `ALTER TABLE ... RENAME TO` of an existing table: the previous release still uses the old name.
    public static let renameTable = LintRule(
        "rename-table",
        "RENAME TO (table) breaks the previous release's code while the new one rolls out", promotedByAll: false)

    /// A statement that takes a lock conflicting with ordinary reads or writes on an existing table (`ALTER TABLE`,
    /// `CREATE INDEX`, `CREATE TRIGGER`, `DROP TABLE`, `DROP INDEX`, `TRUNCATE`, `LOCK`, a foreign key to it, a new
    /// partition of it) with no `SET [LOCAL] lock_timeout` or `set_config('lock_timeout', ...)` before it in the file.
    /// Waiting for the lock, the migration queues every later query on the table behind it. One finding per file, at
    /// the first such statement. `SET LOCAL` does not count in a migration that runs outside a transaction (one with
    /// a statement such as `CREATE INDEX CONCURRENTLY`), and a zero or `DEFAULT` value, or `RESET`, turns it off.
    public static let missingLockTimeout = LintRule(
        "missing-lock-timeout",
        "a lock on an existing table taken without a lock_timeout can queue behind a long query and stop all traffic")

    /// A `runway:lint-disable` / `runway:lint-disable-next` comment that disables nothing: it names no rule or a rule
    /// that does not exist, or (`lint-disable-next`) it is not directly above a statement.
    public static let invalidDisableComment = LintRule(
        "invalid-disable-comment",
        "a runway:lint-disable comment names an unknown rule or is misplaced, so it disables nothing")
}
