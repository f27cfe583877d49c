import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

/// Opening a connection to servers that never answer: cancellation stops the attempt at once, and `connect_timeout`
/// gives up on each host in turn as libpq's blocking connect does.
@Suite("Connection: attempts against servers that do not answer", .timeLimit(.minutes(2)))
struct ConnectionAttemptTests {
    @Test(
        "cancelling migrate()'s task while connecting to a server that never answers (connectTimeout 0): .cancelled",
        arguments: [SilentServer.Kind.silent, .unanswered])
    func cancelWhileConnecting(kind: SilentServer.Kind) async throws {
        let server = try SilentServer(kind)
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        var configuration = Configuration()
        configuration.connection.host = "127.0.0.1"
        configuration.connection.port = server.port
        configuration.connection.database = "app"
        configuration.connection.user = "app"
        configuration.connection.password = "never-used"
        configuration.connection.connectTimeout = 0
        configuration.locations = [folder.path]
        let migrator = Migrator(configuration: configuration, logger: Logger(label: "runway-test"))
        let run = Task { try await migrator.migrate() }
        try await eventually { server.hasClient }
        run.cancel()
        // Not a speed target: libpq's blocking connect never returned, so the task never ended.
        let ended = try #require(await result(of: run, within: 10), "still connecting 10 s after the cancellation")
        guard case .failure(let error as RunwayError) = ended else {
            Issue.record("expected a RunwayError, got \(ended)")
            return
        }
        #expect(error.code == .cancelled, "\(error)")
        // The half-open connection was closed, not left behind.
        try await eventually(10) { server.clientsClosed }
    }

    @Test(
        "connect_timeout gives up on a silent host and on an unanswered handshake, then connects to the next host",
        arguments: [false, true])
    func timeoutMovesOn(hostsInURL: Bool) async throws {
        let silent = try SilentServer(.silent)
        let unanswered = try SilentServer(.unanswered)
        let real = try #require(Int(try TestServer.endpoint().port))
        for ports in [[silent.port, unanswered.port, real], [unanswered.port, silent.port, real]] {
            var settings = try TestCluster.settings(port: real)
            if hostsInURL {
                settings.host = nil
                settings.ports = []
                settings.url = "postgresql://" + ports.map { "127.0.0.1:\($0)" }.joined(separator: ",") + "/postgres"
            } else {
                settings.host = "127.0.0.1,127.0.0.1,127.0.0.1"
                settings.ports = ports
            }
            settings.connectTimeout = 2
            let parameters = settings.libpqParameters()
            let port = try await offPool {
                try Connection(parameters: parameters, logger: Logger(label: "runway-test"))
                    .execute("SELECT inet_server_port()").scalar
            }
            #expect(port == String(real), "ports \(ports)")
        }
    }

    @Test("when every host times out, the error names each one with libpq's 'timeout expired'")
    func everyHostTimesOut() async throws {
        let silent = try SilentServer(.silent)
        let unanswered = try SilentServer(.unanswered)
        var settings = try TestCluster.settings(port: silent.port)
        settings.host = "127.0.0.1,127.0.0.1"
        settings.ports = [unanswered.port, silent.port]
        settings.connectTimeout = 2
        let parameters = settings.libpqParameters()
        let error = await #expect(throws: RunwayError.self) {
            try await offPool { _ = try Connection(parameters: parameters, logger: Logger(label: "runway-test")) }
        }
        #expect(error?.code == .connection)
        let message = error?.message ?? ""
        #expect(message.contains("port \(unanswered.port) failed: timeout expired"), "\(message)")
        #expect(message.contains("port \(silent.port) failed: timeout expired"), "\(message)")
        #expect(!message.contains("reset"), "\(message)")
    }
}

/// `task`'s result, or `nil` when it has not ended `seconds` after the call (it is then left running).
func result<T: Sendable>(of task: Task<T, any Error>, within seconds: Double) async -> Result<T, any Error>? {
    await withCheckedContinuation { continuation in
        let once = ResumeOnce(continuation)
        Task { once.resume(await task.result) }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            once.resume(nil)
        }
    }
}

/// Resumes a continuation with whichever value comes first.
private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Never>?

    init(_ continuation: CheckedContinuation<T, Never>) { self.continuation = continuation }

    func resume(_ value: T) {
        let pending = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        pending?.resume(returning: value)
    }
}
