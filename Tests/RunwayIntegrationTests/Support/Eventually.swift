import Foundation

/// Polls `condition` every 100 ms without blocking a thread; fails after `seconds`.
func eventually(_ seconds: Double = 30, _ condition: () throws -> Bool) async throws {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while Date() < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw TestFailure("condition not met within \(seconds) s")
}
