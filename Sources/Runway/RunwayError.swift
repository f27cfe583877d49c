/// The one error type Runway throws.
///
/// `description` is always safe to show a user: it never contains a password. Errors that come from the server
/// carry its SQLSTATE, detail and hint; errors about a migration name its file and the line of the statement.
public struct RunwayError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; decides the CLI's exit code.
    ///
    /// A struct, not an enum, so that a new code never breaks a caller's `switch` (as postgres-nio's
    /// `PSQLError.Code`): match codes with `==` or in a `switch` with a `default` case. ``rawValue`` is the
    /// stable name JSON output carries (`CONFIGURATION`, `INVALID_MIGRATION`...).
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case configuration = "CONFIGURATION"
            case invalidMigration = "INVALID_MIGRATION"
            case connection = "CONNECTION"
            case authentication = "AUTHENTICATION"
            case lockTimeout = "LOCK_TIMEOUT"
            case validation = "VALIDATE_ERROR"
            case migrationFailed = "MIGRATION_FAILED"
            case database = "DATABASE"
            case cancelled = "CANCELLED"
            case timeout = "TIMEOUT"
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The code with this name (`CONFIGURATION`...), or `nil` for a name Runway does not have.
        public init?(rawValue: String) {
            guard let base = Base(rawValue: rawValue) else { return nil }
            self.base = base
        }

        /// The stable name JSON output and log metadata carry: `CONFIGURATION`, `INVALID_MIGRATION`, `CONNECTION`,
        /// `AUTHENTICATION`, `LOCK_TIMEOUT`, `VALIDATE_ERROR`, `MIGRATION_FAILED`, `DATABASE`, `CANCELLED`,
        /// `TIMEOUT`.
        public var rawValue: String { base.rawValue }

        /// The code's Swift name (`configuration`, `lockTimeout`...).
        public var description: String { String(describing: base) }

        /// A setting, flag or environment variable has a value that cannot be right.
        public static let configuration = Code(.configuration)
        /// A migration file cannot be used: bad name, duplicate version, invalid UTF-8, unparsable SQL.
        public static let invalidMigration = Code(.invalidMigration)
        /// The database could not be reached, or a failure that may pass: the server starting or failing over,
        /// `no pg_hba.conf entry`, a lost session. Worth retrying.
        public static let connection = Code(.connection)
        /// The server refused the login for good: a wrong password (SQLSTATE `28P01`), a role that does not exist or
        /// may not log in (`28000`), no password given. Retrying with the same settings cannot succeed.
        public static let authentication = Code(.authentication)
        /// The advisory lock could not be taken within the configured number of retries.
        public static let lockTimeout = Code(.lockTimeout)
        /// Applied migrations and the files disagree (checksum, description, type, order...).
        public static let validation = Code(.validation)
        /// A migration statement failed on the server; the migration was rolled back where possible.
        public static let migrationFailed = Code(.migrationFailed)
        /// Any other server error (history table access, schema creation...).
        public static let database = Code(.database)
        /// The operation was cancelled (SIGTERM/SIGINT or task cancellation).
        public static let cancelled = Code(.cancelled)
        /// `wait` gave up before the database reached the expected state.
        public static let timeout = Code(.timeout)
    }

    // The fields never change once the error is made; on its way up an error is replaced by a refined copy (the file
    // and line of the statement, a clearer message: ``refined(_:)``).

    /// What kind of failure this is.
    public let code: Code
    /// A message that says what went wrong and, where possible, what to do next.
    public let message: String
    /// The migration or callback file at fault, relative to its location, when there is one.
    public let file: String?
    /// The 1-based line in `file` of the failing statement.
    public let line: Int?
    /// The server's SQLSTATE (for example ``SQLState/undefinedTable``, `42P01`).
    public let sqlState: SQLState?
    /// The server's DETAIL field.
    public let detail: String?
    /// The server's HINT field.
    public let hint: String?
    /// The failing SQL statement (possibly shortened).
    public let statement: String?
    /// The server's error position: a 1-based character offset into `statement`.
    public let position: Int?
    /// For a `migrate` that failed while applying migrations: what the run did before the failure (the schema
    /// version it started from and the migrations that stayed applied), as Flyway keeps it in its failed result.
    /// `nil` when the run failed before it applied anything (configuration, connection, validation...).
    public let migrateResult: MigrateResult?
    /// For an `undo` that failed while undoing: what it undid before the failure (each undo commits on its own).
    public let undoResult: UndoResult?
    /// Flyway's error code where it names this failure more precisely than ``code`` does
    /// (`FAILED_VERSIONED_MIGRATION`, `FAILED_REPEATABLE_MIGRATION`, `NON_EMPTY_SCHEMA_WITHOUT_SCHEMA_HISTORY_TABLE`,
    /// `ERROR`); the CLI's JSON output carries it.
    package let flywayErrorCode: String?
    /// Set when the session was found to no longer hold the migration lock (the session itself is still there).
    let lockLost: Bool
    /// What was wrong with a migration file, where `validate --offline` reports problems apart (the public
    /// ``code`` is ``Code/invalidMigration`` for all of them).
    let fileProblem: FileProblem?

    /// An error's fields, to build a refined copy of it.
    struct Fields {
        var code: Code
        var message: String
        var file: String?
        var line: Int?
        var sqlState: SQLState?
        var detail: String?
        var hint: String?
        var statement: String?
        var position: Int?
        var migrateResult: MigrateResult?
        var undoResult: UndoResult?
        var flywayErrorCode: String?
        var lockLost = false
        var fileProblem: FileProblem?
    }

    /// The error's fields.
    var fields: Fields {
        Fields(
            code: code, message: message, file: file, line: line, sqlState: sqlState, detail: detail, hint: hint,
            statement: statement, position: position, migrateResult: migrateResult, undoResult: undoResult,
            flywayErrorCode: flywayErrorCode, lockLost: lockLost, fileProblem: fileProblem)
    }

    /// An error made of `fields`.
    init(_ fields: Fields) {
        code = fields.code
        message = fields.message
        file = fields.file
        line = fields.line
        sqlState = fields.sqlState
        detail = fields.detail
        hint = fields.hint
        statement = fields.statement
        position = fields.position
        migrateResult = fields.migrateResult
        undoResult = fields.undoResult
        flywayErrorCode = fields.flywayErrorCode
        lockLost = fields.lockLost
        fileProblem = fields.fileProblem
    }

    /// A copy with `change` applied to its fields.
    func refined(_ change: (inout Fields) -> Void) -> RunwayError {
        var fields = fields
        change(&fields)
        return RunwayError(fields)
    }

    /// The problems with a migration file that `validate --offline` gives their own finding codes.
    enum FileProblem: Sendable, Hashable {
        /// A `.sql.conf` side file that cannot be read or parsed (`SCRIPT_CONFIG`).
        case scriptConfig
        /// A placeholder without a value (`UNDEFINED_PLACEHOLDER`).
        case undefinedPlaceholder
        /// Two versioned (or two baseline) migrations with the same version (`DUPLICATE_VERSION`).
        case duplicateVersion
        /// Two repeatable migrations with the same description (`DUPLICATE_DESCRIPTION`).
        case duplicateDescription
    }

    /// Whether the error ended the database session: the connection broke, or the server ended the session
    /// (``SQLState/endsSession``: class 08, admin or crash shutdown, cannot connect now, idle_session_timeout). The
    /// server rolled back the session's open transaction and released its locks.
    var endedSession: Bool {
        if lockLost { return false }
        if code == .connection { return true }
        return sqlState?.endsSession ?? false
    }

    /// Creates an error; `message` must not contain secrets.
    public init(
        _ code: Code, _ message: String, file: String? = nil, line: Int? = nil, sqlState: SQLState? = nil,
        detail: String? = nil, hint: String? = nil, statement: String? = nil
    ) {
        self.init(
            Fields(
                code: code, message: message, file: file, line: line, sqlState: sqlState, detail: detail, hint: hint,
                statement: statement))
    }

    /// A multi-line, user-facing description in the shape Flyway prints for failed scripts.
    public var description: String {
        var lines = [message]
        if let file {
            lines.append("Location   : \(file)" + (line.map { " line \($0)" } ?? ""))
        }
        if let sqlState { lines.append("SQL State  : \(sqlState)") }
        if let detail, !detail.isEmpty { lines.append("Detail     : \(detail)") }
        if let hint, !hint.isEmpty { lines.append("Hint       : \(hint)") }
        if let statement, !statement.isEmpty { lines.append("Statement  : \(statement)") }
        return lines.joined(separator: "\n")
    }
}

extension RunwayError {
    static func configuration(_ message: String) -> RunwayError { RunwayError(.configuration, message) }
    static func invalidMigration(
        _ message: String, file: String? = nil, line: Int? = nil, problem: FileProblem? = nil
    ) -> RunwayError {
        RunwayError(Fields(code: .invalidMigration, message: message, file: file, line: line, fileProblem: problem))
    }
}
