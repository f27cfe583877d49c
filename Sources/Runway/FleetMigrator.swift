#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

/// Migrates (or inspects) a fleet of identical targets: every tenant schema or database, several at once in one
/// process, and, with a shard, only this process's share of them (one pod of a Kubernetes Indexed Job).
///
/// ```swift
/// let fleet = FleetMigrator(
///     configuration: configuration, targets: .schemas(query: "SELECT name FROM tenants ORDER BY 1"),
///     options: FleetOptions(parallel: 8), logger: logger)
/// let plan = try await fleet.plan()
/// for await result in fleet.run(.migrate, plan: plan) where result.outcome == .failed {
///     logger.error("\(result.target): \(result.error?.message ?? "")")
/// }
/// ```
///
/// Each target is an ordinary run (``Migrator``) with its own history table and lock key: a schema target has
/// `schemas` and `defaultSchema` set to it, a database target connects to it. A failing target does not stop the
/// others unless ``FleetOptions/failFast``; running the fleet again finishes what is left, because each target's
/// migrations apply exactly once. The scan of the locations is shared by every target, and targets in one database
/// hand their connection on (reset with `DISCARD ALL`) instead of each connecting anew.
public struct FleetMigrator: Sendable {
    /// The settings every target starts from.
    public let configuration: Configuration
    /// How the targets are found.
    public let targets: FleetTargets
    /// Parallelism, shard, fail-fast.
    public let options: FleetOptions
    /// Where the run logs; each target's lines carry its name as `target` metadata.
    public let logger: Logger

    /// What to run on each target.
    public enum Operation: Sendable, Hashable {
        case migrate, info, validate, baseline, repair
        /// ``Migrator/dryRun(_:)`` on each target; each result carries its script (``FleetTargetResult/dryRunScript``).
        case dryRun
        /// ``Migrator/waitUntilMigrated(timeout:until:interval:)`` on each target.
        case wait(timeout: Double, interval: Double)
        /// ``Migrator/checkDrift(options:)`` on each target (each builds its own scratch database): a target with drift
        /// fails with an error listing its differences, and its report is in ``FleetTargetResult/drift``.
        case checkDrift(DriftOptions)
    }

    /// The targets of this process, found once before anything runs.
    public struct Plan: Sendable {
        /// This process's targets (its shard's), in the order they start.
        public let targets: [String]
        /// Every target before sharding.
        public let totalTargets: Int
        /// Targets in flight at once (``FleetOptions/parallel``, lowered to what the server's free connections
        /// allow).
        public let parallel: Int
        /// What the plan changed or noticed (a lowered parallelism), to show the user.
        public let notes: [String]
        let items: [Item]
        let sharesDatabase: Bool

        struct Item: Sendable {
            let name: String
            let configuration: Configuration
        }
    }

    public init(
        configuration: Configuration, targets: FleetTargets, options: FleetOptions = FleetOptions(),
        logger: Logger = Logger(label: "runway")
    ) {
        self.configuration = configuration
        self.targets = targets
        self.options = options
        self.logger = logger
    }

    /// Finds the targets (running the query read-only on the configured database), keeps this shard's share, and
    /// compares the parallelism with the server's free connection slots (lowering it, with a note, when two
    /// connections per target in flight would not fit; refusing when no slot is free).
    ///
    /// - Throws: ``RunwayError`` `.configuration` for a bad query, an empty or hostile target name, a parallelism
    ///   below one; `.connection` when the server cannot be reached or has no free slot.
    public func plan() async throws(RunwayError) -> Plan {
        guard options.parallel >= 1 else {
            throw .configuration("--parallel \(options.parallel): at least one target must be in flight")
        }
        let names: [String]
        var survey: Engine.FleetSurvey?
        let query: (sql: String, setting: String)? =
            switch targets.source {
            case .schemaQuery(let sql): (sql, "--each-schema-query")
            case .databaseQuery(let sql): (sql, "--each-database-query")
            case .schemas, .databases: nil
            }
        let surveysServer: Bool
        switch targets.source {
        case .databases(let entries): surveysServer = entries.contains { !Self.isURL($0) }
        default: surveysServer = true
        }
        if surveysServer {
            let sql = query?.sql
            let setting = query?.setting ?? "the fleet survey"
            survey = try await Migrator.execute(configuration: configuration, logger: logger) {
                (engine: Engine) throws(RunwayError) in
                try engine.surveyFleet(query: sql, setting: setting)
            }
        }
        switch targets.source {
        case .schemaQuery, .databaseQuery: names = survey?.names ?? []
        case .schemas(let list), .databases(let list): names = Self.unique(list)
        }
        var items: [Plan.Item] = []
        for name in names where options.shard?.contains(name) ?? true {
            items.append(try item(for: name))
        }
        var parallel = options.parallel
        var notes: [String] = []
        if let free = survey?.freeConnections {
            guard free >= 1 else {
                throw RunwayError(
                    .connection,
                    "The server has no free connection slot (max_connections less the reserved ones and the clients "
                        + "connected now): the fleet cannot start. Try again later, or raise max_connections.")
            }
            if 2 * parallel > free {
                parallel = max(1, free / 2)
                notes.append(
                    "--parallel \(options.parallel) needs up to \(2 * options.parallel) connections but the server has "
                        + "\(free) free: running \(parallel) target\(parallel == 1 ? "" : "s") at a time")
            }
        }
        return Plan(
            targets: items.map(\.name), totalTargets: names.count, parallel: parallel, notes: notes, items: items,
            sharesDatabase: targets.areSchemas)
    }

    /// Runs `operation` on every target of `plan`, at most `plan.parallel` at once, and yields each target's result
    /// as it finishes (then, after a `failFast` stop, one `notStarted` result for each target left). Cancelling the
    /// task that iterates (or dropping the sequence) cancels the targets in flight: each rolls back what it had not
    /// committed and releases its lock.
    public func run(_ operation: Operation, plan: Plan) -> AsyncStream<FleetTargetResult> {
        AsyncStream { continuation in
            let task = Task {
                await run(operation, plan: plan) { continuation.yield($0) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// ``run(_:plan:)`` with a callback instead of a sequence: `onResult` is called for each target as it finishes,
    /// one call at a time, and this returns only once every target in flight has ended, also when the calling task
    /// is cancelled (the targets in flight are then cancelled and waited for; the rest are reported as not
    /// started).
    public func run(
        _ operation: Operation, plan: Plan, onResult: (FleetTargetResult) -> Void
    ) async {
        let shared = SharedRun(pool: plan.sharesDatabase ? ConnectionPool(capacity: plan.parallel) : nil)
        await withTaskGroup(of: FleetTargetResult.self) { group in
            var pending = plan.items[...]
            for _ in 0..<plan.parallel {
                guard let item = pending.popFirst() else { break }
                group.addTask { await runTarget(item, operation, shared: shared) }
            }
            var stopped = false
            while let result = await group.next() {
                onResult(result)
                if result.outcome == .failed, options.failFast { stopped = true }
                if !stopped, !Task.isCancelled, let item = pending.popFirst() {
                    group.addTask { await runTarget(item, operation, shared: shared) }
                }
            }
            for item in pending { onResult(FleetTargetResult(target: item.name, outcome: .notStarted)) }
        }
        shared.pool?.drain()
    }

    /// ``plan()`` and ``run(_:plan:)`` with ``Operation/migrate``.
    public func migrate() async throws(RunwayError) -> AsyncStream<FleetTargetResult> {
        run(.migrate, plan: try await plan())
    }

    // MARK: - One target

    private func runTarget(_ item: Plan.Item, _ operation: Operation, shared: SharedRun) async -> FleetTargetResult {
        var logger = self.logger
        logger[metadataKey: "target"] = "\(item.name)"
        let started = ContinuousClock.now
        func elapsed() -> Int { (ContinuousClock.now - started).wholeMilliseconds }
        func failed(_ error: RunwayError) -> FleetTargetResult {
            let partial = error.migrateResult
            return FleetTargetResult(
                target: item.name, outcome: .failed, schemaVersionBefore: partial?.initialSchemaVersion,
                schemaVersionAfter: partial?.targetSchemaVersion, migrationsExecuted: partial?.migrationsExecuted ?? 0,
                durationMilliseconds: elapsed(), error: error, migrate: partial)
        }
        func execute<T: Sendable>(_ body: @escaping @Sendable (Engine) throws(RunwayError) -> T)
            async throws(RunwayError) -> T
        {
            try await Migrator.execute(configuration: item.configuration, logger: logger, shared: shared, body)
        }
        do throws(RunwayError) {
            switch operation {
            case .migrate:
                let result = try await execute { (engine: Engine) throws(RunwayError) in try engine.migrate() }
                return FleetTargetResult(
                    target: item.name, outcome: .succeeded, schemaVersionBefore: result.initialSchemaVersion,
                    schemaVersionAfter: result.targetSchemaVersion, migrationsExecuted: result.migrationsExecuted,
                    durationMilliseconds: elapsed(), migrate: result)
            case .dryRun:
                let script = ScriptBuffer()
                let result = try await execute { (engine: Engine) throws(RunwayError) in
                    try engine.dryRun { script.append($0) }
                }
                return FleetTargetResult(
                    target: item.name, outcome: .succeeded, schemaVersionBefore: result.initialSchemaVersion,
                    schemaVersionAfter: result.initialSchemaVersion, migrationsExecuted: result.migrations.count,
                    durationMilliseconds: elapsed(), dryRunScript: script.text)
            case .info:
                let result = try await execute { (engine: Engine) throws(RunwayError) in try engine.info() }
                return FleetTargetResult(
                    target: item.name, outcome: .succeeded, schemaVersionBefore: result.schemaVersion,
                    schemaVersionAfter: result.schemaVersion, durationMilliseconds: elapsed(), info: result)
            case .validate:
                let result = try await execute { (engine: Engine) throws(RunwayError) in try engine.validate() }
                return FleetTargetResult(
                    target: item.name, outcome: result.isValid ? .succeeded : .failed, durationMilliseconds: elapsed(),
                    error: result.isValid ? nil : Engine.validationError(result.problems), validate: result)
            case .baseline:
                let result = try await execute { (engine: Engine) throws(RunwayError) in try engine.baseline() }
                return FleetTargetResult(
                    target: item.name, outcome: .succeeded, schemaVersionAfter: result.baselineVersion,
                    durationMilliseconds: elapsed())
            case .repair:
                _ = try await execute { (engine: Engine) throws(RunwayError) in try engine.repair() }
                return FleetTargetResult(target: item.name, outcome: .succeeded, durationMilliseconds: elapsed())
            case .checkDrift(let options):
                let report = try await execute { (engine: Engine) throws(RunwayError) in try engine.checkDrift(options)
                }
                return FleetTargetResult(
                    target: item.name, outcome: report.hasDrift ? .failed : .succeeded, durationMilliseconds: elapsed(),
                    error: report.hasDrift ? Self.driftError(report) : nil, drift: report)
            case .wait(let timeout, let interval):
                let result = try await execute { (engine: Engine) throws(RunwayError) in
                    try engine.waitUntilMigrated(timeout: timeout, until: nil, interval: interval)
                }
                return FleetTargetResult(
                    target: item.name, outcome: .succeeded, schemaVersionBefore: result.schemaVersion,
                    schemaVersionAfter: result.schemaVersion, durationMilliseconds: elapsed())
            }
        } catch {
            return failed(error)
        }
    }

    /// A drifted target's error: how many differences, and the first few of them.
    static func driftError(_ report: DriftReport) -> RunwayError {
        let shown = report.differences.prefix(5).map { "\($0.change.rawValue) \($0.kind.rawValue) \($0.name)" }
        let more = report.differences.count > 5 ? ", ..." : ""
        return RunwayError(
            .validation,
            "Drift: \(report.differences.count) difference\(report.differences.count == 1 ? "" : "s"): "
                + shown.joined(separator: ", ") + more)
    }

    // MARK: - Targets

    private func item(for name: String) throws(RunwayError) -> Plan.Item {
        guard !name.isEmpty, !name.unicodeScalars.contains(where: { $0.value == 0 }) else {
            throw .configuration("A fleet target name is empty or holds a NUL character: every target needs a name")
        }
        var target = configuration
        if targets.areSchemas {
            target.schemas = [name]
            target.defaultSchema = name
            return Plan.Item(name: name, configuration: target)
        }
        guard Self.isURL(name) else {
            target.connection.database = name
            return Plan.Item(name: name, configuration: target)
        }
        // Another server: only what the URL (or ~/.pgpass) says; the configured credentials stay with their server.
        var settings = try ConnectionSettings(url: name)
        settings.applicationName = configuration.connection.applicationName
        target.connection = settings
        return Plan.Item(name: ConnectionSettings.redact(name), configuration: target)
    }

    static func isURL(_ entry: String) -> Bool {
        ["postgresql://", "postgres://", "jdbc:postgresql:"].contains { entry.hasPrefix($0) }
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}

/// A target's dry-run script, collected from the engine's thread.
private final class ScriptBuffer: @unchecked Sendable {
    private let lock = Lock()
    private var pieces: [String] = []
    func append(_ piece: String) { lock.withLock { pieces.append(piece) } }
    var text: String { lock.withLock { pieces.joined() } }
}
