import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// SIGTERM and SIGINT while `migrate` is still connecting, through the binary.
@Suite("the migrate CLI: signals while connecting", .timeLimit(.minutes(2)))
struct ConnectingCLITests {
    @Test(
        "SIGTERM / SIGINT while connecting to a server that never answers (connectTimeout 0) exit 143 / 130 at once",
        arguments: [(SIGTERM, 143), (SIGINT, 130)] as [(Int32, Int32)])
    func signalWhileConnecting(signal: Int32, status: Int32) async throws {
        let server = try SilentServer()
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let running = try startMigrate(
            ["migrate", "--locations", folder.path, "-jdbcProperties.connectTimeout=0"],
            environment: [
                "DB_HOST": "127.0.0.1", "DB_PORT": String(server.port), "DB_NAME": "app", "DB_USERNAME": "app",
                "DB_PASSWORD": "never-used",
            ])
        try await eventually { server.hasClient }
        kill(running.processIdentifier, signal)
        // Not a speed target: libpq's blocking connect never returned, so the process never ended.
        let (output, hung) = try await running.finish(killingAfter: 10)
        #expect(!hung, "still connecting 10 s after the signal")
        #expect(output.status == status, "\(output.stderr)")
        // Through Runway's cancellation, not the signal's default action.
        #expect(output.stderr.contains("Cancelled"), "\(output.stderr)")
    }
}

extension RunningMigrate {
    /// ``finish()``, killing the process (SIGKILL) if it is still running `seconds` from now; `hung` says so.
    func finish(killingAfter seconds: Double) async throws -> (output: RunOutput, hung: Bool) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        var hung = false
        // Polled without reaping (see hasExited), so the pid cannot be reused before the kill.
        while !hasExited(processIdentifier) {
            if Date() > deadline {
                hung = true
                kill(processIdentifier, SIGKILL)
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (await finish(), hung)
    }
}
