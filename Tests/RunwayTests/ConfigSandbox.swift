import Foundation
import Testing

@testable import Runway

/// A throwaway home and current directory for configuration tests, removed when the value goes away.
final class ConfigSandbox {
    let root: String
    let home: String
    let current: String

    init() throws {
        root =
            FileManager.default.temporaryDirectory.appendingPathComponent("runway-config-\(UUID().uuidString)")
            .standardizedFileURL.path
        home = root + "/home"
        current = root + "/project"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: current, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes `text` to `path` (relative paths are inside the current directory) and returns the absolute path.
    @discardableResult
    func write(_ path: String, _ text: String) throws -> String {
        let absolute = path.hasPrefix("/") ? path : current + "/" + path
        try FileManager.default.createDirectory(
            atPath: (absolute as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: absolute))
        return absolute
    }

    /// ``Configuration/load(_:logger:)`` with these directories.
    func load(_ arguments: [(String, String)] = [], environment: [String: String] = [:]) throws -> Configuration {
        try Configuration.load(
            ConfigurationSources(
                arguments: arguments, environment: environment, workingDirectory: current, homeDirectory: home))
    }

    /// The error ``load(_:environment:)`` throws, or `nil`.
    func loadError(_ arguments: [(String, String)] = [], environment: [String: String] = [:]) -> RunwayError? {
        do {
            _ = try Configuration.load(
                ConfigurationSources(
                    arguments: arguments, environment: environment, workingDirectory: current, homeDirectory: home))
            return nil
        } catch {
            return error
        }
    }
}

func values(_ settings: [RawSetting]) -> [String: String] {
    Dictionary(settings.map { ($0.key, $0.value.text) }, uniquingKeysWith: { _, last in last })
}
