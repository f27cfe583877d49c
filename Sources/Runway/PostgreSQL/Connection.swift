import CLibPQ
#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif
import Logging

/// The rows and columns of one query result, copied out of libpq.
struct QueryResult: Sendable {
    var columns: [String] = []
    var rows: [[String?]] = []
    var commandTag: String = ""

    /// The first column of the first row.
    var scalar: String? { rows.first?.first ?? nil }
}

/// One row of a libpq result, read in place: valid only inside the `decode` closure of ``Connection/rows(_:_:)``
/// (the result is freed after it).
struct ResultRow {
    fileprivate let result: OpaquePointer
    fileprivate let row: Int32

    /// The column's text, `nil` for `NULL`.
    func string(_ column: Int32) -> String? {
        PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
    }

    /// The column's bytes (without the terminating NUL), `nil` for `NULL`.
    func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard PQgetisnull(result, row, column) == 0, let value = PQgetvalue(result, row, column) else { return nil }
        return UnsafeBufferPointer(
            start: UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self),
            count: Int(PQgetlength(result, row, column)))
    }

    /// The column as an integer (`nil` for `NULL` or anything that is not a whole number), parsed without making a
    /// string.
    func integer(_ column: Int32) -> Int? {
        guard PQgetisnull(result, row, column) == 0, let text = PQgetvalue(result, row, column), text.pointee != 0
        else { return nil }
        errno = 0
        var end: UnsafeMutablePointer<CChar>?
        let value = strtoll(text, &end, 10)
        guard errno == 0, let end, end.pointee == 0 else { return nil }
        return Int(value)
    }

    /// Whether the column is the boolean `t`.
    func isTrue(_ column: Int32) -> Bool {
        PQgetisnull(result, row, column) == 0 && PQgetvalue(result, row, column).pointee == UInt8(ascii: "t")
    }
}

/// One libpq connection (`PGconn`), owned by this object and closed in `deinit`.
///
/// Every call blocks the calling thread; Runway only calls it from its own worker thread (see ``Migrator``), never
/// from Swift's cooperative pool. Opening one can be interrupted from another thread (``ConnectionInterrupt``);
/// `cancel()` may be called from any thread: it sends a libpq cancel request for the statement that is running.
package final class Connection: @unchecked Sendable {
    private let handle: OpaquePointer
    private let cancelHandle: OpaquePointer?
    private let noticeBox: NoticeBox
    /// Secrets to scrub from any message that could reach a user.
    private let secrets: [String]
    /// The parameters this connection was opened with, for ``openAnother()``. Never logged.
    private let parameters: [(String, String)]
    /// What stops this connection's attempts, and those of ``openAnother()``.
    private let interrupt: ConnectionInterrupt?
    let logger: Logger

    /// The server's version number (`150018` for 15.18).
    let serverVersion: Int
    /// The backend pid the server announced at login (`PQbackendPID`). A pooler such as PgBouncer announces its own
    /// key instead, so a difference from `pg_backend_pid()` shows that a proxy sits in between.
    let backendPID: Int32

    /// libpq keywords whose values are secrets.
    static let secretKeywords: Set<String> = ["password", "sslpassword"]

    /// Opens a connection with libpq keyword/value parameters (never a formatted conninfo string).
    ///
    /// The attempt waits with poll(2), never inside a blocking libpq call, so `interrupt` stops it at once (see
    /// ``open(_:interrupt:)``, which also enforces `connect_timeout`); connections opened with ``openAnother()``
    /// share the interrupt.
    ///
    /// - Throws: ``RunwayError`` with code `.connection`, its message never containing the password; `.cancelled`
    ///   when `interrupt` fired.
    init(parameters: [(String, String)], logger: Logger, interrupt: ConnectionInterrupt? = nil) throws(RunwayError) {
        self.logger = logger
        self.parameters = parameters
        self.interrupt = interrupt
        self.secrets = Self.secrets(in: parameters)
        try ConnInfo.checkCertificateFiles(parameters)
        let connection: OpaquePointer
        switch try Self.open(parameters, interrupt: interrupt) {
        case .connected(let opened):
            connection = opened
        case .failed(let text, let needsPassword):
            var message = Self.scrub(text, secrets: secrets).trimmingWhitespace()
            if let hint = Self.tlsHint(message, parameters: parameters) { message += "\n" + hint }
            let refused = LoginRefusal(message: message, needsPassword: needsPassword)
            throw RunwayError(
                refused == nil ? .connection : .authentication, "Unable to connect to the database: \(message)",
                sqlState: refused?.sqlState)
        }
        self.handle = connection
        self.cancelHandle = PQgetCancel(connection)
        self.serverVersion = Int(PQserverVersion(connection))
        self.backendPID = PQbackendPID(connection)
        self.noticeBox = NoticeBox(logger: logger)
        PQsetNoticeReceiver(connection, noticeReceiver, Unmanaged.passUnretained(noticeBox).toOpaque())
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        PQfinish(handle)
    }

    /// A second connection with the same parameters (one attempt, no retries).
    func openAnother() throws(RunwayError) -> Connection {
        try Connection(parameters: parameters, logger: logger, interrupt: interrupt)
    }

    /// The values of the secret keywords, and the passwords inside a URI or conninfo string passed as `dbname`.
    private static func secrets(in parameters: [(String, String)]) -> [String] {
        var secrets: [String] = []
        for (keyword, value) in parameters where !value.isEmpty {
            if secretKeywords.contains(keyword) {
                secrets.append(value)
            } else if keyword == "dbname", case .success(let pairs) = ConnInfo.parse(value) {
                for (name, secret) in pairs where secretKeywords.contains(name) && !secret.isEmpty {
                    secrets.append(secret)
                }
            }
        }
        // Longest first, so a secret that contains another is replaced whole.
        return secrets.sorted { $0.count > $1.count }
    }

    /// What to do about a TLS failure libpq reported, or `nil` for other failures.
    static func tlsHint(_ message: String, parameters: [(String, String)]) -> String? {
        let rootCert = parameters.last { $0.0 == "sslrootcert" }?.1
        let lowered = message.lowercased()
        if lowered.contains("certificate verify failed") {
            let source =
                rootCert.map { "the CA certificates in sslrootcert '\($0)'" } ?? "the configured CA certificates"
            return "The server's certificate could not be verified against \(source): set DB_SSLROOTCERT "
                + "(--sslrootcert) to the CA that signed it."
        }
        if lowered.contains("does not match host name") {
            return "With sslmode=verify-full the host name must be one the server's certificate names: connect by "
                + "that name, use sslmode=verify-ca, or have the certificate reissued for this host."
        }
        return nil
    }

    /// A parameter the server reported at login (`server_version`, `TimeZone`...).
    func parameterStatus(_ name: String) -> String? {
        guard let value = PQparameterStatus(handle, name) else { return nil }
        return String(cString: value)
    }

    /// The host libpq connected to (useful with multi-host strings).
    var host: String { PQhost(handle).map { String(cString: $0) } ?? "" }

    /// Whether the connection is still usable.
    var isOK: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The session's transaction state as libpq last saw it (`PQtransactionStatus`).
    enum TransactionStatus: Sendable {
        /// No transaction is open: each statement commits on its own.
        case idle
        /// Inside a transaction block.
        case inTransaction
        /// Inside a transaction block that an error aborted.
        case failed
        /// A statement is running, or the connection is broken.
        case unknown
    }

    /// The session's transaction state after the last statement.
    var transactionStatus: TransactionStatus {
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: .idle
        case PQTRANS_INTRANS: .inTransaction
        case PQTRANS_INERROR: .failed
        default: .unknown
        }
    }

    /// The session's `standard_conforming_strings` as the server last reported it (it reports every change).
    var standardConformingStrings: Bool { parameterStatus("standard_conforming_strings") != "off" }

    /// `text` as a SQL string literal, quoted by libpq (`PQescapeLiteral`: right for the connection's encoding and
    /// `standard_conforming_strings`); `NULL` for `nil`.
    func literal(_ text: String?) throws(RunwayError) -> String {
        guard let text else { return "NULL" }
        guard let escaped = PQescapeLiteral(handle, text, text.utf8.count) else { throw connectionError() }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// Runs SQL text with the simple query protocol (several statements allowed) and returns the last result.
    ///
    /// `copyData` feeds a `COPY ... FROM STDIN` statement.
    @discardableResult
    func execute(_ sql: String, copyData: String? = nil) throws(RunwayError) -> QueryResult {
        guard var copyData else { return try execute(sql, copying: nil) }
        let result = copyData.withUTF8 { data in
            Result { () throws(RunwayError) -> QueryResult in try execute(sql, copying: data) }
        }
        return try result.get()
    }

    /// Runs SQL text, feeding `data` (sent in 1 MB pieces; `sent` is told how many bytes are on their way after
    /// each) to a `COPY ... FROM STDIN` statement.
    @discardableResult
    func execute(
        _ sql: String, copying data: UnsafeBufferPointer<UInt8>?, sent: (Int) -> Void = { _ in }
    ) throws(RunwayError) -> QueryResult {
        guard PQsendQuery(handle, sql) == 1 else { throw connectionError() }
        return try collectResults(copyData: data, sent: sent)
    }

    /// Runs one query and decodes every row of its result straight from libpq's buffer: no string is made for a
    /// column `decode` does not read (the history table, read on every start, has ten thousand rows in big projects).
    func rows<Row>(_ sql: String, _ decode: (ResultRow) -> Row) throws(RunwayError) -> [Row] {
        guard PQsendQuery(handle, sql) == 1 else { throw connectionError() }
        var rows: [Row] = []
        let outcome = withoutActuallyEscaping(decode) { decode in
            Result { () throws(RunwayError) in
                try collectResults(copyData: nil, sent: { _ in }) { result in
                    let count = PQntuples(result)
                    rows.reserveCapacity(rows.count + Int(count))
                    for row in 0..<count { rows.append(decode(ResultRow(result: result, row: row))) }
                }
            }
        }
        _ = try outcome.get()
        return rows
    }

    /// Hands `COPY ... FROM STDIN` data to the server: each call sends one piece.
    typealias CopyPut = (UnsafeBufferPointer<UInt8>) throws(RunwayError) -> Void

    /// Runs a `COPY ... FROM STDIN` statement whose data `produce` hands over piece by piece through the `put` it is
    /// given (the data is never held whole). When `produce` fails, the COPY is ended with an error, so the server
    /// keeps none of it, and `produce`'s error is thrown.
    @discardableResult
    func execute(_ sql: String, copyIn produce: (CopyPut) throws(RunwayError) -> Void) throws(RunwayError)
        -> QueryResult
    {
        guard PQsendQuery(handle, sql) == 1 else { throw connectionError() }
        let outcome = withoutActuallyEscaping(produce) { produce in
            Result { () throws(RunwayError) in try collectResults(copyData: nil, sent: { _ in }, produce: produce) }
        }
        return try outcome.get()
    }

    /// Runs one statement with text parameters (`$1`, `$2`...), never interpolated into the SQL.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws(RunwayError) -> QueryResult {
        try send(sql, parameters)
        return try collectResults(copyData: nil, sent: { _ in })
    }

    /// Sends one statement with text parameters without waiting for its results.
    private func send(_ sql: String, _ parameters: [String?]) throws(RunwayError) {
        let cStrings = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { cStrings.forEach { free($0) } }
        let sent = cStrings.withUnsafeBufferPointer { buffer -> Int32 in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { params in
                PQsendQueryParams(handle, sql, Int32(parameters.count), nil, params.baseAddress, nil, nil, 0)
            }
        }
        guard sent == 1 else { throw connectionError() }
    }

    /// ``query(_:_:)`` waiting at most `timeout` seconds for the answer (a pooler may queue a statement until it has a
    /// server connection). On timeout the statement is cancelled and `nil` returned; the connection is then still
    /// busy and must be closed, not used again.
    func query(_ sql: String, _ parameters: [String?], timeout: Double) throws(RunwayError) -> QueryResult? {
        try send(sql, parameters)
        let deadline = Date(timeIntervalSinceNow: timeout)
        while PQisBusy(handle) == 1 {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                cancel()
                return nil
            }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(remaining, 1) * 1000) + 1)
            if ready < 0, errno != EINTR { throw connectionError() }
            if ready > 0, PQconsumeInput(handle) == 0 { throw connectionError() }
        }
        return try collectResults(copyData: nil, sent: { _ in })
    }

    // MARK: - Pipeline

    /// Whether the connection is in libpq's pipeline mode (``sendPipelined(_:)``).
    var isPipelining: Bool { PQpipelineStatus(handle) != PQ_PIPELINE_OFF }

    /// Sends one statement without waiting for its result, entering pipeline mode first: extended protocol, followed
    /// by a Sync. The server parses each statement only once the one before it has run (so a `SET` before it
    /// applies, as for a statement sent on its own), a Sync ends each statement's `statement_timeout`, and after an
    /// error the statements behind it do not run (the server skips them, or the aborted transaction refuses them).
    /// Read each statement's result, in order, with ``nextPipelinedResult()``.
    func sendPipelined(_ sql: String) throws(RunwayError) {
        if !isPipelining, PQenterPipelineMode(handle) != 1 { throw connectionError() }
        guard PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0) == 1, PQpipelineSync(handle) == 1 else {
            throw connectionError()
        }
    }

    /// The result of the oldest statement sent with ``sendPipelined(_:)`` whose result was not read yet. A
    /// statement the server skipped after an earlier error throws a `.database` error without SQLSTATE ("not run");
    /// callers stop at the first error and drain the rest with ``endPipeline(pending:)``.
    func nextPipelinedResult() throws(RunwayError) -> QueryResult {
        var last = QueryResult()
        var failure: RunwayError?
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                last = Self.copy(result)
            case PGRES_PIPELINE_ABORTED:
                failure = failure ?? RunwayError(.database, "not run: an earlier statement failed")
            default:
                if failure == nil { failure = serverError(result) }
            }
        }
        // The statement's Sync.
        if let sync = PQgetResult(handle) {
            defer { PQclear(sync) }
            if PQresultStatus(sync) != PGRES_PIPELINE_SYNC, failure == nil { failure = serverError(sync) }
        } else if failure == nil {
            failure = connectionError()
        }
        if let failure { throw failure }
        return last
    }

    /// Reads what is left of `pending` statements' results (discarding them) and leaves pipeline mode.
    func endPipeline(pending: Int) {
        for _ in 0..<pending { _ = try? nextPipelinedResult() }
        if isPipelining { _ = PQexitPipelineMode(handle) }
    }

    /// Asks the server to cancel the statement in progress. Safe to call from any thread.
    func cancel() {
        guard let cancelHandle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
    }

    // MARK: - Results

    /// Reads every result of the statements sent; the last one is copied out, unless `tuples` takes the rows of each
    /// row-returning result instead.
    private func collectResults(
        copyData: UnsafeBufferPointer<UInt8>?, sent: (Int) -> Void, tuples: ((OpaquePointer) -> Void)? = nil,
        produce: ((CopyPut) throws(RunwayError) -> Void)? = nil
    ) throws(RunwayError) -> QueryResult {
        var last = QueryResult()
        var failure: RunwayError?
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK where tuples != nil:
                tuples?(result)
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                last = Self.copy(result)
            case PGRES_COPY_IN:
                if let produce {
                    if let failed = streamCopyData(produce) { failure = failure ?? failed }
                } else if let failed = sendCopyData(copyData, sent: sent) {
                    failure = failure ?? failed
                }
            case PGRES_COPY_OUT:
                // Drain and discard: migrations never expect COPY TO STDOUT output.
                var buffer: UnsafeMutablePointer<CChar>?
                while PQgetCopyData(handle, &buffer, 0) > 0 { PQfreemem(buffer) }
            default:
                if failure == nil { failure = serverError(result) }
            }
        }
        if let failure { throw failure }
        return last
    }

    private func streamCopyData(_ produce: (CopyPut) throws(RunwayError) -> Void) -> RunwayError? {
        do throws(RunwayError) {
            try produce { (piece) throws(RunwayError) in
                guard let base = piece.baseAddress else { return }
                var offset = 0
                while offset < piece.count {
                    let length = min(1 << 20, piece.count - offset)
                    let queued = UnsafeRawPointer(base + offset).withMemoryRebound(to: CChar.self, capacity: length) {
                        PQputCopyData(handle, $0, Int32(length))
                    }
                    guard queued == 1 else { throw connectionError() }
                    offset += length
                }
            }
        } catch {
            _ = PQputCopyEnd(handle, "COPY data could not be read: \(error.message)")
            return error
        }
        return PQputCopyEnd(handle, nil) == 1 ? nil : connectionError()
    }

    private func sendCopyData(_ data: UnsafeBufferPointer<UInt8>?, sent: (Int) -> Void) -> RunwayError? {
        let piece = 1 << 20
        if let data, let base = data.baseAddress {
            var offset = 0
            while offset < data.count {
                let length = min(piece, data.count - offset)
                let queued = UnsafeRawPointer(base + offset).withMemoryRebound(to: CChar.self, capacity: length) {
                    PQputCopyData(handle, $0, Int32(length))
                }
                guard queued == 1 else { return connectionError() }
                offset += length
                sent(offset)
            }
        }
        return PQputCopyEnd(handle, nil) == 1 ? nil : connectionError()
    }

    private static func copy(_ result: OpaquePointer) -> QueryResult {
        var copy = QueryResult()
        let columnCount = PQnfields(result)
        let rowCount = PQntuples(result)
        copy.columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        copy.rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            copy.rows.append(
                (0..<columnCount).map { column in
                    PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
                })
        }
        copy.commandTag = String(cString: PQcmdStatus(result))
        return copy
    }

    // MARK: - Errors

    private func field(_ result: OpaquePointer, _ code: Character) -> String? {
        guard let value = PQresultErrorField(result, Int32(code.asciiValue ?? 0)) else { return nil }
        return Self.scrub(String(cString: value), secrets: secrets)
    }

    private func serverError(_ result: OpaquePointer) -> RunwayError {
        let message = field(result, "M") ?? Self.scrub(String(cString: PQresultErrorMessage(result)), secrets: secrets)
        return RunwayError(
            RunwayError.Fields(
                code: PQstatus(handle) == CONNECTION_OK ? .database : .connection,
                message: message.trimmingWhitespace(),
                sqlState: field(result, "C").map(SQLState.init(rawValue:)), detail: field(result, "D"),
                hint: field(result, "H"), position: field(result, "P").flatMap(Int.init)))
    }

    private func connectionError() -> RunwayError {
        let message = Self.scrub(String(cString: PQerrorMessage(handle)), secrets: secrets)
        return RunwayError(.connection, message.trimmingWhitespace())
    }

    /// Replaces every secret in a message with `********`.
    static func scrub(_ message: String, secrets: [String]) -> String {
        secrets.reduce(message) { $1.isEmpty ? $0 : $0.replacingEvery($1, with: "********") }
    }
}

// MARK: - Notices

/// Receives server notices (`RAISE NOTICE`, warnings) and logs them.
private final class NoticeBox {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}

private func noticeReceiver(_ context: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let context, let result else { return }
    let box = Unmanaged<NoticeBox>.fromOpaque(context).takeUnretainedValue()
    let severity = PQresultErrorField(result, Int32(Character("V").asciiValue ?? 0)).map { String(cString: $0) } ?? ""
    let message = PQresultErrorField(result, Int32(Character("M").asciiValue ?? 0)).map { String(cString: $0) } ?? ""
    let level: Logger.Level = severity == "WARNING" ? .warning : .info
    box.logger.log(level: level, "Server \(severity.lowercased()): \(message)")
}
