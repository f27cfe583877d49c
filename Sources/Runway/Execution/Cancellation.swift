#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Cancels a running Runway operation from another thread: wakes sleeps, stops connection attempts and sends a libpq
/// cancel request to every connection in use, so the running statement fails, its transaction rolls back and the lock
/// is released.
final class Cancellation: @unchecked Sendable {
    /// What connection attempts made for this operation wait on (the PostgreSQL layer knows no `Cancellation`).
    let connectionInterrupt = ConnectionInterrupt()
    private let condition = Condition()
    private var cancelled = false
    private var connections: [ObjectIdentifier: Connection] = [:]

    /// Whether `cancel()` was called.
    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    private var children: [Cancellation] = []

    /// Cancels: idempotent and thread-safe. Children are cancelled too.
    func cancel() {
        condition.lock()
        cancelled = true
        let active = Array(connections.values)
        let children = self.children
        condition.broadcast()
        condition.unlock()
        connectionInterrupt.interrupt()
        for connection in active { connection.cancel() }
        for child in children { child.cancel() }
    }

    /// A cancellation that is cancelled with this one, and can also be cancelled on its own (work started
    /// speculatively that has to stop when something else fails).
    func child() -> Cancellation {
        let child = Cancellation()
        condition.lock()
        children.append(child)
        let alreadyCancelled = cancelled
        condition.unlock()
        if alreadyCancelled { child.cancel() }
        return child
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

extension Cancellation: WaitInterruption {}
