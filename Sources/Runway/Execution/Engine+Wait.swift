#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

extension Engine {
    /// Polls until the database is reachable, every migration in the locations is applied (or the schema reached
    /// `until`) and the history passes the validation `migrate` would run (`validateOnMigrate`, with the same
    /// `ignoreMigrationPatterns`), or `timeout` seconds passed. Read-only: it never takes the lock or changes
    /// anything, so it may point at a replica.
    ///
    /// While it waits, it logs why (at most once every `logEvery` seconds, and whenever the reason changes), so an
    /// init container's log says what it is waiting for: a pending migration, a failed one, or history and files
    /// that disagree (an applied migration edited or deleted), which only a new release or `repair` can fix.
    func waitUntilMigrated(
        timeout: Double, until: MigrationVersion?, interval: Double = 2, logEvery: Double = 10
    ) throws(RunwayError) -> WaitResult {
        guard timeout >= 0, timeout.isFinite else {
            throw .configuration("waitUntilMigrated: timeout must be 0 or more seconds (got \(timeout))")
        }
        guard interval > 0, interval.isFinite else {
            throw .configuration("waitUntilMigrated: interval must be more than 0 seconds (got \(interval))")
        }
        let deadline = Date(timeIntervalSinceNow: timeout)
        var attempt = 0
        var lastReason = "not checked yet"
        var lastLogged: (reason: String, at: Date)?
        while true {
            try cancellation.check()
            attempt += 1
            do throws(RunwayError) {
                // Scanned at every check: files mounted from a volume may change while the pod waits.
                let files = try scan()
                let session = try Session(
                    configuration: configuration, logger: logger, cancellation: cancellation, readWrite: false,
                    pool: shared?.pool)
                let resolved = try resolve(files, placeholders: session.placeholders)
                let exists = try session.history.exists(on: session.work)
                let applied = exists ? try session.history.read(on: session.work) : []
                let service = try MigrationInfoService(
                    resolved: resolved, applied: applied, target: configuration.target,
                    outOfOrder: configuration.outOfOrder,
                    undo: try resolveUndo(files, placeholders: session.placeholders))
                if let reason = notReady(service, until: until) {
                    lastReason = reason
                } else {
                    let current = service.current?.versionText
                    logger.info("Schema is migrated", metadata: ["version": "\(current ?? "<< Empty Schema >>")"])
                    return WaitResult(schemaVersion: current, attempts: attempt)
                }
            } catch  where error.code == .connection || error.code == .validation {
                lastReason = error.message
            }
            guard Date().addingTimeInterval(interval) < deadline else {
                throw RunwayError(
                    .timeout,
                    "Timed out after \(Int(timeout)) s waiting for the database to be migrated: \(lastReason)")
            }
            if lastLogged.map({ $0.reason != lastReason || -$0.at.timeIntervalSinceNow >= logEvery }) ?? true {
                logger.info(
                    "Waiting for migrations",
                    metadata: ["attempt": .stringConvertible(attempt), "reason": "\(lastReason)"])
                lastLogged = (lastReason, Date())
            }
            try cancellation.sleep(seconds: interval)
        }
    }

    /// Why the schema is not ready yet, or `nil` when it is: a failed migration, migrations not applied yet (or a
    /// version below `until`), then what `migrate`'s validation would refuse (checksum, description or type
    /// mismatches, applied migrations whose files are gone...) unless `validateOnMigrate` is off.
    func notReady(_ service: MigrationInfoService, until: MigrationVersion?) -> String? {
        if let failed = service.failed.first {
            return "migration \(failed.versionText ?? failed.description) failed"
        }
        if let until {
            guard let current = service.currentVersion, current >= until else {
                return "schema version \(service.current?.versionText ?? "<< Empty Schema >>") is below \(until)"
            }
        } else {
            let unapplied = service.all.filter { $0.state == .pending || $0.state == .ignored }
            guard unapplied.isEmpty else {
                let names = unapplied.prefix(5).map { $0.versionText ?? $0.description }.joined(separator: ", ")
                return "\(unapplied.count) migration(s) not applied yet (\(names))"
            }
        }
        guard configuration.validateOnMigrate else { return nil }
        let problems = service.validate(ignoring: configuration.ignoreMigrationPatterns + [.anyPending])
        guard let first = problems.first else { return nil }
        let more = problems.count > 1 ? " (and \(problems.count - 1) more problem(s))" : ""
        return "migrate would fail validation: " + first.message.replacingEvery("\n", with: " ") + more
    }
}
