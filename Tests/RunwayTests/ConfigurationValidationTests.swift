import Foundation
import Testing

@testable import Runway

/// Settings that cannot be right are refused before anything connects, with an error naming the field.
@Suite("Configuration checks before connecting")
struct ConfigurationValidationTests {
    /// A configuration whose server does not exist: a check that passes would end in a connection error instead.
    static func unreachable(_ adjust: (inout Configuration) -> Void) -> Configuration {
        var configuration = Configuration()
        configuration.connection.host = "127.0.0.1"
        configuration.connection.port = 1
        configuration.locations = [FileManager.default.temporaryDirectory.path]
        adjust(&configuration)
        return configuration
    }

    static let invalid: [(String, @Sendable (inout Configuration) -> Void)] = [
        ("connectRetries", { $0.connectRetries = -1 }),
        ("connectRetriesInterval", { $0.connectRetriesInterval = -5 }),
        ("lockRetryCount", { $0.lockRetryCount = -2 }),
        ("lockWaitTimeout", { $0.lockWaitTimeout = -1 }),
        ("lockWaitTimeout", { $0.lockWaitTimeout = .nan }),
        ("connection.connectTimeout", { $0.connection.connectTimeout = -3 }),
        ("ddlSafety.lockTimeoutMilliseconds", { $0.ddlSafety.lockTimeoutMilliseconds = -1 }),
        ("ddlSafety.statementTimeoutMilliseconds", { $0.ddlSafety.statementTimeoutMilliseconds = -1 }),
        ("ddlSafety.lockTimeoutRetries", { $0.ddlSafety.lockTimeoutRetries = -1 }),
    ]

    @Test("negative retry counts and timeouts are configuration errors naming the field", arguments: 0..<invalid.count)
    func refused(_ index: Int) async throws {
        let (field, adjust) = Self.invalid[index]
        let migrator = Migrator(configuration: Self.unreachable(adjust))
        let error = await #expect(throws: RunwayError.self) { try await migrator.migrate() }
        #expect(error?.code == .configuration, "\(String(describing: error))")
        #expect(error?.message.contains(field) == true, "\(String(describing: error))")
        #expect(throws: RunwayError.self) { try Self.unreachable(adjust).validate() }
    }

    @Test("Flyway's -1 (retry forever) is accepted for lockRetryCount; zero everywhere is accepted")
    func accepted() throws {
        try Self.unreachable { $0.lockRetryCount = -1 }.validate()
        try Self.unreachable {
            $0.connectRetries = 0
            $0.connectRetriesInterval = 0
            $0.lockRetryCount = 0
            $0.lockWaitTimeout = 0
            $0.connection.connectTimeout = 0
        }.validate()
    }

    @Test("waitUntilMigrated refuses a negative timeout and a zero interval before connecting")
    func waitArguments() async throws {
        let migrator = Migrator(configuration: Self.unreachable { _ in })
        for (timeout, interval) in [(-1.0, 2.0), (10, 0)] {
            let error = await #expect(throws: RunwayError.self) {
                try await migrator.waitUntilMigrated(timeout: timeout, interval: interval)
            }
            #expect(error?.code == .configuration, "\(String(describing: error))")
        }
    }
}
