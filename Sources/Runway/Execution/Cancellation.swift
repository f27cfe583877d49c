import Foundation

/// Cancels a running Runway operation from another thread: wakes sleeps and sends a libpq cancel request to every
/// connection in use, so the running statement fails, its transaction rolls back and the lock is released.
final class Cancellation: @unchecked Sendable {
    private let condition = NSCondition()
    private var cancelled = false
    private var connections: [ObjectIdentifier: Connection] = [:]

    /// Whether `cancel()` was called.
    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Cancels: idempotent and thread-safe.
    func cancel() {
        condition.lock()
        cancelled = true
        let active = Array(connections.values)
        condition.broadcast()
        condition.unlock()
        for connection in active { connection.cancel() }
    }

    /// Throws `.cancelled` once `cancel()` was called.
    func check() throws(RunwayError) {
        if isCancelled { throw RunwayError(.cancelled, "Cancelled: the operation was stopped before it completed") }
    }

    /// Sleeps, waking early (and throwing) on cancellation.
    func sleep(seconds: Double) throws(RunwayError) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        while !cancelled, condition.wait(until: deadline) {}
        condition.unlock()
        try check()
    }

    /// Registers a connection whose statements `cancel()` must interrupt.
    func track(_ connection: Connection) {
        condition.lock()
        connections[ObjectIdentifier(connection)] = connection
        let alreadyCancelled = cancelled
        condition.unlock()
        if alreadyCancelled { connection.cancel() }
    }

    /// Stops tracking a connection before it is closed.
    func untrack(_ connection: Connection) {
        condition.lock()
        connections[ObjectIdentifier(connection)] = nil
        condition.unlock()
    }
}
