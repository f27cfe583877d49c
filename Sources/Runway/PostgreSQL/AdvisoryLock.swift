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
struct AdvisoryLock {
    let key: AdvisoryLockKey
    let connection: Connection
    let logger: Logger

    /// Polls `pg_try_advisory_lock` once a second, `retries + 1` times at most (`-1` retries forever), logging who
    /// holds the lock while waiting.
    func acquire(retries: Int, cancellation: Cancellation) throws(RunwayError) {
        var remaining = retries
        var attempt = 0
        while true {
            try cancellation.check()
            let result = try connection.query("SELECT pg_try_advisory_lock($1::bigint)", [key.description])
            if result.scalar == "t" {
                if attempt > 0 { logger.info("Acquired the migration lock", metadata: ["attempts": "\(attempt + 1)"]) }
                return
            }
            attempt += 1
            if remaining == 0 {
                throw RunwayError(
                    .lockTimeout,
                    "Number of retries exceeded while attempting to acquire PostgreSQL advisory lock \(key) after "
                        + "\(attempt) attempts. \(holderDescription() ?? "") Configure the number of retries with "
                        + "the 'lockRetryCount' setting (--lock-retry-count).")
            }
            if remaining > 0 { remaining -= 1 }
            if attempt == 1 || attempt % 10 == 0 {
                logger.info(
                    "Waiting for the migration lock",
                    metadata: [
                        "key": "\(key)", "holder": "\(holderDescription() ?? "unknown")", "attempt": "\(attempt)",
                    ])
            }
            try cancellation.sleep(seconds: 1)
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

    /// Who holds the lock: pid, application_name, client address and since when, from pg_locks/pg_stat_activity.
    func holderDescription() -> String? {
        let sql = """
            SELECT a.pid::text, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local socket'),
                   coalesce(a.xact_start, a.backend_start)::timestamptz(0)::text, coalesce(a.usename::text, '')
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 1
            """
        guard let result = try? connection.query(sql, [String(key.classID), String(key.objectID)]),
            let row = result.rows.first
        else { return nil }
        let field = { (i: Int) in row[i] ?? "" }
        return "Lock held by pid \(field(0)) (application_name '\(field(1))', user '\(field(4))', client "
            + "\(field(2)), since \(field(3)))."
    }
}
