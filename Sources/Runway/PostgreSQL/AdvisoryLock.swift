#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

/// The PostgreSQL advisory lock Flyway takes around migrations, with the same 64-bit key.
///
/// `key = 77431708279161 + JavaStringHashCode("\"schema\".\"table\"")`, so Runway and Flyway exclude each other
/// whichever lock mode either side uses (session and transaction advisory locks on one key conflict).
public struct AdvisoryLockKey: Sendable, Hashable, CustomStringConvertible {
    /// `0x466C79776179`, the ASCII bytes of "Flyway".
    public static let magic: Int64 = 77_431_708_279_161

    /// The 64-bit key passed to `pg_try_advisory_lock(bigint)`.
    public let value: Int64

    /// The key for a history table.
    public init(schema: String, table: String) {
        let name = quoteIdentifier(schema) + "." + quoteIdentifier(table)
        value = Self.magic &+ Int64(Self.javaHashCode(name))
    }

    /// Java's `String.hashCode`: `h = 31 * h + u` over UTF-16 code units, wrapping at 32 bits.
    public static func javaHashCode(_ string: String) -> Int32 {
        var hash: Int32 = 0
        for unit in string.utf16 { hash = hash &* 31 &+ Int32(unit) }
        return hash
    }

    /// `classid` as shown in `pg_locks` (high 32 bits).
    public var classID: UInt32 { UInt32(truncatingIfNeeded: UInt64(bitPattern: value) >> 32) }
    /// `objid` as shown in `pg_locks` (low 32 bits).
    public var objectID: UInt32 { UInt32(truncatingIfNeeded: UInt64(bitPattern: value)) }

    /// The decimal key.
    public var description: String { String(value) }
}

/// What a wait in this folder needs from whoever may stop it (the Execution layer's `Cancellation`): a check between
/// two polls, and a pause that ends early when the run is stopped. Both throw ``RunwayError`` `.cancelled`.
protocol WaitInterruption: AnyObject {
    func check() throws(RunwayError)
    func sleep(seconds: Double) throws(RunwayError)
}

/// Flyway's advisory lock, held as a session lock by the backend that runs the migrations.
///
/// # Why the lock lives on the work connection
/// The lock must be real for as long as work is done under it. A lock held by a separate idle connection can be lost
/// without the work noticing: an operator terminates the "idle" session, `idle_session_timeout` or a NAT drops it,
/// or the runner is killed with `-9` while its backend goes on executing a statement that then commits. Held by the
/// backend that executes the migrations, the lock lives exactly as long as that work:
/// - the backend ends → its transaction rolls back and the lock is released in the same moment; nothing of an
///   unfinished transactional migration survives, and a new runner finds the history as it was;
/// - the runner dies while its backend still executes a statement → the backend keeps the lock until the statement
///   ends, so no other runner starts applying while a statement of an earlier one still runs on the server;
/// - before every `COMMIT` and every statement that commits on its own, the executor checks in the same session that
///   the lock is still held (``heldCheckSQL``: a script can release it with `pg_advisory_unlock_all()` or
///   `DISCARD ALL`); otherwise it rolls back and stops with a retryable error.
///
/// Waiters poll `pg_try_advisory_lock` once a second in autocommit on their own work connection, so they never hold a
/// snapshot or an open transaction: a `CREATE INDEX CONCURRENTLY` of the holder never waits for them, and the holder
/// itself never waits for its own session lock. A waiter whose connection is lost while it waits (an
/// `idle_session_timeout`, a restart) opens a new one through `reopen` and goes on waiting.
///
/// Session and transaction advisory locks on one key conflict, so Runway and Flyway (which takes
/// `pg_advisory_xact_lock` or `pg_advisory_lock` on the same key) exclude each other.
///
/// A session lock needs a real server session: behind a pooler in transaction mode (PgBouncer's
/// `pool_mode = transaction`) consecutive statements may run on different server connections, the lock stays on
/// whichever one took it, and another client handed that connection would be granted it again.
/// ``acquire(retries:timeout:cancellation:)`` detects this and refuses: it checks that consecutive statements run in
/// one server session, that the session the lock was granted to is the one the next statement runs in, and (when
/// the backend key libpq received is not the server's pid, as behind PgBouncer) that a second connection is refused
/// the lock. These are checks, not proof: a transaction pool that happens to give every one of these statements the
/// same server connection and the second connection another one goes unnoticed; PgBouncer's default reuse (most
/// recently used first) and `server_round_robin` are both caught.
final class AdvisoryLock {
    let key: AdvisoryLockKey
    let logger: Logger
    /// The connection the lock is polled for, and held by once acquired.
    private(set) var connection: Connection
    /// Opens a new work connection when the one waiting for the lock is lost (`nil`: the loss is an error).
    private let reopen: (() throws(RunwayError) -> Connection)?

    init(
        key: AdvisoryLockKey, connection: Connection, logger: Logger,
        reopen: (() throws(RunwayError) -> Connection)? = nil
    ) {
        self.key = key
        self.connection = connection
        self.logger = logger
        self.reopen = reopen
    }

    /// Polls `pg_try_advisory_lock` once a second, `retries + 1` times at most (`-1` retries forever) and for at most
    /// `timeout` seconds when given (whichever ends first), logging who holds the lock while waiting. A connection
    /// lost while waiting is replaced through `reopen` (the wait goes on); ``connection`` is the one that holds the
    /// lock when this returns.
    ///
    /// Before polling and once the lock is granted, checks that the connection is a real server session (see the
    /// type's documentation); a transaction-pooling proxy is refused with `.configuration` and the lock it took is
    /// released again.
    ///
    /// - Throws: ``RunwayError`` `.lockTimeout` naming the holder when the retries or the time run out,
    ///   `.configuration` behind a transaction-pooling proxy, `.cancelled`, or a database error.
    func acquire(retries: Int, timeout: Double?, cancellation: WaitInterruption) throws(RunwayError) {
        var proxied: Bool
        do {
            proxied = try checkStableSession()
        } catch  where error.endedSession && reopen != nil {
            connection = try reopen?() ?? connection
            proxied = try checkStableSession()
        }
        let started = Date()
        let deadline = timeout.map { started.addingTimeInterval(max(0, $0)) }
        var remaining = retries
        var attempt = 0
        while true {
            try cancellation.check()
            let result: QueryResult
            do {
                result = try connection.query(
                    "SELECT pg_try_advisory_lock($1::bigint), pg_backend_pid()::text", [key.description])
            } catch  where error.endedSession && reopen != nil {
                // Nothing is held yet, so nothing is lost: wait on a new session.
                logger.warning(
                    "The connection waiting for the migration lock was closed; reconnecting",
                    metadata: ["error": "\(error.message)", "sqlstate": "\(error.sqlState?.rawValue ?? "")"])
                connection = try reopen?() ?? connection
                proxied = try checkStableSession()
                continue
            }
            if result.scalar == "t" {
                try verifyExclusive(grantedTo: result.rows.first?[1] ?? nil, proxied: proxied)
                if attempt > 0 {
                    logger.info(
                        "Acquired the migration lock",
                        metadata: [
                            "attempts": .stringConvertible(attempt + 1),
                            "waited_seconds": .stringConvertible(Self.rounded(Date().timeIntervalSince(started))),
                        ])
                }
                return
            }
            attempt += 1
            if let deadline, Date() >= deadline {
                let waited = Self.seconds(Date().timeIntervalSince(started))
                throw RunwayError(
                    .lockTimeout,
                    "Timed out after \(waited) s (lockWaitTimeout \(Self.seconds(timeout ?? 0)) s, \(attempt) "
                        + "attempts) waiting for PostgreSQL advisory lock \(key). \(holderText()) Stop that session "
                        + "or wait for it to finish, or raise the wait with --lock-wait-timeout.")
            }
            if remaining == 0 {
                throw RunwayError(
                    .lockTimeout,
                    "Number of retries exceeded while attempting to acquire PostgreSQL advisory lock \(key) after "
                        + "\(attempt) attempts. \(holderText()) Configure the number of retries with the "
                        + "'lockRetryCount' setting (--lock-retry-count), or bound the wait in seconds with "
                        + "--lock-wait-timeout.")
            }
            if remaining > 0 { remaining -= 1 }
            if attempt == 1 || attempt % 10 == 0 {
                var metadata: Logger.Metadata = [
                    "key": "\(key)", "attempt": .stringConvertible(attempt),
                    "waited_seconds": .stringConvertible(Self.rounded(Date().timeIntervalSince(started))),
                ]
                let holder = self.holder()
                metadata["holder"] = "\(holder?.description ?? "unknown (the lock was just released)")"
                if let holder { metadata.merge(holder.metadata) { current, _ in current } }
                logger.info("Waiting for the migration lock", metadata: metadata)
            }
            let pause = deadline.map { min(1, max(0, $0.timeIntervalSinceNow)) } ?? 1
            try cancellation.sleep(seconds: pause)
        }
    }

    /// SQL that fails the transaction it runs in unless this session holds the lock. Sent with every `COMMIT`
    /// under the lock, and before every statement that commits on its own; ``isLossError(_:)`` recognises its error.
    var heldCheckSQL: String {
        // A stable function in the ELSE branch keeps the planner from folding the failing cast at plan time.
        """
        SELECT CASE WHEN EXISTS (
            SELECT 1 FROM pg_catalog.pg_locks
            WHERE locktype = 'advisory' AND granted AND pid = pg_catalog.pg_backend_pid() AND objsubid = 1
              AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
              AND classid = \(key.classID)::bigint::oid AND objid = \(key.objectID)::bigint::oid)
          THEN 0 ELSE ('\(Self.lossMarker) ' || pg_catalog.pg_backend_pid())::integer END
        """
    }

    /// The text the check's error carries.
    private static let lossMarker = "Runway no longer holds the migration lock in session"

    /// Whether `error` is the failure of ``heldCheckSQL``: the failed cast's code, and Runway's own marker, which the
    /// server quotes as the value it could not cast (it translates the words around it, never the value) and which
    /// tells the check apart from any other failed cast.
    static func isLossError(_ error: RunwayError) -> Bool {
        error.sqlState == .invalidTextRepresentation && error.message.contains(lossMarker)
    }

    /// Releases the session lock; failures are logged (closing the connection frees it anyway).
    func release() {
        guard connection.isOK else { return }
        do {
            try connection.query("SELECT pg_advisory_unlock($1::bigint)", [key.description])
        } catch {
            logger.warning("Unable to release PostgreSQL advisory lock", metadata: ["error": "\(error.message)"])
        }
    }

    // MARK: - The holder

    /// The session holding the lock, as pg_locks and pg_stat_activity show it.
    struct Holder: Sendable, CustomStringConvertible {
        /// The holder's backend pid; `nil` for a prepared transaction.
        var pid: String?
        var applicationName: String?
        var user: String?
        /// `address:port`, `local socket`, or `nil` when this role may not see it.
        var client: String?
        /// `active`, `idle`, `idle in transaction`...; `nil` when this role may not see it.
        var state: String?
        /// Seconds in the current state.
        var stateSeconds: Int?
        /// Seconds since the holder connected.
        var connectedSeconds: Int?
        /// Seconds the holder's transaction has been open, when it has one.
        var transactionSeconds: Int?
        /// When the holder connected (`2025-01-31 10:00:00+00`).
        var connectedAt: String?

        /// One sentence for logs and errors; it starts with `Lock held by pid <pid>`.
        var description: String {
            guard let pid else {
                return "Lock held by a prepared transaction (see pg_prepared_xacts; COMMIT PREPARED or ROLLBACK "
                    + "PREPARED it)."
            }
            var parts = [
                "application_name '\(applicationName ?? "")'", "user '\(user ?? "")'",
                "client \(client ?? "unknown")",
            ]
            if let state {
                parts.append("state '\(state)'" + (stateSeconds.map { " for \(AdvisoryLock.duration($0))" } ?? ""))
            } else {
                parts.append("state unknown (this role may not see other roles' sessions: grant pg_read_all_stats)")
            }
            if let connectedSeconds {
                parts.append(
                    "connected for \(AdvisoryLock.duration(connectedSeconds))"
                        + (connectedAt.map { " since \($0)" } ?? ""))
            }
            if let transactionSeconds {
                parts.append("transaction open for \(AdvisoryLock.duration(transactionSeconds))")
            }
            return "Lock held by pid \(pid) (\(parts.joined(separator: ", ")))."
        }

        /// The holder's fields as log metadata (`holder_pid`, `holder_application_name`...).
        var metadata: Logger.Metadata {
            var metadata: Logger.Metadata = [:]
            let fields: [(String, String?)] = [
                ("holder_application_name", applicationName), ("holder_user", user), ("holder_client", client),
                ("holder_state", state),
            ]
            for (name, value) in fields { if let value { metadata[name] = "\(value)" } }
            if let pid { metadata["holder_pid"] = Int(pid).map { .stringConvertible($0) } ?? "\(pid)" }
            let durations: [(String, Int?)] = [
                ("holder_connected_seconds", connectedSeconds), ("holder_transaction_seconds", transactionSeconds),
            ]
            for (name, value) in durations { if let value { metadata[name] = .stringConvertible(value) } }
            return metadata
        }
    }

    /// Who holds the lock, or `nil` when nobody does (it was just released) or the query failed.
    func holder() -> Holder? {
        let sql = """
            SELECT l.pid::text, a.application_name, a.usename::text,
                   CASE WHEN a.client_addr IS NOT NULL THEN host(a.client_addr) || ':' || a.client_port
                        WHEN a.client_port = -1 THEN 'local socket' END,
                   a.state,
                   floor(extract(epoch FROM clock_timestamp() - a.state_change))::bigint::text,
                   floor(extract(epoch FROM clock_timestamp() - a.backend_start))::bigint::text,
                   floor(extract(epoch FROM clock_timestamp() - a.xact_start))::bigint::text,
                   a.backend_start::timestamptz(0)::text
            FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 1
            LIMIT 1
            """
        guard let result = try? connection.query(sql, [String(key.classID), String(key.objectID)]),
            let row = result.rows.first, row.count == 9
        else { return nil }
        return Holder(
            pid: row[0], applicationName: row[1], user: row[2], client: row[3], state: row[4],
            stateSeconds: row[5].flatMap { Int($0) }, connectedSeconds: row[6].flatMap { Int($0) },
            transactionSeconds: row[7].flatMap { Int($0) }, connectedAt: row[8])
    }

    /// Who holds the lock, as one sentence starting with `Lock held by pid`; `nil` when nobody does.
    func holderDescription() -> String? { holder()?.description }

    private func holderText() -> String {
        holderDescription() ?? "No session holds it any more (it was released just now)."
    }

    // MARK: - Transaction pooling

    /// How many statements the stability checks run.
    private static let checkStatements = 3

    /// Checks that consecutive statements run in one server session. Returns whether a proxy sits between Runway and
    /// PostgreSQL: the backend pid libpq was given at login is not the server's (PgBouncer sends its own key).
    private func checkStableSession() throws(RunwayError) -> Bool {
        var pids: [String] = []
        let first = try connection.query("SELECT pg_backend_pid()::text").scalar ?? ""
        pids.append(first)
        let proxied = first != String(connection.backendPID)
        guard proxied else { return false }
        logger.debug(
            "The connection goes through a proxy or pooler (its backend key is not the server's)",
            metadata: ["server_pid": "\(first)"])
        for _ in 1..<Self.checkStatements {
            pids.append(try connection.query("SELECT pg_backend_pid()::text").scalar ?? "")
        }
        if Set(pids).count > 1 {
            throw Self.transactionPoolingError(
                "consecutive statements on one connection ran in different server sessions (backend pids "
                    + "\(Self.list(pids)))")
        }
        return true
    }

    /// After `pg_try_advisory_lock` succeeded on backend `grantedTo`: later statements must run on that backend and
    /// see the lock as theirs, and (behind a proxy) another client must not be granted it too. Otherwise releases the
    /// lock and refuses.
    private func verifyExclusive(grantedTo pid: String?, proxied: Bool) throws(RunwayError) {
        let sql = """
            SELECT pg_backend_pid()::text, EXISTS (
                SELECT 1 FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1)
            """
        let parameters = [String(key.classID), String(key.objectID)]
        var seen: [String] = [pid ?? "?"]
        for _ in 0..<(proxied ? Self.checkStatements : 1) {
            let row = try connection.query(sql, parameters).rows.first ?? []
            let current = row.first.flatMap { $0 } ?? "?"
            seen.append(current)
            if current != pid || row.count < 2 || row[1] != "t" {
                releaseStranded(heldBy: pid)
                throw Self.transactionPoolingError(
                    "the advisory lock was granted to server session \(pid ?? "?") but the next statement ran in "
                        + "\(current == pid ? "a session that does not hold it" : "server session \(current)") "
                        + "(backend pids \(Self.list(seen)))")
            }
        }
        guard proxied else { return }
        // A transaction pool hands an idle server connection to the next client that asks: if a second client is
        // granted the lock too, the lock is not exclusive.
        let probe: Connection
        do { probe = try connection.openAnother() } catch {
            logger.warning(
                "Unable to check that the migration lock is exclusive through the pooler",
                metadata: ["error": "\(error.message)"])
            return
        }
        let probeSQL = """
            SELECT pg_try_advisory_lock($1::bigint), pg_backend_pid()::text
            """
        guard let answer = try? probe.query(probeSQL, [key.description], timeout: 10) else {
            logger.warning(
                "Unable to check that the migration lock is exclusive through the pooler",
                metadata: ["reason": "a second connection got no server session within 10 s"])
            return
        }
        let row = answer.rows.first ?? []
        guard row.first == "t" else { return }
        let probePID = row.count > 1 ? row[1] : nil
        releaseStranded(heldBy: probePID, on: probe)
        releaseStranded(heldBy: pid)
        throw Self.transactionPoolingError(
            "a second connection was granted the same advisory lock while this one held it (server session "
                + "\(probePID ?? "?")), so the pooler shares server sessions between clients")
    }

    /// Releases a lock that a pooled server session holds, by running the unlock until a statement lands on that
    /// session (bounded: a transaction pool hands statements to its idle server connections in turn).
    private func releaseStranded(heldBy pid: String?, on connection: Connection? = nil) {
        guard let pid else { return }
        let connection = connection ?? self.connection
        let sql = """
            SELECT pg_backend_pid()::text = $2, CASE WHEN pg_backend_pid()::text = $2 AND EXISTS (
                SELECT 1 FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND objsubid = 1
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND classid = $3::bigint::oid AND objid = $4::bigint::oid)
              THEN pg_advisory_unlock($1::bigint) END
            """
        let parameters = [key.description, pid, String(key.classID), String(key.objectID)]
        for _ in 0..<50 {
            guard let row = try? connection.query(sql, parameters).rows.first, row.count == 2 else { break }
            if row[0] == "t", row[1] == nil { return }  // on the holder, and it no longer holds the lock
        }
        logger.warning(
            "The migration lock may stay held by a pooled server session until the pooler closes it",
            metadata: ["server_pid": "\(pid)", "key": "\(key)"])
    }

    private static func transactionPoolingError(_ evidence: String) -> RunwayError {
        RunwayError(
            .configuration,
            "Refusing to migrate through a connection pooler in transaction mode (PgBouncer pool_mode = transaction "
                + "or similar): \(evidence). The migration lock is a session-level advisory lock and needs one "
                + "server session for the whole run. Use a direct connection to PostgreSQL (point DB_HOST/DB_PORT "
                + "or the url at the database server, not at PgBouncer) or a session-mode pool.")
    }

    // MARK: - Formatting

    private static func list(_ pids: [String]) -> String {
        var unique: [String] = []
        for pid in pids where !unique.contains(pid) { unique.append(pid) }
        return unique.joined(separator: ", ")
    }

    /// Whole seconds, or one decimal under ten seconds (`0.5`, `2`, `42`).
    /// Seconds as logged: one decimal below 10 s, whole seconds above (the number ``seconds(_:)`` writes).
    static func rounded(_ value: Double) -> Double {
        value < 10 ? (value * 10).rounded() / 10 : value.rounded()
    }

    static func seconds(_ value: Double) -> String {
        guard value < 10, value.rounded() != value else { return String(Int(value.rounded())) }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// `42 s`, `3 min 5 s`, `2 h 7 min`, `3 d 4 h`.
    static func duration(_ seconds: Int) -> String {
        let seconds = max(0, seconds)
        switch seconds {
        case ..<60: return "\(seconds) s"
        case ..<3600: return "\(seconds / 60) min \(seconds % 60) s"
        case ..<86400: return "\(seconds / 3600) h \(seconds % 3600 / 60) min"
        default: return "\(seconds / 86400) d \(seconds % 86400 / 3600) h"
        }
    }
}
