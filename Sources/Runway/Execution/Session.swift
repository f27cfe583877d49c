#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

/// Connections and per-run facts shared by the commands: opens connections with retries and remembers the
/// original role and search_path so every migration starts from the same session state (Flyway's §5.5).
final class Session {
    let configuration: Configuration
    let logger: Logger
    let cancellation: Cancellation
    /// The connection statements, history reads and writes run on; it also holds the migration lock (see
    /// ``AdvisoryLock``). Replaced only while waiting for the lock, when the first one was lost.
    private(set) var work: Connection
    /// Whether the work connection opens read-write sessions only.
    private let readWrite: Bool
    /// The check of the migration lock sent with every commit while the lock is held (``AdvisoryLock/heldCheckSQL``).
    private var lockCheck: String?
    /// `current_user` right after connecting.
    let originalRole: String
    /// `SHOW search_path` right after connecting.
    let originalSearchPath: String
    /// `current_database()`.
    let database: String
    /// The schema holding the history table.
    let defaultSchema: String
    /// Every managed schema, `defaultSchema` first.
    let schemas: [String]
    /// The history table.
    let history: SchemaHistory

    /// Where the work connection goes back when the session ends (a fleet run's targets in one database).
    private let pool: ConnectionPool?

    init(
        configuration: Configuration, logger: Logger, cancellation: Cancellation, readWrite: Bool,
        pool: ConnectionPool? = nil
    ) throws(RunwayError) {
        self.configuration = configuration
        self.logger = logger
        self.cancellation = cancellation
        self.readWrite = readWrite
        self.pool = pool
        let factsSQL = "SELECT current_user, current_setting('search_path'), current_database(), current_schema()"
        // A pooled connection may have died while idle (a restart, a failover): then connect afresh, with the
        // retries, as without a pool. Its `initSql` failing is reported by the fresh attempt, which runs it again.
        var reused: (Connection, QueryResult)?
        if let pooled = pool?.take(), let started = try? Self.start(pooled, configuration, cancellation: cancellation) {
            if let answered = try? started.execute(factsSQL) {
                reused = (started, answered)
            } else {
                cancellation.untrack(started)
            }
        }
        let facts: QueryResult
        if let reused {
            (work, facts) = reused
        } else {
            work = try Self.connect(configuration, logger: logger, cancellation: cancellation, readWrite: readWrite)
            facts = try work.execute(factsSQL)
        }
        let row = facts.rows.first ?? []
        originalRole = row[0] ?? ""
        originalSearchPath = row[1] ?? ""
        database = row[2] ?? ""
        guard let schema = configuration.defaultSchema ?? configuration.schemas.first ?? (row[3] ?? nil) else {
            throw .configuration(
                "Unable to determine schema for the schema history table. Set a default schema for the connection "
                    + "(search_path) or specify one with the 'schemas' or 'defaultSchema' setting (--schemas)")
        }
        defaultSchema = schema
        schemas = [schema] + configuration.schemas.filter { $0 != schema }
        history = SchemaHistory(schema: schema, table: configuration.table, tablespace: configuration.tablespace)
        let version = work.serverVersion
        if version < 90000 {
            throw RunwayError(.connection, "PostgreSQL \(version / 10000) is not supported: Runway needs 9.0 or newer")
        }
        logger.debug(
            "Connected",
            metadata: [
                "host": "\(work.host)", "database": "\(database)", "server_version": .stringConvertible(version),
            ])
    }

    deinit {
        cancellation.untrack(work)
        pool?.give(work)
    }

    /// Replaces a work connection that was lost while nothing was held on it (while waiting for the lock), with the
    /// retries of ``connect(_:logger:cancellation:readWrite:)``.
    func reopenWork() throws(RunwayError) -> Connection {
        let connection = try Self.connect(
            configuration, logger: logger, cancellation: cancellation, readWrite: readWrite)
        cancellation.untrack(work)
        work = connection
        restoreStateText = nil
        return connection
    }

    // MARK: - The migration lock

    /// Runs `body` while the work connection holds Flyway's advisory lock for the history table: every commit in
    /// between verifies that it still does (see ``AdvisoryLock``).
    func withMigrationLock<T>(
        key: AdvisoryLockKey, retries: Int, timeout: Double?, _ body: () throws(RunwayError) -> T
    ) throws(RunwayError) -> T {
        let lock = AdvisoryLock(key: key, connection: work, logger: logger) { () throws(RunwayError) in
            try self.reopenWork()
        }
        try lock.acquire(retries: retries, timeout: timeout, cancellation: cancellation)
        lockCheck = lock.heldCheckSQL
        defer {
            lockCheck = nil
            lock.release()
        }
        return try body()
    }

    /// Before a statement that commits on its own (autocommit) under the lock: fails unless this session still
    /// holds the lock. A no-op when no lock is held.
    func verifyLockHeld() throws(RunwayError) {
        guard let lockCheck else { return }
        do { try work.execute(lockCheck) } catch { throw Self.explainLockLoss(error) }
    }

    /// `sql` (statements that write, in autocommit) preceded by the lock check, as one implicit transaction: nothing
    /// of it commits unless the lock is held.
    @discardableResult
    func executeHoldingLock(_ sql: String) throws(RunwayError) -> QueryResult {
        do {
            return try work.execute(lockCheck.map { $0 + ";\n" + sql } ?? sql)
        } catch {
            throw Self.explainLockLoss(error)
        }
    }

    /// A failed lock check becomes a retryable error that says what happened; other errors pass unchanged.
    private static func explainLockLoss(_ error: RunwayError) -> RunwayError {
        guard AdvisoryLock.isLossError(error) else { return error }
        return error.refined {
            $0.code = .connection
            $0.lockLost = true
            $0.sqlState = nil
            $0.message =
                "This session no longer holds the migration lock (a statement released it: pg_advisory_unlock_all() "
                + "or DISCARD ALL in a migration?). Nothing was committed after the loss was found; run migrate again."
        }
    }
    /// Opens a connection, retrying connection errors `connectRetries` times with doubling waits (1, 2, 4... seconds,
    /// capped at `connectRetriesInterval`), as Flyway does; each attempt is logged. Cancellation stops an attempt
    /// in progress at once, and the waits between attempts.
    static func connect(
        _ configuration: Configuration, logger: Logger, cancellation: Cancellation, readWrite: Bool
    ) throws(RunwayError) -> Connection {
        var settings = configuration.connection
        if readWrite, settings.targetSessionAttributes == nil { settings.targetSessionAttributes = "read-write" }
        try settings.validate()
        var attempt = 0
        var wait = 1
        var opened: Connection?
        while opened == nil {
            try cancellation.check()
            attempt += 1
            do {
                opened = try Connection(
                    parameters: settings.libpqParameters(), logger: logger,
                    interrupt: cancellation.connectionInterrupt)
            } catch {
                if error.code == .cancelled { throw error }
                let friendly = explain(error, settings: settings)
                guard attempt <= configuration.connectRetries, !isPermanent(error) else { throw friendly }
                logger.warning(
                    "Connection error, retrying",
                    metadata: [
                        "attempt": .stringConvertible(attempt), "retry_in_seconds": .stringConvertible(wait),
                        "error": "\(friendly.message)",
                    ])
                try cancellation.sleep(seconds: Double(wait))
                wait = min(wait * 2, max(configuration.connectRetriesInterval, 1))
            }
        }
        // The loop only ends with a connection (every failure path throws).
        return try start(opened!, configuration, cancellation: cancellation)
    }

    /// Runs `initSql` on a new (or reset) connection and lets `cancellation` interrupt it.
    private static func start(
        _ connection: Connection, _ configuration: Configuration, cancellation: Cancellation
    ) throws(RunwayError) -> Connection {
        if let initSql = configuration.initSql, !initSql.isEmpty {
            do { try connection.execute(initSql) } catch {
                throw error.refined {
                    $0.code = .configuration
                    $0.message = "initSql failed: \($0.message)"
                }
            }
        }
        cancellation.track(connection)
        return connection
    }

    /// Errors no retry can fix: the server refused the login (a wrong password, a role that does not exist; see
    /// ``LoginRefusal``).
    private static func isPermanent(_ error: RunwayError) -> Bool {
        error.code == .authentication
    }

    /// Adds what to do next to libpq's message.
    private static func explain(_ error: RunwayError, settings: ConnectionSettings) -> RunwayError {
        let target = settings.redactedDescription
        var message: String
        // libpq's own words when `target_session_attrs=read-write` found only standbys ("session is read-only",
        // "server is in hot standby mode"): no server error, so no SQLSTATE to match (as for ``LoginRefusal``).
        if error.message.contains("read-only") || error.message.contains("hot standby") {
            message =
                "Unable to connect to a primary (read-write) server (\(target)): every host answered as a "
                + "read-only standby. Point DB_HOST at the primary Service, or list all hosts so libpq can find the "
                + "primary. libpq said: \(error.message)"
        } else {
            message =
                "Unable to connect to the database (\(target)): "
                + error.message.replacingEvery("Unable to connect to the database: ", with: "")
        }
        if error.code == .authentication {
            message +=
                "\nThe server refused the login: check the user (DB_USERNAME) and the password (DB_PASSWORD_FILE or "
                + "DB_PASSWORD). Not retried: connecting again with the same credentials cannot succeed."
        }
        return error.refined { $0.message = message }
    }

    // MARK: - Session state

    /// Flyway's per-migration reset: `SET ROLE` to the original user, and the default schema first on the
    /// search_path unless it already is (§5.5).
    func restoreOriginalState() throws(RunwayError) {
        try work.execute(try restoreStateSQL())
    }

    /// ``restoreOriginalState()`` as SQL text: `SET ROLE`, then the default schema put in front of the original
    /// search_path when it exists (and is not there already). One round trip, and it can follow a `BEGIN`.
    func restoreStateSQL() throws(RunwayError) -> String {
        if let cached = restoreStateText { return cached }
        var sql = "SET ROLE \(quoteIdentifier(originalRole))"
        let schema = defaultSchema
        let path = originalSearchPath
        if schema != path, !path.hasPrefix(schema + ",") {
            sql += """
                ;
                SELECT set_config('search_path', \(try work.literal("\(quoteIdentifier(schema)),\(path)")), false)
                WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = \(try work.literal(schema)))
                """
        }
        restoreStateText = sql
        return sql
    }
    private var restoreStateText: String?

    /// SQL sent together with the next `COMMIT` of ``withTransaction(restoringState:_:)`` (a history row).
    private var atCommit: [String] = []

    /// Sends `sql` with the `COMMIT` that ends the current ``withTransaction(restoringState:_:)``, in the same
    /// round trip; an error in it fails the commit, and the transaction is rolled back.
    func executeAtCommit(_ sql: String) {
        atCommit.append(sql)
    }

    /// Whether a schema exists (case-sensitive name).
    func schemaExists(_ schema: String) throws(RunwayError) -> Bool {
        try work.query("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", [schema]).scalar == "t"
    }

    /// Flyway's emptiness test (§14.2): no tables, views, sequences, non-composite types or functions outside
    /// extensions.
    func schemaIsEmpty(_ schema: String) throws(RunwayError) -> Bool {
        let sql = """
            SELECT NOT EXISTS (
                SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'S', 't')
                  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e'))
            AND NOT EXISTS (
                SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = $1 AND t.typcategory NOT IN ('A', 'C')
                  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e'))
            AND NOT EXISTS (
                SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = $1
                  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e'))
            """
        return try work.query(sql, [schema]).scalar == "t"
    }

    /// Runs `body` in a transaction on the work connection: COMMIT on success, ROLLBACK on any error.
    ///
    /// With `restoringState`, ``restoreOriginalState()`` is sent with the `BEGIN` (one round trip for both).
    @discardableResult
    func withTransaction<T>(
        restoringState: Bool = false, _ body: () throws(RunwayError) -> T
    ) throws(RunwayError) -> T {
        atCommit = []
        defer { atCommit = [] }
        try work.execute(restoringState ? "BEGIN;\n" + (try restoreStateSQL()) : "BEGIN")
        do {
            let value = try body()
            try cancellation.check()
            var end = atCommit
            if let lockCheck { end.append(lockCheck) }
            // A script may have ended the transaction itself (COMMIT part-way); what follows then commits on its own,
            // the lock check and the history row in one implicit transaction.
            if work.transactionStatus != .idle { end.append("COMMIT") }
            if !end.isEmpty { try work.execute(end.joined(separator: ";\n")) }
            return value
        } catch {
            rollback()
            throw Self.explainLockLoss(error)
        }
    }

    /// Rolls back, ignoring errors (the connection may be gone; the server then rolls back itself). Sends nothing
    /// when no transaction is open.
    func rollback() {
        guard work.isOK, work.transactionStatus != .idle else { return }
        _ = try? work.execute("ROLLBACK")
    }

    /// `SET ROLE` back to the role the session started with: a migration may have changed it, and the history row
    /// is written as the original role (as Flyway does).
    var restoreRoleSQL: String { "SET ROLE \(quoteIdentifier(originalRole))" }

    /// The placeholder replacer with the configured values and the built-ins of this session (its user, database
    /// and default schema), made once per session as Flyway fills its placeholders once per run. A value: resolving
    /// and loading every script share it, and nothing past this point needs the session to replace placeholders.
    private(set) lazy var placeholders = configuration.placeholderReplacer(
        defaultSchema: defaultSchema, user: originalRole, database: database)

    /// Replaces the placeholder values: a drift check's scratch session replays the migrations with the live
    /// session's (its user, database and default schema), as the live run had them.
    func usePlaceholders(_ replacer: PlaceholderReplacer) {
        placeholders = replacer
    }

    /// Writes to the history in autocommit as the role the session started with (a migration may have changed it),
    /// behind the lock check: nothing of it commits unless the lock is still held.
    @discardableResult
    func recordInHistory(_ sql: String) throws(RunwayError) -> QueryResult {
        try executeHoldingLock(restoreRoleSQL + ";\n" + sql)
    }
}
