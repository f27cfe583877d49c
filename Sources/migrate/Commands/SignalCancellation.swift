import Dispatch
#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif
import Runway

/// Turns SIGINT and SIGTERM into task cancellation: Runway stops a connection attempt in progress, or cancels the
/// running statement through libpq, rolls the migration back and releases the lock; the process exits 130 (SIGINT)
/// or 143 (SIGTERM).
enum SignalCancellation {
    /// Runs `operation`; when a signal cancelled it, `report`s the error and exits with 128 + the signal.
    static func run<T: Sendable>(
        report: @escaping @Sendable (RunwayError) -> Void,
        _ operation: @escaping @Sendable () async throws(RunwayError) -> T
    ) async throws(RunwayError) -> T {
        let task = Task { () async -> Result<T, RunwayError> in
            do throws(RunwayError) { return .success(try await operation()) } catch { return .failure(error) }
        }
        let received = SignalBox()
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                received.set(signalNumber)
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        defer { sources.forEach { $0.cancel() } }
        switch await task.value {
        case .success(let value):
            return value
        case .failure(let error):
            if let signalNumber = received.value {
                report(error)
                exit(128 + signalNumber)
            }
            throw error
        }
    }
}

/// The signal that arrived, if any.
private final class SignalBox: @unchecked Sendable {
    private let lock = Lock()
    private var stored: Int32?
    var value: Int32? { lock.withLock { stored } }
    func set(_ value: Int32) { lock.withLock { stored = value } }
}
