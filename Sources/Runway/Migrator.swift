#if canImport(FoundationEssentials)
    import Dispatch
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

/// Runway's entry point: applies, inspects and validates Flyway-compatible migrations on PostgreSQL.
///
/// ```swift
/// var configuration = try Configuration.fromEnvironment()   // DB_HOST, DB_PORT, DB_NAME, DB_USERNAME, DB_PASSWORD
/// configuration.locations = ["migrations"]
/// let migrator = Migrator(configuration: configuration, logger: Logger(label: "runway"))
/// try await migrator.migrate()                              // before the app serves traffic
/// ```
///
/// Each call opens its own connections and closes them before returning, so one `Migrator` can be used from
/// several tasks. The work runs on a dedicated thread (libpq calls block), never on Swift's cooperative thread
/// pool. Cancelling the calling task cancels the running statement through libpq, rolls back the migration in
/// progress, releases the advisory lock and throws ``RunwayError`` with code `.cancelled`.
public struct Migrator: Sendable {
    /// The settings this migrator uses.
    public let configuration: Configuration
    /// Where Runway logs; it never bootstraps logging itself.
    public let logger: Logger

    /// Creates a migrator; nothing is opened until a command runs.
    public init(configuration: Configuration, logger: Logger = Logger(label: "runway")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Applies every pending migration.
    ///
    /// Validates first (`validateOnMigrate`), takes Flyway's advisory lock (waiting up to `lockRetryCount`
    /// seconds while logging who holds it), re-reads the history, creates missing schemas and the history table,
    /// then applies pending versioned migrations in order followed by changed repeatables. Each transactional
    /// migration commits together with its history row. Several processes may call this at once: the lock
    /// serialises them and the later ones find nothing to do.
    ///
    /// - Throws: ``RunwayError``; migrations applied before a failing one stay applied.
    @discardableResult
    public func migrate() async throws(RunwayError) -> MigrateResult {
        guard configuration.dryRunOutput == nil else {
            throw .configuration(
                "dryRunOutput is set: migrate() does not change the database then; call dryRun(_:) to write the script")
        }
        return try await run { (engine: Engine) throws(RunwayError) in try engine.migrate() }
    }

    /// A dry run of ``migrate()``: the SQL it would execute, in order, written to `sink` piece by piece: the history
    /// table's DDL if it would be created, each pending migration's statements (placeholders replaced, callbacks
    /// included) with its history row, and comments naming the file and line of each block and which run outside a
    /// transaction. The session is read-only and takes no lock: nothing is changed.
    ///
    /// Run through `psql -X -v ON_ERROR_STOP=1 -f`, the script gives the schema, data and history rows `migrate`
    /// would (`installed_on` and `execution_time` aside).
    @discardableResult
    public func dryRun(_ sink: @escaping @Sendable (String) throws(RunwayError) -> Void) async throws(RunwayError)
        -> DryRunResult
    {
        try await run { (engine: Engine) throws(RunwayError) in try engine.dryRun(sink) }
    }

    /// Flyway Teams' `undo`: reverts the latest applied versioned migration, or with a `target` version every
    /// applied one at or above it (latest applied first), by running its `U<version>__<description>.sql` file.
    ///
    /// Takes the advisory lock and validates first (`validateOnMigrate`, pending migrations allowed). Every migration
    /// to undo is checked before anything runs: it must have succeeded, be a transactional versioned SQL migration
    /// and have an undo file that runs in a transaction; otherwise nothing is undone. Each undo then commits in one
    /// transaction together with its `UNDO_SQL` history row, so the migration shows as `Undone` and is `Pending`
    /// again for the next ``migrate()``. A history with `UNDO_SQL` rows is refused by Flyway Community.
    ///
    /// - Throws: ``RunwayError``; undos committed before a failing one stay committed (see
    ///   ``RunwayError/undoResult``).
    @discardableResult
    public func undo() async throws(RunwayError) -> UndoResult {
        try await run { (engine: Engine) throws(RunwayError) in try engine.undo() }
    }

    /// Lists every migration file and history row with its Flyway state. Takes no lock and changes nothing.
    public func info() async throws(RunwayError) -> InfoResult {
        try await run { (engine: Engine) throws(RunwayError) in try engine.info() }
    }

    /// Checks the files against the history table: checksums, descriptions, types, failed, missing, pending and
    /// out-of-order migrations. Returns the problems (an empty list means valid); takes no lock, changes nothing.
    public func validate() async throws(RunwayError) -> ValidateResult {
        try await run { (engine: Engine) throws(RunwayError) in try engine.validate() }
    }

    /// Flyway's `baseline`: creates the history table with a `BASELINE` row at `baselineVersion`, so an existing
    /// database is taken over without running the migrations at or below that version. Takes the lock.
    public func baseline() async throws(RunwayError) -> BaselineResult {
        try await run { (engine: Engine) throws(RunwayError) in try engine.baseline() }
    }

    /// Flyway's `repair`: removes failed rows, marks migrations whose files are gone as deleted, and realigns
    /// checksums, descriptions and types of applied migrations with their files. One transaction.
    public func repair() async throws(RunwayError) -> RepairResult {
        try await run { (engine: Engine) throws(RunwayError) in try engine.repair() }
    }

    /// Flyway's `clean`: drops every object in the managed schemas. Refused unless `cleanDisabled` is false.
    public func clean() async throws(RunwayError) -> CleanResult {
        try await run { (engine: Engine) throws(RunwayError) in try engine.clean() }
    }

    /// Waits until the database is reachable, every migration in the locations is applied (or the schema is at
    /// least at `version`) and the history passes the validation ``migrate()`` runs first (`validateOnMigrate`, with
    /// the same `ignoreMigrationPatterns`: no checksum mismatch, no applied migration whose file is gone...), checking
    /// every `interval` seconds, for at most `timeout` seconds, and logging why it still waits. Read-only and
    /// lock-free, so it suits init containers and readiness checks: pods never start against an old schema, nor
    /// against one that `migrate` would refuse.
    ///
    /// - Throws: ``RunwayError`` with code `.timeout` naming the last reason it waited; `.configuration` for a
    ///   negative `timeout` or an `interval` that is not above zero.
    @discardableResult
    public func waitUntilMigrated(
        timeout: Double, until version: MigrationVersion? = nil, interval: Double = 2
    ) async throws(RunwayError) -> WaitResult {
        try await run { (engine: Engine) throws(RunwayError) in
            try engine.waitUntilMigrated(timeout: timeout, until: version, interval: interval)
        }
    }

    /// `validate --offline`: every check that needs no database (naming, duplicates, encodings, unterminated SQL,
    /// undefined placeholders, mixed transactionality, `.sql.conf` errors, the DDL lint) and, with `options.base`,
    /// the git checks: released migrations unchanged, new versions above the base's highest.
    public func validateOffline(_ options: OfflineValidationOptions = OfflineValidationOptions())
        async throws(RunwayError)
        -> CIReport
    {
        try await run { (engine: Engine) throws(RunwayError) in try engine.validateOffline(options) }
    }

    /// `validate --scratch`: applies every migration from zero to a throwaway database (created and dropped on the
    /// configured server, or in a temporary local cluster when none is configured) and reports the first failure.
    public func validateOnScratch() async throws(RunwayError) -> CIReport {
        try await run { (engine: Engine) throws(RunwayError) in try engine.validateScratch() }
    }

    /// `check --drift`: whether the live schema is what its applied migrations build.
    ///
    /// Replays the migrations the live history records as applied (successful rows, in `installed_rank` order, with
    /// this configuration's placeholder values and the live session's built-ins) on a scratch database with the same
    /// schema names, then compares the two catalogs: schemas, tables, columns, constraints, indexes, views and
    /// materialized views, functions and procedures, triggers, sequences, enums, domains, extensions, and with
    /// ``DriftOptions/privileges`` grants. Read-only on the live database.
    ///
    /// - Returns: each drifted object once; an empty ``DriftReport/differences`` means no drift.
    /// - Throws: ``RunwayError`` with code `.validation` when the files cannot rebuild what was applied (an edited or
    ///   missing file, an outdated repeatable, a baselined history) or a migration fails on the scratch database.
    public func checkDrift(options: DriftOptions = DriftOptions()) async throws(RunwayError) -> DriftReport {
        try await run { (engine: Engine) throws(RunwayError) in try engine.checkDrift(options) }
    }

    /// A session the server ended (a restart, a switchover, a terminated backend) is worth another try, wherever the
    /// operation was: the server rolled back what was open and released the lock with the session.
    private static func retryableWhenSessionEnded(_ error: RunwayError) -> RunwayError {
        guard error.endedSession, error.code != .cancelled else { return error }
        return error.refined { $0.code = .connection }
    }

    /// Runs an engine operation on its own thread, forwarding task cancellation to libpq, once the configuration
    /// passed ``Configuration/validate()``.
    private func run<T: Sendable>(_ operation: @escaping @Sendable (Engine) throws(RunwayError) -> T)
        async throws(RunwayError) -> T
    {
        try await Self.execute(configuration: configuration, logger: logger, operation)
    }

    /// ``run(_:)`` for any configuration; `shared` is what the targets of a fleet run share.
    static func execute<T: Sendable>(
        configuration: Configuration, logger: Logger, shared: SharedRun? = nil,
        _ operation: @escaping @Sendable (Engine) throws(RunwayError) -> T
    ) async throws(RunwayError) -> T {
        try configuration.validate()
        let cancellation = Cancellation()
        var engine = Engine(configuration: configuration, logger: logger, cancellation: cancellation)
        engine.shared = shared
        let prepared = engine
        let outcome: Result<T, RunwayError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // The engine blocks on libpq: it gets its own thread. The result is delivered once that thread has
                // completely ended (see JoinableThread), joined from a Dispatch thread, not from Swift's pool.
                let thread = JoinableThread { () -> Result<T, RunwayError> in
                    Result { () throws(RunwayError) -> T in
                        do throws(RunwayError) {
                            return try operation(prepared)
                        } catch {
                            throw Self.retryableWhenSessionEnded(error)
                        }
                    }
                }
                DispatchQueue.global().async { continuation.resume(returning: thread.join()) }
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try outcome.get()
    }
}
