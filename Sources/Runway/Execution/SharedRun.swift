#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What the targets of one fleet run share (``FleetMigrator``): the scan of the locations (every target reads the
/// same files, so they are listed, named and checksummed once) and, for targets in one database, idle connections.
final class SharedRun: @unchecked Sendable {
    /// Idle connections to the one database the targets share, or `nil` when each target connects on its own
    /// (targets in different databases).
    let pool: ConnectionPool?
    private let lock = Lock()
    private var scanned: Result<ScanResult, RunwayError>?

    init(pool: ConnectionPool?) {
        self.pool = pool
    }

    /// The scan, made by the first target that asks (its error, if any, is every target's error).
    func scan(_ make: () throws(RunwayError) -> ScanResult) throws(RunwayError) -> ScanResult {
        try lock.withLock { () throws(RunwayError) -> ScanResult in
            if let scanned { return try scanned.get() }
            let result = Result { () throws(RunwayError) -> ScanResult in try make() }
            scanned = result
            return try result.get()
        }
    }
}

/// Idle connections to one database, handed from a target that finished to the next one, so a fleet of schemas pays
/// for a connection (and its SCRAM exchange) once per worker instead of once per target.
///
/// A connection comes back only when its session is in a clean state: no transaction open, and `DISCARD ALL`
/// succeeded (it resets every setting, the role and session authorization, releases advisory locks, drops temporary
/// tables and prepared statements, as PgBouncer resets a server connection between clients). Anything else closes
/// it. The next target runs `initSql` again and reads its facts (`current_user`, `search_path`) afresh.
final class ConnectionPool: @unchecked Sendable {
    private let lock = Lock()
    private var idle: [Connection] = []
    /// At most this many idle connections are kept (the fleet's parallelism).
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// An idle connection, if there is one.
    func take() -> Connection? {
        lock.withLock { idle.popLast() }
    }

    /// Resets `connection` and keeps it for the next target, or lets it close.
    func give(_ connection: Connection) {
        guard connection.isOK, connection.transactionStatus == .idle,
            (try? connection.execute("DISCARD ALL")) != nil, connection.transactionStatus == .idle
        else { return }
        lock.withLock {
            if idle.count < capacity { idle.append(connection) }
        }
    }

    /// Closes every idle connection.
    func drain() {
        let connections = lock.withLock { () -> [Connection] in
            defer { idle.removeAll() }
            return idle
        }
        _ = connections
    }
}
