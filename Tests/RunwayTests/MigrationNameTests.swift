import Testing

@testable import Runway

@Suite("NamingConvention.parse (Flyway §1.2)")
struct MigrationNameTests {
    let naming = NamingConvention()

    @Test(
        "valid migration names",
        arguments: [
            ("V1__init.sql", MigrationKind.versioned, "1", "init"),
            ("V1.sql", .versioned, "1", ""),
            ("V1__.sql", .versioned, "1", ""),
            ("V4__upper.SQL", .versioned, "4", "upper"),
            ("V5__a__b.sql", .versioned, "5", "a  b"),
            ("V1_1__add_email_column.sql", .versioned, "1.1", "add email column"),
            ("V01_2__x.sql", .versioned, "01.2", "x"),
            ("V20240101120000__timestamped.sql", .versioned, "20240101120000", "timestamped"),
            ("R__customer_view.sql", .repeatable, "", "customer view"),
            ("R__.sql", .repeatable, "", ""),
            ("B2__base.sql", .baseline, "2", "base"),
        ] as [(String, MigrationKind, String, String)])
    func valid(filename: String, kind: MigrationKind, version: String, description: String) {
        guard case .migration(let parsedKind, let parsedVersion, let parsedDescription) = naming.parse(filename) else {
            Issue.record("\(filename) did not parse as a migration: \(naming.parse(filename))")
            return
        }
        #expect(parsedKind == kind)
        #expect((parsedVersion?.text ?? "") == version)
        #expect(parsedDescription == description)
    }

    @Test(
        "invalid names and Flyway's messages",
        arguments: [
            ("v3__lower.sql", "Unrecognised migration name format: v3__lower.sql"),
            (
                "V2_desc.sql",
                "Invalid versioned migration name format: V2_desc.sql (could not recognise version number 2_desc)"
            ),
            ("R1__x.sql", "Invalid repeatable migration / callback name format: R1__x.sql"),
            ("V__x.sql", "Invalid versioned migration name format: V__x.sql (It must contain a version"),
            ("U1__undo.sql", "Unrecognised migration name format: U1__undo.sql"),
            ("V1..2__x.sql", "could not recognise version number 1..2"),
        ])
    func invalid(filename: String, message: String) {
        guard case .invalid(let text) = naming.parse(filename) else {
            Issue.record("\(filename) should be invalid")
            return
        }
        #expect(text.hasPrefix(message) || text.contains(message), "\(text)")
    }

    @Test("callbacks are recognised, longest prefix first")
    func callbacks() {
        #expect(naming.parse("beforeMigrate.sql") == .callback(event: "beforeMigrate", description: ""))
        #expect(
            naming.parse("afterMigrateError__notify.sql")
                == .callback(event: "afterMigrateError", description: "notify"))
        #expect(naming.parse("afterMigrate.sql") == .callback(event: "afterMigrate", description: ""))
    }

    @Test(
        "files without a SQL suffix are not considered",
        arguments: ["README.md", "V1__a.sql.conf", "V1__a.txt", ".sql"])
    func notSQL(filename: String) {
        #expect(naming.parse(filename) == .notSQL)
    }
}

@Suite("MigrationVersion (Flyway §1.4)")
struct MigrationVersionTests {
    func v(_ text: String) throws -> MigrationVersion { try MigrationVersion(text) }

    @Test(
        "equal versions",
        arguments: [
            ("1", "1.0"), ("1", "01"), ("1", "1.00"), ("1.01", "1.1"), ("1_1", "1.1"), ("1.0.0", "1"),
            // Over 19 digits (beyond a UInt64): compared by their digits.
            ("00000000000000000000000001", "1"), ("123456789012345678901.2", "0123456789012345678901.2.0"),
        ])
    func equal(a: String, b: String) throws {
        #expect(try v(a) == v(b))
        #expect(try v(a).hashValue == v(b).hashValue)
    }

    @Test(
        "ordering",
        arguments: [
            ("1.9", "1.10"), ("1", "1.0.1"), ("2", "10"), ("9", "10"), ("1.2.3", "1.3"),
            ("20240101120000", "20240101120001"), ("99999999999999999999999", "100000000000000000000000"),
            ("9999999999999999999", "10000000000000000000"), ("18446744073709551615", "18446744073709551616"),
            ("12345678901234567890", "12345678901234567891"), ("1.99999999999999999999", "1.100000000000000000000"),
            ("12345678901234567890.1.99999999999999999999", "12345678901234567890.1.100000000000000000000"),
            ("12345678901234567890.1", "12345678901234567890.2"), ("12345678901234567890", "12345678901234567890.1"),
        ])
    func ordered(lower: String, higher: String) throws {
        #expect(try v(lower) < v(higher))
        #expect(try !(v(higher) < v(lower)))
    }

    @Test("the text keeps its form")
    func textKept() throws {
        #expect(try v("01_2").text == "01.2")
        #expect(try v("1.0").text == "1.0")
    }

    @Test("invalid versions", arguments: ["1.", "1..2", "1.2a", "a", "", "1.-2"])
    func invalid(text: String) {
        #expect(throws: RunwayError.self) { try MigrationVersion(text) }
    }
}
