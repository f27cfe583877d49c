import Foundation
import Testing

@testable import Runway

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
