import Foundation
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

/// A session-level advisory lock held on a connection that never has an open transaction.
///
/// Holding the lock on an idle connection (rather than in an open transaction, as Flyway does by default) means a
/// `CREATE INDEX CONCURRENTLY` on the migration connection never waits for the lock holder; waiters poll with
/// `pg_try_advisory_lock` in autocommit, so they hold no snapshot either.
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
struct AdvisoryLock {
    let key: AdvisoryLockKey
    let connection: Connection
    let logger: Logger

    /// ``acquire(retries:timeout:cancellation:)`` without a time bound.
    func acquire(retries: Int, cancellation: Cancellation) throws(RunwayError) {
        try acquire(retries: retries, timeout: nil, cancellation: cancellation)
    }

    /// Polls `pg_try_advisory_lock` once a second, `retries + 1` times at most (`-1` retries forever) and for at most
    /// `timeout` seconds when given (whichever ends first), logging who holds the lock while waiting.
    ///
    /// Before polling and once the lock is granted, checks that the connection is a real server session (see the
    /// type's documentation); a transaction-pooling proxy is refused with `.configuration` and the lock it took is
    /// released again.
    ///
    /// - Throws: ``RunwayError`` `.lockTimeout` naming the holder when the retries or the time run out,
    ///   `.configuration` behind a transaction-pooling proxy, `.cancelled`, or a database error.
    func acquire(retries: Int, timeout: Double?, cancellation: Cancellation) throws(RunwayError) {
        let proxied = try checkStableSession()
        let started = Date()
        let deadline = timeout.map { started.addingTimeInterval(max(0, $0)) }
        var remaining = retries
        var attempt = 0
        while true {
            try cancellation.check()
            let result = try connection.query(
                "SELECT pg_try_advisory_lock($1::bigint), pg_backend_pid()::text", [key.description])
            if result.scalar == "t" {
                try verifyExclusive(grantedTo: result.rows.first?[1] ?? nil, proxied: proxied)
                if attempt > 0 {
                    logger.info(
                        "Acquired the migration lock",
                        metadata: [
                            "attempts": "\(attempt + 1)",
                            "waited_seconds": "\(Self.seconds(Date().timeIntervalSince(started)))",
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
                    "key": "\(key)", "attempt": "\(attempt)",
                    "waited_seconds": "\(Self.seconds(Date().timeIntervalSince(started)))",
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

    /// Releases the session lock; failures are logged (closing the connection frees it anyway).
    func release() {
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
                ("holder_pid", pid), ("holder_application_name", applicationName), ("holder_user", user),
                ("holder_client", client), ("holder_state", state),
                ("holder_connected_seconds", connectedSeconds.map(String.init)),
                ("holder_transaction_seconds", transactionSeconds.map(String.init)),
            ]
            for (name, value) in fields { if let value { metadata[name] = "\(value)" } }
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
    static func seconds(_ value: Double) -> String {
        value < 10 && value.rounded() != value ? String(format: "%.1f", value) : String(Int(value.rounded()))
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
