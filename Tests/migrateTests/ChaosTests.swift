import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

/// Fault injection for the migration lock and sessions (issue 12 §6): eight `migrate` processes at once on a private
/// cluster while a seeded chaos loop terminates their backends, sets `idle_session_timeout`, `kill -9`s them
/// mid-statement and restarts the server; runners exiting 3 or 4 or killed are restarted, like a Kubernetes Job.
/// After each trial the invariants of ``ChaosRun`` are checked (exactly-once effects, failed rows only for a
/// half-done non-transactional migration and repairable, lock free, a clean re-run completes, one lock holder).
///
/// CI: 8 trials, seed 20260312, a 170 s budget (a trial left over fails the test). Longer local runs:
/// `RUNWAY_CHAOS_TRIALS=100 RUNWAY_CHAOS_SEED=$RANDOM scripts/with-postgres.sh swift test --skip-build --filter
/// ChaosTests` (the budget grows to 25 s a trial; `RUNWAY_CHAOS_BUDGET=<seconds>` sets it). It prints each trial's
/// faults and verdict, then the faults injected by kind.
@Suite("fault injection: eight runners, killed backends and runners, idle_session_timeout, server restarts")
struct ChaosTests {
    @Test(
        "8 concurrent runners under chaos: exactly-once effects, no half-applied migration, lock free, re-run completes",
        .timeLimit(.minutes((try? ChaosPlan.fromEnvironment())?.timeLimitMinutes ?? 5)))
    func chaos() async throws {
        let plan = try ChaosPlan.fromEnvironment()
        let report = try await onOwnThread { try ChaosRun(plan: plan).run() }
        print(report.summary)
        for failure in report.failures { Issue.record(Comment(rawValue: failure)) }
        #expect(
            report.trialsRun == plan.trials,
            "only \(report.trialsRun) of \(plan.trials) trials ran within the \(Int(plan.budget)) s budget")
    }
}

/// The suite's parameters, from `RUNWAY_CHAOS_TRIALS`, `RUNWAY_CHAOS_SEED` and `RUNWAY_CHAOS_BUDGET` (seconds).
struct ChaosPlan: Sendable {
    var trials = 8
    var seed: UInt64 = 20_260_312
    var budget: Double = 170
    var runners = 8
    /// Starts of one runner (the first and the restarts).
    var attemptsPerRunner = 12
    /// Faults are injected during this long after a trial's runners start, at most `faultsPerTrial` of them.
    var chaosWindow: Double = 6
    var faultsPerTrial = 5
    /// Runners still running this long after the trial started are a failure (6).
    var runnerDeadline: Double = 60

    static func fromEnvironment() throws -> ChaosPlan {
        let environment = ProcessInfo.processInfo.environment
        var plan = ChaosPlan()
        if let text = environment["RUNWAY_CHAOS_TRIALS"] {
            guard let trials = Int(text), trials > 0 else {
                throw TestFailure("RUNWAY_CHAOS_TRIALS must be a positive number, not '\(text)'")
            }
            plan.trials = trials
            plan.budget = max(plan.budget, Double(trials) * 25)
        }
        if let text = environment["RUNWAY_CHAOS_SEED"] {
            guard let seed = UInt64(text) else {
                throw TestFailure("RUNWAY_CHAOS_SEED must be a non-negative integer, not '\(text)'")
            }
            plan.seed = seed
        }
        if let text = environment["RUNWAY_CHAOS_BUDGET"] {
            guard let budget = Double(text), budget > 0 else {
                throw TestFailure("RUNWAY_CHAOS_BUDGET must be a positive number of seconds, not '\(text)'")
            }
            plan.budget = budget
        }
        return plan
    }

    /// The budget, plus room for the trial in progress when it runs out and for the cluster's setup.
    var timeLimitMinutes: Int { Int((budget + runnerDeadline + 60) / 60) + 1 }
}

/// Runs `body` on a thread of its own: the suite blocks (libpq, `waitpid`, `usleep`) and must not hold one of the
/// cooperative pool's threads.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

// MARK: - The migrations

/// One migration of the chaos set and the effects it leaves.
struct ChaosMigration {
    let version: Int
    let transactional: Bool

    var marker: String { "V\(version)" }
    var index: String { "items_v\(version)_idx" }
    var file: String { "V\(version)__\(transactional ? "step" : "index").sql" }
    /// Marker numbers in `chaos.effects`, in statement order.
    var markers: [Int] { [1, 2, 3] }

    var sql: String {
        if transactional {
            return """
                INSERT INTO chaos.effects VALUES ('\(marker)', 1);
                SELECT '\(marker)', pg_sleep(0.05);
                INSERT INTO chaos.effects VALUES ('\(marker)', 2);
                SELECT '\(marker)', pg_sleep(0.05);
                INSERT INTO chaos.effects VALUES ('\(marker)', 3);

                """
        }
        return """
            INSERT INTO chaos.effects VALUES ('\(marker)', 1);
            SELECT '\(marker)', pg_sleep(0.1);
            CREATE INDEX CONCURRENTLY \(index) ON chaos.items (v);
            INSERT INTO chaos.effects VALUES ('\(marker)', 2);
            SELECT '\(marker)', pg_sleep(0.1);
            INSERT INTO chaos.effects VALUES ('\(marker)', 3);

            """
    }

    static let all: [ChaosMigration] = (1...12).map {
        ChaosMigration(version: $0, transactional: ![4, 8, 11].contains($0))
    }

    static func byVersion(_ version: Int) -> ChaosMigration? { all.first { $0.version == version } }

    /// The migration a statement (as `pg_stat_activity.query` shows it) belongs to: its marker `'V<n>'` or its index.
    static func of(query: String) -> ChaosMigration? {
        for pattern in [#"'V([0-9]+)'"#, #"items_v([0-9]+)_idx"#] {
            guard let regex = try? Regex(pattern), let match = query.firstMatch(of: regex),
                let group = match.output[1].substring, let version = Int(group)
            else { continue }
            return byVersion(version)
        }
        return nil
    }
}

// MARK: - Runner processes

/// A `migrate` process started with `posix_spawn`, its output in temporary files, polled with `waitpid(WNOHANG)`.
final class ChaosProcess {
    let pid: pid_t
    private let outPath: String
    private let errPath: String
    private(set) var status: Int32?

    init(_ arguments: [String], environment: [String: String]) throws {
        let temporary = FileManager.default.temporaryDirectory
        outPath = temporary.appendingPathComponent("chaos-out-\(UUID().uuidString)").path
        errPath = temporary.appendingPathComponent("chaos-err-\(UUID().uuidString)").path
        pid = try spawnMigrate(arguments, environment: environment, stdout: outPath, stderr: errPath)
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            _ = wait()
        }
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }

    /// The exit status once the process has ended (128 + signal when a signal ended it), without blocking.
    func poll() -> Int32? {
        if status != nil { return status }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid { status = Self.decode(raw) }
        return status
    }

    /// Waits for the process to end.
    func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        status = Self.decode(raw)
        return status ?? -1
    }

    private static func decode(_ raw: Int32) -> Int32 { raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f) }

    var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
}

/// One of the eight runners: its current process and its history of starts.
final class ChaosSlot {
    let index: Int
    var process: ChaosProcess?
    var attempt = 0
    var killedByTest = false
    var nextStart: Date? = Date()
    var finished = false
    var exits: [String] = []
    var refused = false
    var restarts = 0

    init(index: Int) { self.index = index }
}

// MARK: - Faults

enum FaultKind: String, CaseIterable {
    case killNonTransactional = "kill -9 of a runner during a non-transactional statement"
    case terminateLockHolder = "pg_terminate_backend of the lock holder"
    case restart = "pg_ctl restart -m fast"
    case killTransactional = "kill -9 of a runner during a transactional statement"
    case idleSessionTimeout = "idle_session_timeout = 300ms, then back"
    case terminateMigrating = "pg_terminate_backend of a backend running a migration statement"
    case terminateAny = "pg_terminate_backend of a random Runway backend"

    var weight: Int {
        switch self {
        case .restart, .terminateAny: 1
        default: 2
        }
    }
}

/// A Runway backend as `pg_stat_activity` shows it.
struct RunnerBackend {
    var pid: String
    var applicationName: String
    var state: String
    var query: String
    var queryStart: String
    var holdsLock: Bool

    var migration: ChaosMigration? { state == "active" ? ChaosMigration.of(query: query) : nil }

    /// Runner and attempt from `chaos-t<trial>-r<runner>-a<attempt>`.
    var runner: (slot: Int, attempt: Int)? {
        let parts = applicationName.split(separator: "-")
        guard parts.count == 4, parts[2].hasPrefix("r"), parts[3].hasPrefix("a"),
            let slot = Int(parts[2].dropFirst()), let attempt = Int(parts[3].dropFirst())
        else { return nil }
        return (slot, attempt)
    }

    var label: String { "pid \(pid) (\(applicationName))" }
}

// MARK: - The run

/// The outcome of a run: a summary for the log and one message per trial that broke an invariant.
struct ChaosReport: Sendable {
    var trialsRun = 0
    var summary = ""
    var failures: [String] = []
}

/// State of the database after a phase, for the invariants and for failure messages.
struct ChaosSnapshot {
    struct Row {
        var rank: String
        var version: String
        var script: String
        var success: Bool
        var type: String
    }

    var history: [Row] = []
    /// migration marker -> marker number -> rows.
    var effects: [String: [Int: Int]] = [:]
    /// index name -> valid.
    var indexes: [String: Bool] = [:]

    var failedRows: [Row] { history.filter { !$0.success } }

    func rows(of migration: ChaosMigration) -> [Row] {
        history.filter { $0.version == String(migration.version) && $0.type == "SQL" }
    }

    func effects(of migration: ChaosMigration) -> [Int: Int] { effects[migration.marker] ?? [:] }

    func hasAnyEffect(of migration: ChaosMigration) -> Bool {
        !effects(of: migration).isEmpty || (!migration.transactional && indexes[migration.index] != nil)
    }

    /// Each effect at least once (and the index valid, for a non-transactional migration).
    func hasAllEffects(of migration: ChaosMigration) -> Bool {
        let counts = effects(of: migration)
        return migration.markers.allSatisfy { (counts[$0] ?? 0) > 0 }
            && (migration.transactional || indexes[migration.index] == true)
    }

    /// Each effect exactly once (and the index valid, for a non-transactional migration).
    func isComplete(_ migration: ChaosMigration) -> Bool {
        let counts = effects(of: migration)
        return migration.markers.allSatisfy { counts[$0] == 1 } && counts.count == migration.markers.count
            && (migration.transactional || indexes[migration.index] == true)
    }

    /// A non-transactional migration's effects form a prefix of its statements: marker 1, the index (INVALID while
    /// being built), marker 2, marker 3; nothing after a step that is missing or unfinished.
    func isPrefix(_ migration: ChaosMigration) -> Bool {
        let counts = effects(of: migration)
        let index: Int = indexes[migration.index].map { $0 ? 2 : 1 } ?? 0  // 2 done, 1 unfinished, 0 none
        let steps = [counts[1] != nil ? 2 : 0, index, counts[2] != nil ? 2 : 0, counts[3] != nil ? 2 : 0]
        var ended = false
        for step in steps {
            if ended, step != 0 { return false }
            if step != 2 { ended = true }
        }
        return true
    }

    func describeEffects(_ migration: ChaosMigration) -> String {
        let counts = effects(of: migration)
        var parts = counts.keys.sorted().map { counts[$0] == 1 ? "\($0)" : "\($0)×\(counts[$0] ?? 0)" }
        if !migration.transactional {
            parts.append(indexes[migration.index].map { $0 ? "index" : "INVALID index" } ?? "no index")
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    var historyText: String {
        guard !history.isEmpty else { return "  (no history table or no rows)" }
        return history.map { "  \($0.rank)|\($0.version)|\($0.script)|\($0.success ? "t" : "f")" }
            .joined(separator: "\n")
    }

    var effectsText: String {
        ChaosMigration.all.map { "\($0.marker) \(describeEffects($0))" }.joined(separator: "  ")
    }
}

/// The chaos suite (see ``ChaosTests``): one private cluster, `plan.trials` trials on a database each.
///
/// Each trial gets a fresh database on a private cluster (its own data directory in a temporary folder: the suite
/// restarts that server and changes its settings with `ALTER SYSTEM`, which it must never do to the shared test
/// server). Eight runners (the built binary, each with its own `application_name` `chaos-t<trial>-r<runner>-a<attempt>`
/// so the chaos loop finds its backends in `pg_stat_activity`) apply twelve migrations: nine transactional ones that
/// insert three marker rows into `chaos.effects` with `pg_sleep` between them, and three non-transactional ones
/// (`executeInTransaction=false` in a `.sql.conf`) that insert a marker, build an index with `CREATE INDEX
/// CONCURRENTLY` and insert two more markers, each statement committing on its own.
///
/// Meanwhile, at moments drawn from a seeded generator, the chaos loop does one of: `pg_terminate_backend` of the
/// backend holding the migration lock, of a backend running a migration statement, or of any Runway backend;
/// `ALTER SYSTEM SET idle_session_timeout = '300ms'` and `pg_reload_conf()` for 0.5-2 s; `kill -9` of the runner
/// whose backend is running a transactional, or a non-transactional, migration statement; `pg_ctl restart -m fast`.
/// Runners that exit 3 or 4 (retryable) or were killed are started again after a back-off, like a Kubernetes Job, at
/// most 12 times each. The first fault of trial `n` is the `n`-th kind, so a run of 7 trials or more injects each
/// kind at least once.
///
/// Invariants, checked when every runner has ended (the chaos stopped), then after one clean `migrate`:
/// 1. a transactional migration is all or nothing: a success history row and all its effects, or neither;
/// 2. no effect ever appears twice, and no version has two history rows;
/// 3. a failed history row (`success = false`) exists only for a non-transactional migration, whose effects are then
///    a prefix of its statements (none, some, or all when the runner died before recording success); effects of a
///    non-transactional migration never exist without its history row (the "in progress" row comes first); when a
///    failed row exists, the clean run refuses (exit 1, "contains a failed migration" or validate's "Detected failed
///    migration"); after undoing the partial effects (Runway's advice; completing them by hand would not do, as
///    `repair` makes the migration pending again) and `migrate repair`, `migrate` completes;
/// 4. no advisory lock remains in the database once the runners' backends are gone, nor after the clean run;
/// 5. the clean run (after the repair, if any) exits 0 and everything is applied exactly once;
/// 6. each runner exits 0, 1 only refusing a failed migration (and only when a failed row exists), 3 or 4
///    (retryable: a runner that lost its session or its lock), or by the test's `kill -9`; all runners end within
///    60 s of the trial's start;
/// 7. sampled every 50 ms while runners run (and confirmed on a second look, so a backend that is exiting does not
///    count): at most one backend runs migration statements at a time, and it holds the migration lock.
final class ChaosRun {
    let plan: ChaosPlan
    var random: SplitMix64
    let cluster: TestCluster
    let endpoint: TestServer.Endpoint
    let folder: MigrationFolder
    let key = AdvisoryLockKey(schema: "public", table: "flyway_schema_history")
    private var adminConnection: Connection?
    var faultCounts: [String: Int] = [:]
    var restarts = 0
    /// Faults not injected because no target showed up in time (every runner had ended, or none had connected yet).
    var skipped = 0
    var repairs = 0
    var runnerExits: [String: Int] = [:]
    let logger = Logger(label: "chaos")

    init(plan: ChaosPlan) throws {
        self.plan = plan
        random = SplitMix64(seed: plan.seed)
        endpoint = try TestServer.endpoint()
        cluster = try TestCluster()
        try cluster.initPrimary()
        try cluster.start()
        var files: [String: String] = [:]
        for migration in ChaosMigration.all {
            files[migration.file] = migration.sql
            if !migration.transactional { files[migration.file + ".conf"] = "executeInTransaction=false\n" }
        }
        folder = try MigrationFolder(files)
    }

    func run() throws -> ChaosReport {
        let started = Date()
        var report = ChaosReport()
        for trial in 1...plan.trials {
            // A trial takes 5-15 s; do not start one that would overrun the budget by much.
            if Date().timeIntervalSince(started) > plan.budget - 10 { break }
            let outcome = try runTrial(trial)
            report.trialsRun += 1
            if let failure = outcome.failure { report.failures.append(failure) }
        }
        let elapsed = Int(Date().timeIntervalSince(started))
        let totalFaults = faultCounts.values.reduce(0, +)
        var summary = [
            "chaos: \(report.trialsRun) of \(plan.trials) trials (seed \(plan.seed), \(plan.runners) runners each, "
                + "\(ChaosMigration.all.count) migrations of which \(ChaosMigration.all.filter { !$0.transactional }.count) "
                + "non-transactional) in \(elapsed) s; \(totalFaults) faults injected, \(restarts) runner restarts, "
                + "\(repairs) repairs of a failed non-transactional migration, \(skipped) faults skipped (no target in "
                + "time); "
                + "\(report.trialsRun - report.failures.count) trials kept every invariant"
        ]
        for kind in faultCounts.keys.sorted() { summary.append("  \(faultCounts[kind] ?? 0) × \(kind)") }
        summary.append(
            "  runner exits: "
                + runnerExits.keys.sorted().map { "\($0) × \(runnerExits[$0] ?? 0)" }.joined(separator: ", "))
        report.summary = summary.joined(separator: "\n")
        return report
    }

    // MARK: Connections

    func connect(database: String) throws -> Connection {
        var settings = try cluster.settings(database: database)
        settings.applicationName = "runway-chaos-admin"
        // The suite's own sessions must survive the idle_session_timeout it sets.
        settings.options = "-c idle_session_timeout=0"
        settings.connectTimeout = 5
        return try Connection(parameters: settings.libpqParameters(), logger: logger)
    }

    /// Runs `body` on the connection to the `postgres` database, reconnecting once (the server may have restarted).
    func admin<T>(_ body: (Connection) throws -> T) throws -> T {
        if let connection = adminConnection, connection.isOK {
            do { return try body(connection) } catch { if adminConnection?.isOK == true { throw error } }
        }
        adminConnection = nil
        let deadline = Date().addingTimeInterval(30)
        while true {
            do {
                let connection = try connect(database: "postgres")
                adminConnection = connection
                return try body(connection)
            } catch {
                if Date() > deadline { throw error }
                usleep(100_000)
            }
        }
    }

    func environment(database: String, applicationName: String) -> [String: String] {
        [
            "DB_HOST": "127.0.0.1", "DB_PORT": String(cluster.port), "DB_NAME": database,
            "DB_USERNAME": endpoint.user, "DB_PASSWORD": endpoint.password, "DB_APPLICATION_NAME": applicationName,
            "PGAPPNAME": applicationName,
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
    }

    /// Runs `migrate <command>` to the end.
    func runToEnd(_ command: String, database: String, applicationName: String) throws -> RunOutput {
        let process = try ChaosProcess(
            [command, "--locations", folder.path],
            environment: environment(database: database, applicationName: applicationName))
        let status = process.wait()
        return RunOutput(status: status, stdout: process.stdout, stderr: process.stderr)
    }

    func backends(database: String) throws -> [RunnerBackend] {
        try admin { connection in
            try connection.query(
                """
                SELECT a.pid::text, a.application_name, coalesce(a.state, ''), coalesce(a.query, ''),
                       coalesce(a.query_start::text, ''),
                       EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
                               AND l.classid::text = $2 AND l.objid::text = $3 AND l.objsubid = 1)::text
                FROM pg_stat_activity a WHERE a.datname = $1 AND a.application_name LIKE 'chaos-t%'
                ORDER BY a.pid
                """, [database, String(key.classID), String(key.objectID)]
            ).rows.map {
                RunnerBackend(
                    pid: $0[0] ?? "", applicationName: $0[1] ?? "", state: $0[2] ?? "", query: $0[3] ?? "",
                    queryStart: $0[4] ?? "", holdsLock: $0[5] == "true")
            }
        }
    }

    // MARK: A trial

    struct TrialOutcome {
        var line: String
        var failure: String?
    }

    /// Faults and violations of one trial, with times since its start.
    final class TrialLog {
        let started = Date()
        var faults: [String] = []
        var violations: [(invariant: Int, text: String)] = []
        var seen: Set<String> = []

        var clock: String { String(format: "+%.2fs", Date().timeIntervalSince(started)) }

        func fault(_ text: String) { faults.append("\(clock) \(text)") }

        /// Runner exits outside invariant (6), grouped by what the runner printed.
        var unexpectedExits: [(message: String, runners: [String])] = []

        func unexpectedExit(_ message: String, runner: String) {
            if let index = unexpectedExits.firstIndex(where: { $0.message == message }) {
                unexpectedExits[index].runners.append(runner)
            } else {
                unexpectedExits.append((message, [runner]))
            }
        }

        /// Records a violation once per distinct `dedupe` key.
        func violate(_ invariant: Int, _ text: String, dedupe: String? = nil) {
            if let dedupe, !seen.insert(dedupe).inserted { return }
            violations.append((invariant, text))
        }
    }

    func runTrial(_ trial: Int) throws -> TrialOutcome {
        let database = "chaos_\(trial)"
        try admin { _ = try $0.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
        try admin { _ = try $0.execute("CREATE DATABASE \(database)") }
        defer { _ = try? admin { try $0.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") } }
        try connect(database: database).execute(
            """
            CREATE SCHEMA chaos;
            CREATE TABLE chaos.effects (migration text NOT NULL, n int NOT NULL);
            CREATE TABLE chaos.items (id int, v int);
            INSERT INTO chaos.items SELECT g, g % 997 FROM generate_series(1, 50000) g;
            """)

        let log = TrialLog()
        let slots = (1...plan.runners).map { ChaosSlot(index: $0) }
        defer {
            // Never leave a runner behind, whatever happened.
            for slot in slots { if let process = slot.process { kill(process.pid, SIGKILL) } }
        }
        var nextFault = log.started.addingTimeInterval(Double.random(in: 0.2...0.8, using: &random))
        var faults = 0
        var idleTimeoutUntil: Date?
        var nextSample = Date()
        let chaosEnd = log.started.addingTimeInterval(plan.chaosWindow)
        let deadline = log.started.addingTimeInterval(plan.runnerDeadline)

        while true {
            let now = Date()
            // Reap and restart runners, like a Job controller with back-off.
            for slot in slots where !slot.finished {
                if let process = slot.process, let status = process.poll() {
                    finish(slot, process: process, status: status, trial: trial, log: log, now: now)
                }
                if slot.process == nil, !slot.finished, let at = slot.nextStart, now >= at {
                    slot.attempt += 1
                    slot.nextStart = nil
                    if slot.attempt > 1 { restarts += 1 }
                    let name = "chaos-t\(trial)-r\(slot.index)-a\(slot.attempt)"
                    slot.process = try ChaosProcess(
                        ["migrate", "--locations", folder.path],
                        environment: environment(database: database, applicationName: name))
                }
            }
            let running = slots.contains { !$0.finished }
            if let until = idleTimeoutUntil, now >= until {
                try setIdleSessionTimeout(nil)
                idleTimeoutUntil = nil
            }
            if !running { break }
            if now > deadline {
                let left = slots.filter { !$0.finished }.map { "r\($0.index)" }.joined(separator: ", ")
                log.violate(6, "runners \(left) still running \(Int(plan.runnerDeadline)) s after the trial started")
                for slot in slots where !slot.finished {
                    if let process = slot.process {
                        kill(process.pid, SIGKILL)
                        _ = process.wait()
                        slot.exits.append("a\(slot.attempt): hung, killed")
                    }
                    slot.process = nil
                    slot.finished = true
                }
                break
            }
            if now >= nextSample {
                try sampleMutualExclusion(database: database, log: log)
                nextSample = Date().addingTimeInterval(0.05)
            }
            if now < chaosEnd, faults < plan.faultsPerTrial, now >= nextFault {
                let kind =
                    faults == 0
                    ? FaultKind.allCases[(trial - 1) % FaultKind.allCases.count] : randomKind()
                try inject(kind, trial: trial, database: database, slots: slots, log: log, idle: &idleTimeoutUntil)
                faults += 1
                nextFault = Date().addingTimeInterval(Double.random(in: 0.3...1.2, using: &random))
            }
            usleep(10_000)
        }
        // The chaos has stopped: the server's settings are back to normal.
        try setIdleSessionTimeout(nil)
        for exit in log.unexpectedExits {
            log.violate(
                6, "runner\(exit.runners.count == 1 ? "" : "s") \(exit.runners.joined(separator: ", ")) \(exit.message)"
            )
        }
        try checkTrial(trial, database: database, slots: slots, log: log)

        let exits = slots.map { "r\($0.index): " + $0.exits.joined(separator: ", ") }.joined(separator: "; ")
        let faultText = log.faults.isEmpty ? "none" : log.faults.joined(separator: "; ")
        let verdict =
            log.violations.isEmpty
            ? "ok" : "BROKE " + Set(log.violations.map { "(\($0.invariant))" }).sorted().joined(separator: " ")
        let line = "chaos trial \(trial): \(verdict); faults: \(faultText)"
        print(line)
        guard !log.violations.isEmpty else { return TrialOutcome(line: line) }
        let violations = log.violations.sorted { $0.invariant < $1.invariant }
            .map { "  invariant (\($0.invariant)): \($0.text)" }.joined(separator: "\n")
        let failure = """
            Chaos trial \(trial) of \(plan.trials) (seed \(plan.seed)) broke \(verdict.dropFirst(6)):
            \(violations)
            faults injected:
              \(log.faults.joined(separator: "\n  "))
            runner exits: \(exits)
            """
        return TrialOutcome(line: line, failure: failure + "\n" + lastState)
    }

    /// The history and effects as last read, for the failure message.
    private var lastState = ""

    private func finish(
        _ slot: ChaosSlot, process: ChaosProcess, status: Int32, trial: Int, log: TrialLog, now: Date
    ) {
        slot.process = nil
        let killed = slot.killedByTest && status == 128 + SIGKILL
        slot.killedByTest = false
        let stderr = process.stderr
        var retry = false
        switch status {
        case 0:
            slot.exits.append("a\(slot.attempt): 0")
            runnerExits["0 (done)", default: 0] += 1
            slot.finished = true
        case 1 where Self.refusesFailedMigration(stderr):
            slot.exits.append("a\(slot.attempt): 1 (refused: failed migration)")
            runnerExits["1 (refused: failed migration)", default: 0] += 1
            slot.refused = true
            slot.finished = true
        case 3, 4:
            slot.exits.append("a\(slot.attempt): \(status)")
            runnerExits["\(status) (retryable)", default: 0] += 1
            retry = true
        case _ where killed:
            slot.exits.append("a\(slot.attempt): killed")
            runnerExits["killed by the test", default: 0] += 1
            retry = true
        default:
            slot.exits.append("a\(slot.attempt): \(status)")
            runnerExits["\(status) (not a documented outcome here)", default: 0] += 1
            log.unexpectedExit(
                "exited \(status): \(Self.errorSummary(stderr))",
                runner: "r\(slot.index) attempt \(slot.attempt) at \(log.clock)")
            slot.finished = true
        }
        if retry {
            if slot.attempt >= plan.attemptsPerRunner {
                slot.exits.append("gave up")
                slot.finished = true
            } else {
                // 0.1, 0.2, 0.4, 0.8, 1.6 s, with jitter.
                let backoff = 0.1 * Double(1 << min(slot.restarts, 4)) * Double.random(in: 0.5...1, using: &random)
                slot.restarts += 1
                slot.nextStart = now.addingTimeInterval(backoff)
            }
        }
    }

    /// Runway's refusals to migrate over a failed row: "Schema ... contains a failed migration to version ..." and,
    /// from validate-on-migrate, Flyway's "Detected failed migration to version ...".
    static func refusesFailedMigration(_ stderr: String) -> Bool {
        stderr.contains("contains a failed migration") || stderr.contains("Detected failed migration to version")
    }

    /// The error a runner printed: its last `ERROR:` line and what follows, on one line.
    static func errorSummary(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: true)
        guard let start = lines.lastIndex(where: { $0.hasPrefix("ERROR:") }) else {
            return String(stderr.suffix(300)).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let text = lines[start...].map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " / ")
        return text.count > 500 ? String(text.prefix(500)) + "..." : text
    }

    private func randomKind() -> FaultKind {
        let total = FaultKind.allCases.map(\.weight).reduce(0, +)
        var pick = Int.random(in: 0..<total, using: &random)
        for kind in FaultKind.allCases {
            if pick < kind.weight { return kind }
            pick -= kind.weight
        }
        return .terminateAny
    }

    private func count(_ kind: String) { faultCounts[kind, default: 0] += 1 }

    /// `nil` resets it.
    private func setIdleSessionTimeout(_ value: String?) throws {
        try admin { connection in
            if let value {
                try connection.execute("ALTER SYSTEM SET idle_session_timeout = '\(value)'")
            } else {
                try connection.execute("ALTER SYSTEM RESET idle_session_timeout")
            }
            try connection.execute("SELECT pg_reload_conf()")
        }
    }

    /// Waits up to `seconds` for a Runway backend of a live runner matching `want`.
    private func findBackend(
        database: String, slots: [ChaosSlot], seconds: Double, _ want: (RunnerBackend) -> Bool
    ) throws -> (RunnerBackend, ChaosSlot)? {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let candidates = try backends(database: database).compactMap { backend -> (RunnerBackend, ChaosSlot)? in
                guard want(backend), let runner = backend.runner,
                    let slot = slots.first(where: { $0.index == runner.slot }),
                    slot.process != nil, slot.attempt == runner.attempt
                else { return nil }
                return (backend, slot)
            }
            if !candidates.isEmpty { return candidates.randomElement(using: &random) }
            if !slots.contains(where: { $0.process != nil }) { return nil }
            usleep(5_000)
        } while Date() < deadline
        return nil
    }

    private func inject(
        _ kind: FaultKind, trial: Int, database: String, slots: [ChaosSlot], log: TrialLog, idle: inout Date?
    ) throws {
        switch kind {
        case .killTransactional, .killNonTransactional:
            let transactional = kind == .killTransactional
            if let (backend, slot) = try findBackend(
                database: database, slots: slots, seconds: 3, { $0.migration?.transactional == transactional })
            {
                killRunner(
                    slot, log: log, what: kind.rawValue,
                    detail: "\(backend.label) running \(backend.migration?.marker ?? "?")")
            } else if let slot = slots.filter({ $0.process != nil }).randomElement(using: &random) {
                killRunner(
                    slot, log: log,
                    what:
                        "kill -9 of a runner at another moment (no \(transactional ? "" : "non-")transactional statement seen)",
                    detail: "")
            } else {
                skipped += 1
                log.fault("(skipped, no target in time: \(kind.rawValue))")
            }
        case .terminateLockHolder, .terminateMigrating, .terminateAny:
            let found: (RunnerBackend, ChaosSlot)?
            var what = kind.rawValue
            switch kind {
            case .terminateLockHolder:
                found = try findBackend(database: database, slots: slots, seconds: 2) { $0.holdsLock }
            case .terminateMigrating:
                found = try findBackend(database: database, slots: slots, seconds: 2) { $0.migration != nil }
            default:
                found = try findBackend(database: database, slots: slots, seconds: 3) { _ in true }
            }
            var target = found?.0
            if target == nil, kind != .terminateAny {
                target = try findBackend(database: database, slots: slots, seconds: 3) { _ in true }?.0
                what = FaultKind.terminateAny.rawValue + " (no target for: \(kind.rawValue))"
            }
            guard let target else {
                skipped += 1
                log.fault("(skipped, no target in time: \(kind.rawValue))")
                return
            }
            try admin { _ = try $0.query("SELECT pg_terminate_backend($1::int)", [target.pid]) }
            count(what)
            let doing = target.migration.map { " running \($0.marker)" } ?? " (\(target.state))"
            log.fault("\(what): \(target.label)\(target.holdsLock ? " holding the lock" : "")\(doing)")
        case .idleSessionTimeout:
            try setIdleSessionTimeout("300ms")
            let seconds = Double.random(in: 0.5...2, using: &random)
            idle = Date().addingTimeInterval(seconds)
            count(kind.rawValue)
            log.fault(String(format: "idle_session_timeout = 300ms for %.1f s", seconds))
        case .restart:
            try TestCluster.shell(
                cluster.asServerUser(
                    "'\(cluster.bin)/pg_ctl' -D '\(cluster.directory)/data' -w -t 60 restart -m fast "
                        + "-l '\(cluster.directory)/log' >/dev/null 2>&1"))
            adminConnection = nil
            count(kind.rawValue)
            log.fault(kind.rawValue)
        }
    }

    private func killRunner(_ slot: ChaosSlot, log: TrialLog, what: String, detail: String) {
        guard let process = slot.process else { return }
        slot.killedByTest = true
        kill(process.pid, SIGKILL)
        count(what)
        log.fault("\(what): runner r\(slot.index) attempt \(slot.attempt)\(detail.isEmpty ? "" : ", " + detail)")
    }

    /// Invariant (7): at most one backend runs migration statements, and it holds the migration lock. What looks
    /// wrong is looked at again 30 ms later and counts only if the same statements (same `query_start`) are still
    /// running: a backend that is exiting releases its locks a moment before it leaves `pg_stat_activity`.
    private func sampleMutualExclusion(database: String, log: TrialLog) throws {
        func suspects() throws -> (running: [RunnerBackend], unlocked: [RunnerBackend]) {
            let running = try backends(database: database).filter { $0.migration != nil }
            return (running, running.filter { !$0.holdsLock })
        }
        let first = try suspects()
        guard first.running.count > 1 || !first.unlocked.isEmpty else { return }
        usleep(30_000)
        let second = try suspects()
        let same = { (a: [RunnerBackend], b: [RunnerBackend]) in
            a.filter { x in b.contains { $0.pid == x.pid && $0.queryStart == x.queryStart && $0.query == x.query } }
        }
        let stillRunning = same(first.running, second.running)
        if stillRunning.count > 1 {
            let who = stillRunning.map { "\($0.label) running \($0.migration?.marker ?? "?")" }.joined(
                separator: " and ")
            log.violate(
                7, "at \(log.clock) \(stillRunning.count) backends ran migration statements at the same time: \(who)",
                dedupe: "many")
        }
        for backend in same(first.unlocked, second.unlocked) {
            log.violate(
                7,
                "at \(log.clock) \(backend.label) ran a statement of \(backend.migration?.marker ?? "?") without "
                    + "holding the migration lock (advisory lock \(key)) on its own session",
                dedupe: "unlocked")
        }
    }

    // MARK: Invariants

    private func snapshot(_ connection: Connection) throws -> ChaosSnapshot {
        var snapshot = ChaosSnapshot()
        if try connection.execute("SELECT to_regclass('public.flyway_schema_history') IS NOT NULL").scalar == "t" {
            snapshot.history = try connection.execute(
                """
                SELECT installed_rank::text, coalesce(version, ''), script, success::text, type
                FROM public.flyway_schema_history h ORDER BY h.installed_rank
                """
            ).rows.map {
                .init(
                    rank: $0[0] ?? "", version: $0[1] ?? "", script: $0[2] ?? "", success: $0[3] == "true",
                    type: $0[4] ?? "")
            }
        }
        for row in try connection.execute("SELECT migration, n::text, count(*)::text FROM chaos.effects GROUP BY 1, 2")
            .rows
        {
            snapshot.effects[row[0] ?? "", default: [:]][Int(row[1] ?? "") ?? -1] = Int(row[2] ?? "") ?? 0
        }
        for row in try connection.execute(
            """
            SELECT c.relname, i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'chaos' AND c.relname LIKE 'items_v%'
            """
        ).rows {
            snapshot.indexes[row[0] ?? ""] = row[1] == "true"
        }
        return snapshot
    }

    /// Waits until no advisory lock is held in the database (the backends of killed runners may still be finishing a
    /// statement); invariant (4) when one stays.
    private func checkLockFree(_ connection: Connection, phase: String, log: TrialLog) throws {
        let deadline = Date().addingTimeInterval(20)
        var holders = ""
        repeat {
            holders =
                try connection.execute(
                    """
                    SELECT coalesce(string_agg(format('pid %s (%s) key %s', l.pid, a.application_name,
                                                      (l.classid::bigint << 32) + l.objid::bigint), ', '), '')
                    FROM pg_locks l LEFT JOIN pg_stat_activity a USING (pid)
                    WHERE l.locktype = 'advisory' AND l.granted
                      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """
                ).scalar ?? ""
            if holders.isEmpty { return }
            usleep(100_000)
        } while Date() < deadline
        log.violate(4, "\(phase): advisory lock(s) still held 20 s later: \(holders)")
    }

    private func checkTrial(_ trial: Int, database: String, slots: [ChaosSlot], log: TrialLog) throws {
        let connection = try connect(database: database)
        // The runners have ended; their backends may still be finishing a statement (a killed client is noticed when
        // the server next talks to it). Wait until they are gone, so nothing commits behind the checks.
        let deadline = Date().addingTimeInterval(20)
        while try connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'chaos-t\(trial)-%'"
        ).scalar != "0" {
            if Date() > deadline {
                log.violate(4, "backends of ended runners still connected 20 s later")
                break
            }
            usleep(50_000)
        }
        try checkLockFree(connection, phase: "after the runners", log: log)
        let after = try snapshot(connection)
        lastState =
            "history after the runners (rank|version|script|success):\n\(after.historyText)\n"
            + "effects after the runners: \(after.effectsText)"
        checkState(after, phase: "after the runners", final: false, log: log)
        let failedRows = after.failedRows
        if slots.contains(where: \.refused), failedRows.isEmpty {
            log.violate(6, "a runner refused with \"contains a failed migration\", yet no failed row is in the history")
        }

        // One clean run.
        let clean = try runToEnd("migrate", database: database, applicationName: "chaos-clean-\(trial)")
        if !failedRows.isEmpty {
            if clean.status != 1 || !Self.refusesFailedMigration(clean.stderr) {
                log.violate(
                    3,
                    "with failed row(s) \(failedRows.map(\.script)) the clean run did not refuse: exit \(clean.status)"
                        + ", \(clean.stderr.suffix(600))")
            }
            // The operator undoes what the half-done migration committed (Runway's advice), repairs, and migrates.
            for row in failedRows {
                // A migration that also has a success row (applied twice, reported above) keeps its effects.
                guard let migration = Int(row.version).flatMap(ChaosMigration.byVersion),
                    !after.rows(of: migration).contains(where: \.success)
                else { continue }
                try connection.execute("DELETE FROM chaos.effects WHERE migration = '\(migration.marker)'")
                try connection.execute("DROP INDEX CONCURRENTLY IF EXISTS chaos.\(migration.index)")
            }
            let repair = try runToEnd("repair", database: database, applicationName: "chaos-repair-\(trial)")
            if repair.status != 0 {
                log.violate(3, "migrate repair exited \(repair.status): \(repair.stderr.suffix(600))")
            }
            repairs += 1
            let rerun = try runToEnd("migrate", database: database, applicationName: "chaos-rerun-\(trial)")
            if rerun.status != 0 {
                log.violate(5, "migrate after the repair exited \(rerun.status): \(rerun.stderr.suffix(600))")
            }
        } else if clean.status != 0 {
            log.violate(5, "the clean run exited \(clean.status): \(clean.stderr.suffix(600))")
        }
        try checkLockFree(connection, phase: "after the clean run", log: log)
        let final = try snapshot(connection)
        lastState +=
            "\nhistory at the end (rank|version|script|success):\n\(final.historyText)\n"
            + "effects at the end: \(final.effectsText)"
        checkState(final, phase: "after the clean run", final: true, log: log)
    }

    /// Invariants (1), (2), (3) and, at the end, (5) on a snapshot. A problem already reported after the runners is
    /// not reported again after the clean run.
    private func checkState(_ state: ChaosSnapshot, phase: String, final: Bool, log: TrialLog) {
        for migration in ChaosMigration.all {
            let name = "\(migration.marker) (\(migration.transactional ? "transactional" : "non-transactional"))"
            let rows = state.rows(of: migration)
            let effects = state.describeEffects(migration)
            func violate(_ invariant: Int, _ what: String, _ text: String) {
                log.violate(invariant, "\(phase): \(name) \(text)", dedupe: "\(migration.marker) \(what)")
            }
            if state.effects(of: migration).values.contains(where: { $0 > 1 }) {
                violate(2, "effect twice", "was applied twice: effects \(effects)")
            }
            if rows.count > 1 {
                violate(2, "rows", "has \(rows.count) history rows (ranks \(rows.map(\.rank).joined(separator: ", ")))")
            }
            let success = rows.contains(where: \.success)
            let failed = rows.contains { !$0.success }
            if migration.transactional {
                if failed { violate(3, "failed row", "has a failed history row") }
                if success, !state.hasAllEffects(of: migration) {
                    violate(1, "partial", "has a success row but only effects \(effects)")
                }
                if rows.isEmpty, state.hasAnyEffect(of: migration) {
                    violate(1, "unrecorded", "has effects \(effects) but no history row (half-applied or unrecorded)")
                }
            } else {
                if success, !failed, !state.hasAllEffects(of: migration) {
                    violate(3, "partial", "has a success row but only effects \(effects)")
                }
                if failed, !state.isPrefix(migration) {
                    violate(
                        3, "not prefix",
                        "has a failed row but its effects \(effects) are not a prefix of its statements")
                }
                if rows.isEmpty, state.hasAnyEffect(of: migration) {
                    violate(
                        3, "unrecorded",
                        "has effects \(effects) but no history row: a runner ran part of it without recording it as in "
                            + "progress, so the next runner runs it again")
                }
            }
            if final, !(rows.count == 1 && success && state.isComplete(migration)) {
                log.violate(
                    5, "\(phase): \(name) is not applied exactly once: \(rows.count) history row(s), effects \(effects)"
                )
            }
        }
        if final, !state.failedRows.isEmpty {
            log.violate(5, "\(phase): failed rows remain: \(state.failedRows.map(\.script))")
        }
    }
}
