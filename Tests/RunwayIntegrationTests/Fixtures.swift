import Foundation
import RunwayTestSupport

/// Test fixtures shipped as resources (database states written by Flyway 12.0.2).
enum Fixtures {
    static func url(_ relative: String) throws -> URL {
        guard let base = Bundle.module.resourceURL?.appendingPathComponent("Fixtures") else {
            throw TestFailure("Fixtures bundle missing")
        }
        return base.appendingPathComponent(relative)
    }

    static func lines(_ relative: String) throws -> [String] {
        try String(contentsOf: url(relative), encoding: .utf8).split(separator: "\n").map(String.init)
    }
}
