import Foundation
import Testing

@testable import Runway

@Suite("RunwayError.Code: an extensible set of codes")
struct RunwayErrorCodeTests {
    static let codes: [(RunwayError.Code, String, String)] = [
        (.configuration, "CONFIGURATION", "configuration"),
        (.invalidMigration, "INVALID_MIGRATION", "invalidMigration"), (.connection, "CONNECTION", "connection"),
        (.authentication, "AUTHENTICATION", "authentication"),
        (.lockTimeout, "LOCK_TIMEOUT", "lockTimeout"), (.validation, "VALIDATE_ERROR", "validation"),
        (.migrationFailed, "MIGRATION_FAILED", "migrationFailed"), (.database, "DATABASE", "database"),
        (.cancelled, "CANCELLED", "cancelled"), (.timeout, "TIMEOUT", "timeout"),
    ]

    @Test("each code keeps the name JSON output carries, and prints its Swift name", arguments: codes)
    func names(code: RunwayError.Code, rawValue: String, name: String) throws {
        #expect(code.rawValue == rawValue)
        #expect(RunwayError.Code(rawValue: rawValue) == code)
        #expect("\(code)" == name)
        let data = try JSONEncoder().encode([code])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(rawValue)\"]")
        #expect(try JSONDecoder().decode([RunwayError.Code].self, from: data) == [code])
    }

    @Test("the codes are distinct; a name Runway does not have is no code")
    func distinct() {
        #expect(Set(Self.codes.map(\.0)).count == Self.codes.count)
        #expect(RunwayError.Code(rawValue: "configuration") == nil)
        #expect(RunwayError.Code(rawValue: "SOMETHING_NEW") == nil)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([RunwayError.Code].self, from: Data("[\"X\"]".utf8))
        }
    }

    @Test("a switch over codes matches the constants (and needs a default, so new codes break no caller)")
    func switches() {
        func exit(_ code: RunwayError.Code) -> Int {
            switch code {
            case .configuration: 2
            case .connection: 3
            case .authentication: 6
            default: 1
            }
        }
        #expect(Self.codes.map { exit($0.0) } == [2, 1, 3, 6, 1, 1, 1, 1, 1, 1])
    }
}
