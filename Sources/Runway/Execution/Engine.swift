#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

/// The synchronous implementation of the commands. It blocks its thread on libpq calls, so ``Migrator`` runs it
/// on a dedicated thread, never on Swift's cooperative pool.
struct Engine {
    let configuration: Configuration
    let logger: Logger
    let cancellation: Cancellation
    /// What this run shares with the other targets of a fleet run (the scan, idle connections); `nil` on its own.
    var shared: SharedRun? = nil

    // MARK: - Files

    /// The scanner of the configured locations.
    var scanner: MigrationScanner {
        var scanner = MigrationScanner(
            locations: configuration.locations, naming: configuration.naming,
            failOnMissingLocations: configuration.failOnMissingLocations, logger: logger)
        scanner.encoding = configuration.encoding
        scanner.workingDirectory = configuration.workingDirectory
        return scanner
    }

    /// Scans the locations and applies `validateMigrationNaming`.
    func scan() throws(RunwayError) -> ScanResult {
        guard let shared else { return try scanNow() }
        return try shared.scan { () throws(RunwayError) in try scanNow() }
    }

    private func scanNow() throws(RunwayError) -> ScanResult {
        let result = try scanner.scan()
        if !result.invalidNames.isEmpty {
            if configuration.validateMigrationNaming {
                throw .invalidMigration("Invalid SQL filenames found:\n" + result.invalidNames.joined(separator: "\n"))
            }
            for message in result.invalidNames {
                logger.info(
                    "Skipping file that does not follow the naming convention", metadata: ["reason": "\(message)"])
            }
            logger.info(
                """
                SQL migrations were detected but not run because they did not follow the filename convention. \
                Set 'validateMigrationNaming' to true (--validate-migration-naming) to fail fast.
                """,
                metadata: ["count": .stringConvertible(result.invalidNames.count)])
        }
        return result
    }

    /// Resolves checksums (repeatables after placeholder replacement), sorts and rejects duplicates.
    func resolve(_ scan: ScanResult, placeholders: PlaceholderReplacer) throws(RunwayError) -> [ResolvedMigration] {
        try MigrationResolver(placeholders: placeholders, placeholderReplacement: configuration.placeholderReplacement)
            .resolve(scan.migrations)
    }

    /// Resolves the undo files (raw checksums, as versioned migrations) and rejects two with the same version.
    func resolveUndo(_ scan: ScanResult, placeholders: PlaceholderReplacer) throws(RunwayError) -> [ResolvedMigration] {
        guard !scan.undoMigrations.isEmpty else { return [] }
        return try MigrationResolver(
            placeholders: placeholders, placeholderReplacement: configuration.placeholderReplacement
        ).resolve(scan.undoMigrations)
    }

    /// Everything a command needs after connecting: files, callbacks, the session and the resolved migrations.
    struct Context {
        let files: ScanResult
        let callbacks: Callbacks
        let session: Session
        let resolved: [ResolvedMigration]
        /// The undo files (`U<version>__...`), resolved with their raw checksums; kept apart from ``resolved`` so
        /// that only `undo`, `info` and `validate` see them.
        let undo: [ResolvedMigration]
        private let index: FileIndex

        init(
            files: ScanResult, callbacks: Callbacks, session: Session, resolved: [ResolvedMigration],
            undo: [ResolvedMigration] = []
        ) {
            self.files = files
            self.callbacks = callbacks
            self.session = session
            self.resolved = resolved
            self.undo = undo
            index = FileIndex(files.migrations + files.undoMigrations)
        }

        /// The scanned file behind a resolved migration.
        func file(for migration: ResolvedMigration) -> ScannedFile? {
            index.byPath[migration.path]
        }
    }

    /// Files by absolute path, built when a command first needs a file back (only `migrate` with pending work).
    private final class FileIndex {
        private let files: [ScannedFile]
        lazy var byPath: [String: ScannedFile] = Dictionary(
            files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })

        init(_ files: [ScannedFile]) { self.files = files }
    }

    /// Scans (before connecting, so bad files fail fast), connects, fires `afterConnect` and resolves.
    ///
    /// The connection is opened on another thread while the files are scanned (the two take about as long at an
    /// application start); when the scan fails, the connection attempt is cancelled (no further retries) and the
    /// scan's error returned once the attempt in progress has ended.
    func open(readWrite: Bool) throws(RunwayError) -> Context {
        let connecting = SessionOpening(
            configuration: configuration, logger: logger, cancellation: cancellation.child(), readWrite: readWrite,
            pool: shared?.pool)
        let files: ScanResult
        let callbacks: Callbacks
        do throws(RunwayError) {
            files = try scan()
            callbacks = try Callbacks(files.callbacks)
        } catch {
            connecting.abandon()
            throw error
        }
        let session = try connecting.wait()
        try fire("afterConnect", callbacks: callbacks, session: session)
        let resolved = try resolve(files, placeholders: session.placeholders)
        let undo = try resolveUndo(files, placeholders: session.placeholders)
        return Context(files: files, callbacks: callbacks, session: session, resolved: resolved, undo: undo)
    }

    /// Reads the history (empty when the table does not exist yet) and builds Flyway's info model. The rows'
    /// `installed_on` times are read only with `times` (what `info` shows). A caller that has just checked whether
    /// the table exists passes the answer as `historyExists` instead of having it asked again.
    func infoService(
        _ context: Context, target: MigrationTarget? = nil, outOfOrder: Bool? = nil, times: Bool = false,
        historyExists: Bool? = nil
    ) throws(RunwayError) -> MigrationInfoService {
        let session = context.session
        let exists: Bool
        if let historyExists { exists = historyExists } else { exists = try session.history.exists(on: session.work) }
        let applied = exists ? try session.history.read(on: session.work, times: times) : []
        return try MigrationInfoService(
            resolved: context.resolved, applied: applied, target: target ?? configuration.target,
            outOfOrder: outOfOrder ?? configuration.outOfOrder, undo: context.undo)
    }

    /// Runs `body` between the `before<Name>` and `after<Name>` callbacks, firing `after<Name>Error` on failure.
    func withCallbacks<T>(
        _ name: String, _ context: Context, _ body: () throws(RunwayError) -> T
    ) throws(RunwayError) -> T {
        try fire("before\(name)", callbacks: context.callbacks, session: context.session)
        do {
            let value = try body()
            try fire("after\(name)", callbacks: context.callbacks, session: context.session)
            return value
        } catch {
            fireQuietly("after\(name)Error", callbacks: context.callbacks, session: context.session)
            throw error
        }
    }

    // MARK: - info / validate

    /// Builds the info model from the files and the history table (no lock).
    func info() throws(RunwayError) -> InfoResult {
        let context = try open(readWrite: false)
        return try withCallbacks("Info", context) { () throws(RunwayError) in
            let session = context.session
            let exists = try session.history.exists(on: session.work)
            let service = try infoService(context, times: true, historyExists: exists)
            var allEmpty = true
            for schema in session.schemas where try session.schemaExists(schema) {
                if !(try session.schemaIsEmpty(schema)) { allEmpty = false }
            }
            return InfoResult(
                schemaVersion: service.current?.versionText, schemas: session.schemas,
                historyTable: session.history.qualifiedName, historyTableExists: exists, migrations: service.all,
                database: session.database, allSchemasEmpty: allEmpty)
        }
    }

    /// Validates the files against the history table (no lock).
    func validate() throws(RunwayError) -> ValidateResult {
        let context = try open(readWrite: false)
        return try withCallbacks("Validate", context) { () throws(RunwayError) in
            try validate(context, patterns: configuration.ignoreMigrationPatterns)
        }
    }

    /// Flyway's validate (§6) with the given ignore patterns.
    /// `service`: the plan a caller has just read under the lock (the history is then not read again).
    func validate(
        _ context: Context, patterns: [ValidatePattern], service known: MigrationInfoService? = nil
    ) throws(RunwayError) -> ValidateResult {
        let session = context.session
        guard try session.schemaExists(session.defaultSchema) else {
            if context.resolved.isEmpty || patterns.ignores(.pending) {
                return ValidateResult(problems: [], validateCount: 0, database: session.database, warnings: [])
            }
            throw RunwayError(.validation, "Schema \(quoteIdentifier(session.defaultSchema)) doesn't exist yet")
        }
        let service: MigrationInfoService
        if let known { service = known } else { service = try infoService(context) }
        try service.validateTarget()
        let problems = service.validate(ignoring: patterns)
        var warnings = context.files.skippedLocations
        if service.all.isEmpty { warnings.append("No migrations found. Are your locations set up correctly?") }
        if problems.isEmpty {
            logger.info("Successfully validated migrations", metadata: ["count": .stringConvertible(service.all.count)])
        }
        return ValidateResult(
            problems: problems, validateCount: problems.isEmpty ? service.all.count : 0, database: session.database,
            warnings: warnings)
    }

    // MARK: - Helpers

    /// The value for `installed_by`.
    func installedBy(_ session: Session) -> String {
        configuration.installedBy.flatMap { $0.isEmpty ? nil : $0 } ?? session.originalRole
    }

    /// The line in the file: the statement's line plus the newlines before the server's error position.
    static func line(of statement: SQLStatement, position: Int?) -> Int {
        guard let position, position > 1, !statement.sql.hasPrefix("--"), !statement.sql.hasPrefix("/*") else {
            return statement.line
        }
        let newlines = statement.sql.unicodeScalars.prefix(position - 1).filter { $0 == "\n" }.count
        return statement.line + newlines
    }

    /// A statement shortened for error messages.
    static func shorten(_ sql: String) -> String {
        sql.count > 500 ? String(sql.prefix(500)) + "..." : sql
    }

    /// Flyway's `Validate failed` error listing every problem.
    static func validationError(_ problems: [ValidationProblem]) -> RunwayError {
        RunwayError(
            .validation,
            "Validate failed: Migrations have failed validation\n"
                + problems.map(\.message).joined(separator: "\n"))
    }

    /// Flyway's `mm:ss.SSSs`.
    static func formatDuration(_ milliseconds: Int) -> String {
        let minutes = milliseconds / 60_000
        let seconds = (milliseconds / 1000) % 60
        let millis = milliseconds % 1000
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(minutes, 2) + ":" + padded(seconds, 2) + "." + padded(millis, 3) + "s"
    }
}

/// A ``Session`` being opened on its own thread.
private final class SessionOpening: @unchecked Sendable {
    private let thread: JoinableThread<Result<Session, RunwayError>>
    private let cancellation: Cancellation

    init(
        configuration: Configuration, logger: Logger, cancellation: Cancellation, readWrite: Bool,
        pool: ConnectionPool?
    ) {
        self.cancellation = cancellation
        thread = JoinableThread {
            Result { () throws(RunwayError) -> Session in
                try Session(
                    configuration: configuration, logger: logger, cancellation: cancellation, readWrite: readWrite,
                    pool: pool)
            }
        }
    }

    /// The session, or the error that stopped it, once the thread has ended.
    func wait() throws(RunwayError) -> Session {
        try thread.join().get()
    }

    /// Stops retrying and waits for the thread to end (closing a connection it made). Returning earlier would let
    /// the caller exit the process while the thread is inside libpq and OpenSSL, whose exit handlers free what it is
    /// using (a crash seen under AddressSanitizer). A connection attempt in progress ends at once (only a host name
    /// lookup in progress is waited for).
    func abandon() {
        cancellation.cancel()
        _ = thread.join()
    }
}
