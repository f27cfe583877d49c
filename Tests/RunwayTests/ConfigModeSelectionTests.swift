import Foundation
import Testing

@testable import Runway

@Suite("ConfigFiles.select (mode selection, §12.1)")
struct ConfigModeSelectionTests {
    let home = "/home/u"
    let current = "/work/p"

    private func select(
        _ explicit: [String], existing: Set<String>, workingDirectory: String? = nil
    ) throws(RunwayError) -> ConfigFileSelection {
        try ConfigFiles.select(
            explicit: explicit.map { ($0, SettingSource.argument("configFiles")) }, home: home,
            currentDirectory: current, workingDirectory: workingDirectory, fileExists: { existing.contains($0) })
    }

    @Test("TOML and CONF files listed together are an error naming both")
    func mixed() {
        let existing: Set = ["/c/a.toml", "/c/b.conf"]
        #expect {
            _ = try select(["/c/a.toml", "/c/b.conf"], existing: existing)
        } throws: { error in
            let message = (error as? RunwayError)?.message ?? ""
            return message.contains("Using both TOML configuration and CONF configuration is not supported")
                && message.contains("/c/a.toml") && message.contains("/c/b.conf")
        }
    }

    @Test("a listed file that does not exist is an error")
    func missing() {
        #expect {
            _ = try select(["/c/none.conf"], existing: [])
        } throws: { error in
            (error as? RunwayError)?.message.hasPrefix("Unable to load config file: /c/none.conf") == true
        }
    }

    @Test("a listed .conf file selects legacy mode even when a default flyway.toml exists")
    func explicitConf() throws {
        let selection = try select(
            ["/c/x.conf"], existing: ["/c/x.conf", "/work/p/flyway.toml", "/home/u/flyway.conf"])
        #expect(selection == ConfigFileSelection(format: .conf, files: ["/home/u/flyway.conf", "/c/x.conf"]))
    }

    @Test("a listed .toml file selects TOML mode after the default TOML files")
    func explicitTOML() throws {
        let selection = try select(["/c/x.toml"], existing: ["/c/x.toml", "/work/p/flyway.user.toml"])
        #expect(selection == ConfigFileSelection(format: .toml, files: ["/work/p/flyway.user.toml", "/c/x.toml"]))
    }

    @Test("without a list a default TOML file wins over flyway.conf; home, then ., then workingDirectory")
    func defaults() throws {
        let existing: Set = [
            "/home/u/flyway.toml", "/work/p/flyway.conf", "/work/p/flyway.toml", "/w/flyway.user.toml",
        ]
        let selection = try select([], existing: existing, workingDirectory: "/w")
        #expect(
            selection
                == ConfigFileSelection(
                    format: .toml, files: ["/home/u/flyway.toml", "/work/p/flyway.toml", "/w/flyway.user.toml"]))
        let legacy = try select([], existing: ["/work/p/flyway.conf", "/w/flyway.conf"], workingDirectory: "/w")
        #expect(legacy == ConfigFileSelection(format: .conf, files: ["/work/p/flyway.conf", "/w/flyway.conf"]))
        #expect(try select([], existing: []) == ConfigFileSelection(format: .toml, files: []))
    }
}
