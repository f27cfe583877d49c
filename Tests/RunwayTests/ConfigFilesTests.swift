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

private func values(_ settings: [RawSetting]) -> [String: String] {
    Dictionary(settings.map { ($0.key, $0.value.text) }, uniquingKeysWith: { _, last in last })
}

@Suite("ConfigFiles.parseConf (legacy flyway.conf, §12.1)")
struct ConfParserTests {
    @Test("key=value, key: value and key value; # and ! comments; only flyway.* keys")
    func syntax() {
        let text = """
            # a comment
            ! another comment
            flyway.url=jdbc:postgresql://db:5432/app
              flyway.user: app
            flyway.schemas   a,b
            flyway.table = history
            spring.datasource.url=ignored
            flyway.placeholders.path=C:\\new\\table
            """
        let settings = ConfigFiles.parseConf(text, path: "/x/flyway.conf", environment: [:])
        #expect(
            values(settings) == [
                "url": "jdbc:postgresql://db:5432/app", "user": "app", "schemas": "a,b", "table": "history",
                "placeholders.path": "C:\\new\\table",
            ])
        #expect(settings.first { $0.key == "table" }?.source == .file("/x/flyway.conf", line: 6))
    }

    @Test("a trailing backslash continues the value on the next line, whose indentation is dropped")
    func continuation() {
        let text = """
            flyway.locations=filesystem:sql/one,\\
                filesystem:sql/two,\\
                filesystem:sql/three
            flyway.table=t
            """
        let settings = values(ConfigFiles.parseConf(text, path: "f", environment: [:]))
        #expect(settings["locations"] == "filesystem:sql/one,filesystem:sql/two,filesystem:sql/three")
        #expect(settings["table"] == "t")
    }

    @Test(
        "a trailing backslash stays when the next line is empty, a flyway. property, or missing",
        arguments: [
            ("flyway.placeholders.dir=C:\\dir\\\nflyway.table=t", "C:\\dir\\"),
            ("flyway.placeholders.dir=C:\\dir\\\n\nflyway.table=t", "C:\\dir\\"),
            ("flyway.table=t\nflyway.placeholders.dir=C:\\dir\\", "C:\\dir\\"),
        ])
    func literalTrailingBackslash(text: String, expected: String) {
        let settings = values(ConfigFiles.parseConf(text, path: "f", environment: [:]))
        #expect(settings["placeholders.dir"] == expected)
        #expect(settings["table"] == "t")
    }

    @Test("a comment ending in a backslash does not swallow the next line")
    func commentDoesNotContinue() {
        let settings = values(ConfigFiles.parseConf("# note \\\nflyway.table=t\n", path: "f", environment: [:]))
        #expect(settings == ["table": "t"])
    }

    @Test("CRLF line endings")
    func crlf() {
        let settings = values(
            ConfigFiles.parseConf("flyway.table=t\r\nflyway.schemas=a,\\\r\n b\r\n", path: "f", environment: [:]))
        #expect(settings == ["table": "t", "schemas": "a,b"])
    }

    @Test("${NAME} is replaced from the environment, an unset variable by nothing")
    func environmentExpansion() {
        let text = """
            flyway.url=jdbc:postgresql://${DB_HOST_X}:5432/${DB_NAME_X}
            flyway.password=${UNSET_VARIABLE}
            flyway.placeholders.literal=${not a variable} and $${HOME_X}
            """
        let settings = values(
            ConfigFiles.parseConf(
                text, path: "f", environment: ["DB_HOST_X": "pg-0", "DB_NAME_X": "orders", "HOME_X": "/h"]))
        #expect(settings["url"] == "jdbc:postgresql://pg-0:5432/orders")
        #expect(settings["password"] == "")
        #expect(settings["placeholders.literal"] == "${not a variable} and $/h")
    }

    @Test("a repeated key keeps the last value")
    func lastWins() {
        let settings = ConfigFiles.parseConf("flyway.table=a\nflyway.table=b\n", path: "f", environment: [:])
        #expect(values(settings)["table"] == "b")
    }
}

@Suite("ConfigFiles.parseTOML (flyway.toml, §12.1)")
struct TOMLParserTests {
    @Test("[flyway], placeholders, postgresql, environments with jdbcProperties and flyway overrides")
    func structure() throws {
        let text = """
            databaseType = "PostgreSql"
            name = "orders"

            [flyway]
            environment = "prod"
            locations = ["filesystem:sql", "filesystem:more"]
            validateOnMigrate = false
            connectRetries = 3

            [flyway.placeholders]
            app_role = "orders_app"

            [flyway.postgresql]
            transactional.lock = false

            [flyway.check]
            majorTolerance = 0

            [environments.prod]
            url = "jdbc:postgresql://pg:5432/orders"
            user = "admin"
            schemas = ["app", "audit"]
            driver = "org.postgresql.Driver"

            [environments.prod.jdbcProperties]
            sslmode = "require"

            [environments.prod.flyway]
            locations = ["filesystem:prod"]

            [flywayDesktop]
            developmentEnvironment = "development"
            """
        let file = try ConfigFiles.parseTOML(text, path: "/p/flyway.toml")
        #expect(
            values(file.flyway) == [
                "environment": "prod", "locations": "filesystem:sql,filesystem:more", "validateOnMigrate": "false",
                "connectRetries": "3", "placeholders.app_role": "orders_app", "postgresql.transactional.lock": "false",
                "check.majorTolerance": "0",
            ])
        #expect(file.flyway.first { $0.key == "locations" }?.value == .list(["filesystem:sql", "filesystem:more"]))
        let prod = try #require(file.environments["prod"])
        #expect(
            values(prod.fields) == [
                "url": "jdbc:postgresql://pg:5432/orders", "user": "admin", "schemas": "app,audit",
                "jdbcProperties.sslmode": "require",
            ])
        #expect(values(prod.flyway) == ["locations": "filesystem:prod"])
        #expect(file.ignoredRootKeys == ["databaseType", "flywayDesktop", "name"])
    }

    @Test("a syntax error names the file, line and column")
    func syntaxError() {
        #expect {
            _ = try ConfigFiles.parseTOML("[flyway]\nlocations = [\"a\"\n", path: "/p/flyway.toml")
        } throws: { error in
            let message = (error as? RunwayError)?.message ?? ""
            return message.contains("/p/flyway.toml") && message.contains("[line ") && message.contains("column")
        }
    }

    @Test("an unknown environment field is an error naming it")
    func unknownEnvironmentField() {
        #expect {
            _ = try ConfigFiles.parseTOML("[environments.dev]\nusername = \"bob\"\n", path: "/p/flyway.toml")
        } throws: { error in
            (error as? RunwayError)?.message.contains("environments.dev.username") == true
        }
    }
}

@Suite("ConfigFiles.resolveProperties (TOML ${env.NAME})")
struct PropertyResolverTests {
    let environment = ["PG_PASS": "s3cret!", "PORT_X": "54a32"]

    @Test(
        "resolves",
        arguments: [
            ("${env.PG_PASS}", "s3cret!"),
            ("pre-${env.PG_PASS}-post", "pre-s3cret!-post"),
            ("${env.PORT_X:D}", "5432"),
            ("$${env.PG_PASS}", "${env.PG_PASS}"),
            ("!{${env.PG_PASS}}", "${env.PG_PASS}"),
            ("${flyway:user}", "${flyway:user}"),
            ("plain", "plain"),
        ])
    func resolves(input: String, expected: String) throws {
        let source = SettingSource.file("/p/flyway.toml", line: nil)
        #expect(
            try ConfigFiles.resolveProperties(input, key: "password", source: source, environment: environment)
                == expected)
    }

    @Test("in a password, an unresolvable reference is an error that does not repeat any part of the value")
    func secretErrors() {
        let source = SettingSource.file("/p/flyway.toml", line: nil)
        for value in ["pa${vault.Hunter2}ss", "pa${env.Hunter2}ss"] {
            #expect {
                _ = try ConfigFiles.resolveProperties(value, key: "password", source: source, environment: environment)
            } throws: { error in
                let message = (error as? RunwayError)?.message ?? ""
                return message.contains("password") && !message.contains("Hunter2") && !message.contains("vault")
            }
        }
    }

    @Test("an unset variable and other resolvers are errors naming the setting")
    func errors() {
        let source = SettingSource.file("/p/flyway.toml", line: nil)
        #expect {
            _ = try ConfigFiles.resolveProperties(
                "${env.MISSING_X}", key: "password", source: source, environment: environment)
        } throws: { error in
            let message = (error as? RunwayError)?.message ?? ""
            return message.contains("MISSING_X") && message.contains("password")
        }
        #expect {
            _ = try ConfigFiles.resolveProperties(
                "${vault.secret}", key: "url", source: source, environment: environment)
        } throws: { error in
            (error as? RunwayError)?.message.contains("'vault'") == true
        }
    }
}

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
