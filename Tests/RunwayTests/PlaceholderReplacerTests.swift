import Foundation
import Testing

@testable import Runway

@Suite("PlaceholderReplacer")
struct PlaceholderReplacerTests {
    struct ReplaceCase: Sendable, CustomTestStringConvertible {
        var text: String
        var values: [String: String]
        var prefix = "${"
        var suffix = "}"
        var expected: String
        var testDescription: String { "\(prefix)…\(suffix): \(text.debugDescription)" }
    }

    static let replaceCases: [ReplaceCase] = [
        .init(text: "${x}", values: ["x": "1"], expected: "1"),
        .init(
            text: "CREATE TABLE ${schema}.t (id int);", values: ["schema": "app"],
            expected: "CREATE TABLE app.t (id int);"),
        // The look-ahead emits a failed partial prefix without examining it again.
        .init(text: "$${x}", values: ["x": "1"], expected: "$${x}"),
        .init(text: "$$${x}", values: ["x": "1"], expected: "$$1"),
        .init(text: "$ {x} {x} $x", values: ["x": "1"], expected: "$ {x} {x} $x"),
        // Case-insensitive names, several placeholders on a line.
        .init(text: "a${x}b${X}c", values: ["X": "v"], expected: "avbvc"),
        .init(text: "${Schema}.t", values: ["SCHEMA": "s"], expected: "s.t"),
        .init(text: "${a}${b} ${a}", values: ["a": "1", "b": "2"], expected: "12 1"),
        // The name is everything up to the first suffix, line breaks and spaces included.
        .init(text: "${a\nb}", values: ["a\nb": "v"], expected: "v"),
        .init(text: "${ x }", values: [" x ": "v"], expected: "v"),
        .init(text: "${x}}", values: ["x": "1"], expected: "1}"),
        // Values are inserted literally and never scanned again.
        .init(text: "${a}", values: ["a": "${b}"], expected: "${b}"),
        .init(text: "${d}{x}", values: ["d": "$", "x": "no"], expected: "${x}"),
        // An empty value removes the placeholder.
        .init(text: "x${e}y", values: ["e": ""], expected: "xy"),
        // Comments and string literals are not special.
        .init(
            text: "-- ${a}\nSELECT '${a}', $$${a}$$; /* ${a} */", values: ["a": "v"],
            expected: "-- v\nSELECT 'v', $$v$$; /* v */"),
        .init(text: "é${x}ü 😀${x}", values: ["x": "1"], expected: "é1ü 😀1"),
        .init(text: "${flyway:user}", values: ["flyway:user": "bob"], expected: "bob"),
        // No suffix before the end: left unchanged (Flyway chops characters here).
        .init(text: "SELECT ${abc", values: ["abc": "v", "a": "w"], expected: "SELECT ${abc"),
        .init(text: "SELECT ${", values: [:], expected: "SELECT ${"),
        .init(text: "${x} then ${y", values: ["x": "1"], expected: "1 then ${y"),
        .init(text: "abc$", values: [:], expected: "abc$"),
        .init(text: "no placeholders here", values: [:], expected: "no placeholders here"),
        .init(text: "", values: [:], expected: ""),
        // Custom prefix and suffix.
        .init(text: "a @@x@@ b", values: ["x": "1"], prefix: "@@", suffix: "@@", expected: "a 1 b"),
        .init(text: "#[x] #[X] ${x}", values: ["x": "1"], prefix: "#[", suffix: "]", expected: "1 1 ${x}"),
        .init(text: "%%%x%%%", values: ["%x": "1"], prefix: "%%", suffix: "%%", expected: "1%"),
        .init(text: "«x» x»", values: ["x": "1"], prefix: "«", suffix: "»", expected: "1 x»"),
        .init(text: "{{x}}", values: ["x": "1"], prefix: "{{", suffix: "}}", expected: "1"),
        .init(text: "${x}", values: ["x": "1"], prefix: "", suffix: "}", expected: "${x}"),
    ]

    @Test("replaces like Flyway's PlaceholderReplacingReader", arguments: replaceCases)
    func replaces(_ testCase: ReplaceCase) throws {
        let replacer = PlaceholderReplacer(values: testCase.values, prefix: testCase.prefix, suffix: testCase.suffix)
        #expect(try replacer.replace(testCase.text, file: "V1__init.sql") == testCase.expected)
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var text: String
        var values: [String: String]
        var message: String
        var line: Int
        var testDescription: String { text.debugDescription }
    }

    static let errorCases: [ErrorCase] = [
        .init(
            text: "SELECT ${ x };", values: ["x": "1"],
            message: "No value provided for placeholder: ${ x }.  Check your configuration!", line: 1),
        .init(
            text: "-- a\nSELECT ${Missing};", values: [:],
            message: "No value provided for placeholder: ${Missing}.  Check your configuration!", line: 2),
        .init(
            text: "${${x}}", values: ["x": "1"],
            message: "No value provided for placeholder: ${${x}.  Check your configuration!", line: 1),
        .init(
            text: "\n\n${flyway:nope}", values: [:],
            message: "Failed to populate value for default placeholder: ${flyway:nope}", line: 3),
        .init(
            text: "${FLYWAY:nope}", values: [:],
            message: "No value provided for placeholder: ${FLYWAY:nope}.  Check your configuration!", line: 1),
    ]

    @Test("fails for a placeholder without a value", arguments: errorCases)
    func failsForUndefinedPlaceholders(_ testCase: ErrorCase) {
        let replacer = PlaceholderReplacer(values: testCase.values)
        let error = #expect(throws: RunwayError.self) { try replacer.replace(testCase.text, file: "V1__init.sql") }
        #expect(error?.code == .invalidMigration)
        #expect(error?.message == testCase.message)
        #expect(error?.file == "V1__init.sql")
        #expect(error?.line == testCase.line)
    }

    @Test func addsAValueForOneFile() throws {
        let replacer = PlaceholderReplacer(values: ["a": "1"]).withValue("V2__x.sql", for: "flyway:filename")
        #expect(try replacer.replace("${a} ${FLYWAY:FILENAME}", file: nil) == "1 V2__x.sql")
    }

    @Test func placeholderSeparatorNamesTheBuiltIns() throws {
        var configuration = Configuration()
        configuration.placeholderSeparator = "_"
        configuration.placeholders = ["app": "shop"]
        let values = configuration.placeholderValues(defaultSchema: "s", user: "u", database: "d")
        let replacer = PlaceholderReplacer(values: values, separator: configuration.placeholderSeparator)
            .forFile("sub/V1__x.sql")
        #expect(
            try replacer.replace("${flyway_user} ${flyway_defaultSchema} ${FLYWAY_FILENAME} ${app}", file: nil)
                == "u s V1__x.sql shop")
        // `flyway:` names are no built-ins any more; Flyway still words their error as a default placeholder's.
        let error = #expect(throws: RunwayError.self) { try replacer.replace("${flyway:user}", file: "V1__x.sql") }
        #expect(error?.message == "Failed to populate value for default placeholder: ${flyway:user}")
        #expect(PlaceholderReplacer.builtInName("user") == "flyway:user")
    }

    @Test func namesDifferingOnlyInCaseResolveDeterministically() throws {
        let replacer = PlaceholderReplacer(values: ["A": "upper", "a": "lower"])
        #expect(try replacer.replace("${a}", file: nil) == "lower")
    }

    @Test func replacesManyPlaceholdersInALargeText() throws {
        let replacer = PlaceholderReplacer(values: ["t": "items"])
        let text = String(repeating: "INSERT INTO ${t} VALUES ($$x$$);\n", count: 20_000)
        let replaced = try replacer.replace(text, file: nil)
        #expect(replaced == String(repeating: "INSERT INTO items VALUES ($$x$$);\n", count: 20_000))
    }
}
