import Foundation

/// Polls `condition` every 100 ms without blocking a thread; fails after `seconds`.
func eventually(_ seconds: Double = 30, _ condition: () throws -> Bool) async throws {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while Date() < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    // A starved test task may only get to run again after the deadline: look once more before failing.
    if try condition() { return }
    throw TestFailure("condition not met within \(seconds) s")
}
