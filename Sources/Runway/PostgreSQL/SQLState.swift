/// A PostgreSQL error code (SQLSTATE): five characters, the first two naming the class
/// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
///
/// Match errors by code, never by message text (the server translates messages, not codes):
///
/// ```swift
/// if error.sqlState == .lockNotAvailable { ... }
/// if error.sqlState?.isConnectionException == true { ... }
/// ```
///
/// The constants are named for PostgreSQL's condition names (`lock_not_available` is ``lockNotAvailable``); any
/// other code is written as a literal: `let state: SQLState = "40001"`.
public struct SQLState: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The five-character code, as the server sent it (for example `42P01`).
    public let rawValue: String

    /// A code as the server sent it (not checked: the server's codes are kept as they are).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A code from a literal, such as `"40001"`.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The code itself, as `SQL State  : 42P01` prints it.
    public var description: String { rawValue }

    /// The class: the first two characters (`08` for every connection exception).
    public var errorClass: Substring { rawValue.prefix(2) }

    /// Class 08, connection exception: the connection is gone or could not be made.
    public var isConnectionException: Bool { errorClass == "08" }

    /// Whether the server ended the session with this error: class 08, or an operator intervention that ends it
    /// (``adminShutdown``, ``crashShutdown``, ``cannotConnectNow``, ``idleSessionTimeout``). The server rolled back
    /// the session's open transaction and released its locks.
    public var endsSession: Bool {
        isConnectionException || Self.sessionEnding.contains(self)
    }

    private static let sessionEnding: Set<SQLState> = [
        .adminShutdown, .crashShutdown, .cannotConnectNow, .idleSessionTimeout,
    ]

    // MARK: - Class 08: connection exception

    /// `08000` connection_exception.
    public static let connectionException: SQLState = "08000"
    /// `08003` connection_does_not_exist.
    public static let connectionDoesNotExist: SQLState = "08003"
    /// `08006` connection_failure.
    public static let connectionFailure: SQLState = "08006"

    // MARK: - Class 22: data exception

    /// `22012` division_by_zero.
    public static let divisionByZero: SQLState = "22012"
    /// `22P02` invalid_text_representation (a cast of text that is not a number, for one).
    public static let invalidTextRepresentation: SQLState = "22P02"

    // MARK: - Class 23: integrity constraint violation

    /// `23505` unique_violation.
    public static let uniqueViolation: SQLState = "23505"

    // MARK: - Class 25: invalid transaction state

    /// `25006` read_only_sql_transaction: a write on a standby or in a read-only transaction.
    public static let readOnlySQLTransaction: SQLState = "25006"
    /// `25P02` in_failed_sql_transaction: a statement after an error in the same transaction.
    public static let inFailedSQLTransaction: SQLState = "25P02"

    // MARK: - Class 28: invalid authorization specification

    /// `28000` invalid_authorization_specification (an unknown role, a role that may not log in, pg_hba.conf).
    public static let invalidAuthorizationSpecification: SQLState = "28000"
    /// `28P01` invalid_password.
    public static let invalidPassword: SQLState = "28P01"

    // MARK: - Class 40: transaction rollback

    /// `40001` serialization_failure.
    public static let serializationFailure: SQLState = "40001"
    /// `40P01` deadlock_detected.
    public static let deadlockDetected: SQLState = "40P01"

    // MARK: - Class 42: syntax error or access rule violation

    /// `42501` insufficient_privilege.
    public static let insufficientPrivilege: SQLState = "42501"
    /// `42601` syntax_error.
    public static let syntaxError: SQLState = "42601"
    /// `42P01` undefined_table.
    public static let undefinedTable: SQLState = "42P01"

    // MARK: - Class 55: object not in prerequisite state

    /// `55P03` lock_not_available: `lock_timeout` expired, or `NOWAIT` found the lock taken.
    public static let lockNotAvailable: SQLState = "55P03"

    // MARK: - Class 57: operator intervention

    /// `57014` query_canceled: a cancel request or `statement_timeout`.
    public static let queryCanceled: SQLState = "57014"
    /// `57P01` admin_shutdown: the server is shutting down, or `pg_terminate_backend` ended the session.
    public static let adminShutdown: SQLState = "57P01"
    /// `57P02` crash_shutdown: another server process crashed.
    public static let crashShutdown: SQLState = "57P02"
    /// `57P03` cannot_connect_now: the server is starting up or in recovery.
    public static let cannotConnectNow: SQLState = "57P03"
    /// `57P05` idle_session_timeout.
    public static let idleSessionTimeout: SQLState = "57P05"
}
