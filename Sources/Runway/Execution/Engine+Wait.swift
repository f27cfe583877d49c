import Foundation
import Logging

extension Engine {
    /// Polls until the database is reachable and every migration in the locations is applied (or the schema
    /// reached `until`), or `timeout` seconds passed. Read-only: it never takes the lock or changes anything, so it
    /// may point at a replica.
    func waitUntilMigrated(timeout: Double, until: MigrationVersion?, interval: Double = 2) throws(RunwayError)
        -> WaitResult
    {
        let deadline = Date(timeIntervalSinceNow: timeout)
        let files = try scan()
        var attempt = 0
        var lastReason = "not checked yet"
        while true {
            try cancellation.check()
            attempt += 1
            do throws(RunwayError) {
                let session = try Session(
                    configuration: configuration, logger: logger, cancellation: cancellation, readWrite: false)
                let resolved = try resolve(files, session: session)
                let exists = try session.history.exists(on: session.work)
                let applied = exists ? try session.history.read(on: session.work) : []
                let service = try MigrationInfoService(
                    resolved: resolved, applied: applied, target: configuration.target,
                    outOfOrder: configuration.outOfOrder)
                let current = service.current?.versionText
                if let reason = Self.notReady(service, until: until) {
                    lastReason = reason
                } else {
                    logger.info("Schema is migrated", metadata: ["version": "\(current ?? "<< Empty Schema >>")"])
                    return WaitResult(schemaVersion: current, attempts: attempt)
                }
            } catch  where error.code == .connection {
                lastReason = error.message
            }
            guard Date().addingTimeInterval(interval) < deadline else {
                throw RunwayError(
                    .timeout,
                    "Timed out after \(Int(timeout)) s waiting for the database to be migrated: \(lastReason)")
            }
            logger.info("Waiting for migrations", metadata: ["attempt": "\(attempt)", "reason": "\(lastReason)"])
            try cancellation.sleep(seconds: interval)
        }
    }

    /// Why the schema is not ready yet, or `nil` when it is.
    static func notReady(_ service: MigrationInfoService, until: MigrationVersion?) -> String? {
        if let failed = service.failed.first {
            return "migration \(failed.versionText ?? failed.description) failed"
        }
        if let until {
            guard let current = service.currentVersion, current >= until else {
                return "schema version \(service.current?.versionText ?? "<< Empty Schema >>") is below \(until)"
            }
            return nil
        }
        let unapplied = service.all.filter { $0.state == .pending || $0.state == .ignored }
        guard unapplied.isEmpty else {
            let names = unapplied.prefix(5).map { $0.versionText ?? $0.description }.joined(separator: ", ")
            return "\(unapplied.count) migration(s) not applied yet (\(names))"
        }
        return nil
    }
}
