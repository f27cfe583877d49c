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
            ("U1__undo.sql", .undo, "1", "undo"),
            ("U1_1__drop_email.sql", .undo, "1.1", "drop email"),
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
            ("U__undo.sql", "Invalid versioned migration name format: U__undo.sql (It must contain a version"),
            ("V1..2__x.sql", "could not recognise version number 1..2"),
        ])
    func invalid(filename: String, message: String) {
        guard case .invalid(let text) = naming.parse(filename) else {
            Issue.record("\(filename) should be invalid")
            return
        }
        #expect(text.hasPrefix(message) || text.contains(message), "\(text)")
    }

    @Test("with an empty undoSqlMigrationPrefix, U files are unrecognised names, as in Flyway Community")
    func undoPrefixOff() {
        var community = NamingConvention()
        community.undoPrefix = ""
        #expect(community.parse("U1__undo.sql") == .invalid("Unrecognised migration name format: U1__undo.sql"))
        var custom = NamingConvention()
        custom.undoPrefix = "down"
        guard case .migration(.undo, let version?, "x") = custom.parse("down2__x.sql") else {
            Issue.record("down2__x.sql should be an undo migration with a custom prefix")
            return
        }
        #expect(version.text == "2")
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
