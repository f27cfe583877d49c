import Foundation
import Testing

@testable import Runway

/// A table the test holds locked, so that a migration statement reading it waits exactly until the test lets
/// it go: the faults land at a known statement, however loaded the machine is.
package final class Gate {
    package let holder: Connection
    package init(_ db: TestDatabase) throws {
        let admin = try db.connect()
        try admin.execute("CREATE SCHEMA gate; CREATE TABLE gate.gate (x int)")
        holder = try db.connect()
        try holder.execute("BEGIN; LOCK TABLE gate.gate IN ACCESS EXCLUSIVE MODE")
    }

    /// Waits until a backend of the database waits for the gate; returns its pid.
    package func waiter(_ db: TestDatabase) async throws -> String {
        let probe = try db.connect()
        var pid: String?
        try await eventually {
            pid = try probe.execute(
                """
                SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
                WHERE a.datname = current_database() AND l.relation = 'gate.gate'::regclass
                """
            ).scalar
            return pid != nil
        }
        return pid ?? ""
    }

    package func open() throws { try holder.execute("COMMIT") }
}
