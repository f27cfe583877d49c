import ArgumentParser
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Runway

/// A command run on every target of a fleet (`--each-schema-query` and friends): progress on stderr, one line per
/// finished target, the results on stdout (text or `--output json`), and one exit status for the whole run.
enum FleetRun {
    /// Runs `operation` on the fleet the arguments name.
    static func run(
        _ operation: FleetMigrator.Operation, name: String, fleet arguments: FleetArguments, output: OutputOptions,
        flywaySettings: [(String, String)], _ connection: ConnectionOptions, _ migrations: MigrationOptions
    ) async throws {
        let context = CommandContext(output: output)
        if output.output == .github || output.output == .junit {
            throw context.fail(
                RunwayError(.configuration, "--output \(output.output.rawValue) is not available for a fleet run"),
                operation: name)
        }
        let summary: Summary
        do throws(RunwayError) {
            guard let targets = try arguments.targets() else { return }
            let options = try arguments.options()
            var configuration = try context.configuration(
                connection: connection, migrations: migrations, flywaySettings: flywaySettings)
            let dryRunPath = operation == .migrate ? configuration.dryRunOutput : nil
            configuration.dryRunOutput = nil
            let operation: FleetMigrator.Operation = dryRunPath == nil ? operation : .dryRun
            if dryRunPath == "-", output.output == .json {
                throw RunwayError(
                    .configuration, "--output json and a dry run on stdout would mix: write the dry run to a file")
            }
            let sink = try dryRunPath.map { (path) throws(RunwayError) in try ScriptSink(path: path) }
            let fleet = FleetMigrator(
                configuration: configuration, targets: targets, options: options, logger: context.logger)
            let logger = context.logger
            summary = try await SignalCancellation.run(report: context.reporter(operation: name).report) {
                () async throws(RunwayError) -> Summary in
                let plan = try await fleet.plan()
                for note in plan.notes { logger.warning("\(note)") }
                let shard = options.shard.map { " (shard \($0) of \(plan.totalTargets) in all)" } ?? ""
                let count = "\(plan.targets.count) target\(plan.targets.count == 1 ? "" : "s")"
                logger.info("Fleet \(name): \(count)\(shard), \(plan.parallel) at a time")
                var progress = Progress(total: plan.targets.count, logger: logger)
                // Returns once every target in flight has ended, also after SIGINT/SIGTERM: the process never exits
                // while a target's thread is inside libpq.
                var sinkError: RunwayError?
                await fleet.run(operation, plan: plan) { result in
                    progress.finished(result)
                    // One section per target, in the order they finish.
                    if let sink, let script = result.dryRunScript, sinkError == nil {
                        do throws(RunwayError) {
                            try sink.write("\n-- ===== target \(result.target) =====\n" + script)
                        } catch {
                            sinkError = error
                        }
                    }
                }
                if let sinkError { throw sinkError }
                if Task.isCancelled { throw RunwayError(.cancelled, "The fleet run was stopped") }
                progress.report(force: true)
                return Summary(
                    operation: name, shard: options.shard, parallel: plan.parallel, total: plan.targets.count,
                    results: progress.results, milliseconds: progress.elapsedMilliseconds)
            }
        } catch {
            throw context.fail(error, operation: name)
        }
        if output.output == .json {
            context.emit(summary.json.pretty)
        } else if !output.quiet || summary.exitStatus != nil {
            context.emit(summary.text)  // `-q`: nothing on success, as for one target
        }
        if let status = summary.exitStatus { throw ExitCode(status) }
    }

    /// Counts finished targets, logs one line for each, and a progress line at most every two seconds.
    struct Progress {
        let total: Int
        let logger: Logger
        private(set) var results: [FleetTargetResult] = []
        private var failed = 0
        private let started = ContinuousClock.now
        private var lastReport = ContinuousClock.now

        init(total: Int, logger: Logger) {
            self.total = total
            self.logger = logger
        }

        var elapsedMilliseconds: Int { (ContinuousClock.now - started).wholeMilliseconds }

        mutating func finished(_ result: FleetTargetResult) {
            results.append(result)
            var metadata: Logger.Metadata = [
                "target": "\(result.target)", "outcome": "\(result.outcome.rawValue)",
                "duration_ms": .stringConvertible(result.durationMilliseconds),
            ]
            switch result.outcome {
            case .succeeded:
                if let version = result.schemaVersionAfter { metadata["version"] = "\(version)" }
                metadata["migrations_executed"] = .stringConvertible(result.migrationsExecuted)
                logger.info("\(result.target): ok", metadata: metadata)
            case .failed:
                failed += 1
                if let error = result.error { metadata.merge(Summary.errorMetadata(error)) { $1 } }
                logger.error("\(result.target): FAILED \(Summary.oneLine(result.error))", metadata: metadata)
            case .notStarted:
                logger.warning("\(result.target): not started", metadata: metadata)
            }
            report(force: false)
        }

        /// done/total, failed, rate and time left.
        mutating func report(force: Bool) {
            let now = ContinuousClock.now
            guard force || now - lastReport >= .seconds(2) else { return }
            lastReport = now
            let done = results.count
            let seconds = max(Double(elapsedMilliseconds) / 1000, 0.001)
            let rate = Double(done) / seconds
            let left = rate > 0 ? Double(total - done) / rate : 0
            logger.info(
                "Fleet progress: \(done)/\(total) done, \(failed) failed",
                metadata: [
                    "done": .stringConvertible(done), "total": .stringConvertible(total),
                    "failed": .stringConvertible(failed), "per_second": "\(Self.rounded(rate))",
                    "seconds_left": "\(Self.rounded(left))",
                ])
        }

        private static func rounded(_ value: Double) -> String {
            String(Double(Int(value * 10)) / 10)
        }
    }

    /// What the run printed and how it exits.
    struct Summary: Sendable {
        let operation: String
        let shard: FleetShard?
        let parallel: Int
        let total: Int
        let results: [FleetTargetResult]
        let milliseconds: Int

        private var sorted: [FleetTargetResult] { results.sorted { $0.target < $1.target } }
        private func count(_ outcome: FleetTargetResult.Outcome) -> Int {
            results.filter { $0.outcome == outcome }.count
        }

        /// `nil` when every target succeeded. Retryable failures only (connection lost, lock timeout): 3 or 4, so a
        /// Job retries the pod and the re-run finishes what is left. Any other failure: its status when all agree
        /// (2 configuration, 6 login refused), else 1.
        var exitStatus: Int32? {
            let failures = results.filter { $0.outcome != .succeeded }
            guard !failures.isEmpty else { return nil }
            let statuses = Set(failures.map { $0.error.map(ExitStatus.code(for:)) ?? ExitStatus.failed })
            let permanent = statuses.subtracting([ExitStatus.unreachable, ExitStatus.lockTimeout])
            if permanent.isEmpty {
                return statuses.contains(ExitStatus.unreachable) ? ExitStatus.unreachable : ExitStatus.lockTimeout
            }
            return permanent.count == 1 ? permanent.first! : ExitStatus.failed
        }

        var text: String {
            var lines: [String] = []
            for result in sorted {
                var line = "\(result.target)  \(result.outcome.rawValue)"
                if result.outcome != .notStarted, result.drift == nil {
                    let before = result.schemaVersionBefore ?? "empty"
                    let after = result.schemaVersionAfter ?? "empty"
                    line += before == after ? "  version \(after)" : "  \(before) -> \(after)"
                    let executed = result.migrationsExecuted
                    if executed > 0 { line += "  \(executed) migration\(executed == 1 ? "" : "s")" }
                    line += "  \(result.durationMilliseconds) ms"
                }
                if result.drift != nil { line += "  \(result.durationMilliseconds) ms" }
                if result.outcome == .failed { line += "  " + Self.oneLine(result.error) }
                lines.append(line)
            }
            lines.append(
                "\(operation): \(total) target\(total == 1 ? "" : "s")" + (shard.map { " (shard \($0))" } ?? "")
                    + ", \(count(.succeeded)) succeeded, \(count(.failed)) failed"
                    + (count(.notStarted) > 0 ? ", \(count(.notStarted)) not started" : "")
                    + " in \(milliseconds) ms")
            return lines.joined(separator: "\n")
        }

        var json: JSONValue {
            .object([
                ("operation", .string(operation)), ("success", .bool(exitStatus == nil)),
                ("shard", .optional(shard?.description)),
                (
                    "targets",
                    .array(
                        sorted.map { result in
                            var fields: [(String, JSONValue)] = [
                                ("name", .string(result.target)), ("outcome", .string(result.outcome.rawValue)),
                                ("schemaVersionBefore", .optional(result.schemaVersionBefore)),
                                ("schemaVersionAfter", .optional(result.schemaVersionAfter)),
                                ("migrationsExecuted", .int(result.migrationsExecuted)),
                                ("durationMs", .int(result.durationMilliseconds)),
                                ("error", result.error.map(JSONOutput.errorDetails) ?? .null),
                            ]
                            // check --drift: each target's full report, as one target's JSON has it.
                            if let drift = result.drift { fields.append(("drift", DriftOutput.json(drift))) }
                            return .object(fields)
                        })
                ),
                (
                    "summary",
                    .object([
                        ("total", .int(total)), ("succeeded", .int(count(.succeeded))),
                        ("failed", .int(count(.failed))), ("notStarted", .int(count(.notStarted))),
                        ("parallel", .int(parallel)), ("durationMs", .int(milliseconds)),
                    ])
                ),
            ])
        }

        /// The failing migration, line, SQLSTATE and the first line of the message.
        static func oneLine(_ error: RunwayError?) -> String {
            guard let error else { return "" }
            var parts: [String] = []
            if let file = error.file { parts.append(error.line.map { "\(file):\($0)" } ?? file) }
            if let state = error.sqlState { parts.append("SQLSTATE \(state.rawValue)") }
            let message = error.message.split(separator: "\n").first.map(String.init) ?? error.message
            return (parts.isEmpty ? "" : "(" + parts.joined(separator: ", ") + ") ") + message
        }

        static func errorMetadata(_ error: RunwayError) -> Logger.Metadata {
            var metadata: Logger.Metadata = ["code": "\(error.code.rawValue)"]
            if let file = error.file { metadata["file"] = "\(file)" }
            if let line = error.line { metadata["line"] = .stringConvertible(line) }
            if let state = error.sqlState { metadata["sqlstate"] = "\(state.rawValue)" }
            return metadata
        }
    }
}
