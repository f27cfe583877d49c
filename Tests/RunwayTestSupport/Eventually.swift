import Foundation

/// Polls `condition` every 100 ms without blocking a thread; fails after `seconds`, saying `what` was awaited. The
/// default is generous on purpose: under AddressSanitizer, with the whole suite running in parallel on two cores, a
/// test task can wait tens of seconds for a thread; the wait ends as soon as the condition holds.
package func eventually(
    _ seconds: Double = 120, _ what: String = "condition", _ condition: () throws -> Bool
) async throws {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while Date() < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    // A starved test task may only get to run again after the deadline: look once more before failing.
    if try condition() { return }
    throw TestFailure("\(what): not the case within \(seconds) s")
}
