import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

// Hostile and broken input given to the built `migrate` binary: each case must fail with an error that names the
// culprit (file, setting, option or statement), exit non-zero, and leave the database as it was.
//
// Cases where Runway's behaviour is wrong today run inside `withKnownIssue`, with the finding as the reason: the test
// records the bug without failing, and fails ("known issue was not recorded") once the bug is fixed, so the marker
// gets removed.

// MARK: - Cases

/// What a case leaves in the database.
enum DatabaseExpectation: Sendable {
    /// Nothing at all: no table, no schema besides `public` (the run stopped before changing anything).
    case untouched
    /// At most an empty `public.flyway_schema_history` (the run created it, then failed before applying anything).
    case emptyHistory
}

/// A file-system entry a case creates in its project folder (paths relative to it; `{project}` in a symlink target
/// is replaced by the folder's path).
enum FixtureEntry: Sendable {
    case text(String, String)
    case bytes(String, [UInt8])
    case directory(String)
    case symlink(String, to: String)
    case fifo(String)
    /// A file its reader may not open: `chmod 000`, and the run loses root's permission bypass (see `Runner`).
    case unreadable(String, String)
}

/// How the binary is started.
enum Runner: Sendable {
    /// Directly.
    case plain
    /// As root, under `setpriv` without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so `chmod 000` applies to it
    /// (the suite runs as root in CI); directly otherwise.
    case withoutPermissionBypass
}

/// One hostile input and the outcome it must have.
struct HostileCase: Sendable, CustomTestStringConvertible {
    var name: String
    var entries: [FixtureEntry] = []
    /// Arguments; `{sql}` is the project's `sql` folder, `{project}` the project folder.
    var arguments: [String]
    /// Environment changes on top of the test database's `DB_*` variables; `nil` unsets a variable.
    var environment: [String: String?] = [:]
    /// The folder the binary runs in, relative to the project (created when missing); the project itself when `nil`.
    var directory: String?
    var expectedStatus: Int32
    /// Text the output (stderr and stdout) must contain: the culprit. `{sql}`/`{project}` are replaced.
    var mentions: [String]
    /// Text the output must never contain (passwords).
    var secrets: [String] = []
    var database: DatabaseExpectation = .untouched
    var runner: Runner = .plain
    var seconds: Double = 60
    /// The finding, when Runway's behaviour is wrong today.
    var knownIssue: String?

    var testDescription: String { name }
}

/// A migration that must never be applied by a failing case (its table would show in the database).
let marker = ("sql/V1__marker.sql", "CREATE TABLE marker (id int);\n")

/// Names one byte over PostgreSQL's 63-byte identifier limit: ASCII, and 32 two-byte letters (32 characters).
let longASCIIName = String(repeating: "h", count: 64)
let longAccentedName = String(repeating: "é", count: 32)

let hostileCases: [HostileCase] = [
    // MARK: File contents
    HostileCase(
        name: "invalid UTF-8 in a migration",
        entries: [
            .text(marker.0, marker.1),
            .bytes(
                "sql/V2__latin1.sql",
                Array("SELECT 'caf".utf8) + [0xE9, 0x27, 0x3B, 0x0A]),
        ], arguments: ["migrate", "--locations", "{sql}"],
        expectedStatus: 1, mentions: ["V2__latin1.sql", "not valid UTF-8"]),
    HostileCase(
        name: "a binary file (PNG) named like a migration",
        entries: [
            .text(marker.0, marker.1),
            .bytes("sql/V2__image.sql", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48]),
        ],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1, mentions: ["V2__image.sql", "UTF-8"]),
    HostileCase(
        name: "a NUL byte inside a statement",
        entries: [
            .text(marker.0, marker.1),
            .bytes("sql/V2__nul.sql", Array("INSERT INTO marker VALUES (1)".utf8) + [0] + Array(", (2);\n".utf8)),
        ],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["V2__nul.sql", "NUL byte at line 1"]),
    HostileCase(
        name: "validate --offline on a NUL byte inside a statement",
        entries: [.bytes("sql/V1__nul.sql", Array("SELECT 1".utf8) + [0] + Array(", 2;\n".utf8))],
        arguments: ["validate", "--offline", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["V1__nul.sql", "NUL byte"]),
    HostileCase(
        name: "an unterminated string literal (server rejects it)",
        entries: [.text("sql/V1__str.sql", "CREATE TABLE marker (id int);\nSELECT 1;\nSELECT 'never closed;\n")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["V1__str.sql line 3", "unterminated quoted string", "42601"], database: .emptyHistory),
    HostileCase(
        name: "an unterminated quoted identifier (server rejects it)",
        entries: [.text("sql/V1__ident.sql", "CREATE TABLE marker (id int);\nSELECT \"never closed FROM x;\n")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["V1__ident.sql line 2", "unterminated quoted identifier"], database: .emptyHistory),
    HostileCase(
        name: "an unterminated dollar quote (server rejects it)",
        entries: [.text("sql/V1__dollar.sql", "CREATE TABLE marker (id int);\nDO $body$ BEGIN\nEND $bod$;\n")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["V1__dollar.sql line 2", "unterminated dollar-quoted string"], database: .emptyHistory),
    HostileCase(
        name: "an unterminated block comment",
        entries: [.text("sql/V1__comment.sql", "CREATE TABLE marker (id int);\n/* never closed\nSELECT 1;\n")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["V1__comment.sql", "Unterminated /* comment starting at line 2"]),
    HostileCase(
        name: "validate --offline: unterminated string literal",
        entries: [.text("sql/V1__str.sql", "SELECT 1;\nSELECT 'never closed;\n")],
        arguments: ["validate", "--offline", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["V1__str.sql:2", "UNTERMINATED_SQL", "string literal"]),
    HostileCase(
        name: "validate --offline: unterminated quoted identifier",
        entries: [.text("sql/V1__ident.sql", "SELECT \"open;\n")],
        arguments: ["validate", "--offline", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["V1__ident.sql:1", "quoted identifier"]),
    HostileCase(
        name: "validate --offline: unterminated dollar quote",
        entries: [.text("sql/V1__dollar.sql", "SELECT 1;\n\nDO $x$ BEGIN END;\n")],
        arguments: ["validate", "--offline", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["V1__dollar.sql:3", "dollar-quoted string $x$"]),
    HostileCase(
        name: "validate --offline: unterminated block comment",
        entries: [.text("sql/V1__comment.sql", "SELECT 1;\n/* a /* b */\n")],
        arguments: ["validate", "--offline", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["V1__comment.sql:2", "block comment"]),
    HostileCase(
        name: "an undefined placeholder",
        entries: [
            .text(
                "sql/V1__ph.sql",
                "CREATE TABLE marker (id int);\nCREATE TABLE ${undefined_thing} (id int);\n")
        ],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["${undefined_thing}", "V1__ph.sql line 2"], database: .emptyHistory),
    HostileCase(
        name: "a .sql.conf with an unknown key",
        entries: [
            .text(marker.0, marker.1), .text("sql/V1__marker.sql.conf", "executeInTransaction=false\nbogus=1\n"),
        ],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1, mentions: ["bogus", "V1__marker.sql.conf"]),
    HostileCase(
        name: "a .sql.conf with an unknown encoding",
        entries: [.text(marker.0, marker.1), .text("sql/V1__marker.sql.conf", "encoding=KOI8-Q\n")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 2, mentions: ["KOI8-Q", "V1__marker.sql"]),

    // MARK: Locations and the file system
    HostileCase(
        name: "a location that is a file (failOnMissingLocations)", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}/V1__marker.sql", "--fail-on-missing-locations"],
        expectedStatus: 2, mentions: ["{sql}/V1__marker.sql", "NOT_A_DIRECTORY"]),
    HostileCase(
        name: "a location that does not exist (failOnMissingLocations)",
        arguments: ["migrate", "--locations", "{project}/nowhere", "--fail-on-missing-locations"],
        expectedStatus: 2, mentions: ["{project}/nowhere", "NOT_FOUND"]),
    HostileCase(
        name: "a missing location in Flyway syntax (-failOnMissingLocations=true)",
        arguments: ["migrate", "-locations=filesystem:{project}/nowhere", "-failOnMissingLocations=true"],
        expectedStatus: 2, mentions: ["{project}/nowhere"]),
    HostileCase(
        name: "the only location does not exist (failOnMissingLocations=false)", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{project}/nowhere"], expectedStatus: 2,
        mentions: ["locations", "{project}/nowhere", "NOT_FOUND"]),
    HostileCase(
        name: "no location configured and no migrations folder (the default location)",
        entries: [.text(marker.0, marker.1)], arguments: ["migrate"], expectedStatus: 2,
        mentions: ["locations", "'migrations'", "{project}/migrations"]),
    HostileCase(
        name: "--locations ../nowhere from a sub-folder", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "../nowhere"], directory: "app", expectedStatus: 2,
        mentions: ["locations", "'../nowhere'", "{project}/nowhere"]),
    HostileCase(
        name: "-locations=filesystem:../nowhere from a sub-folder", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "-locations=filesystem:../nowhere"], directory: "app", expectedStatus: 2,
        mentions: ["locations", "'filesystem:../nowhere'", "{project}/nowhere"]),
    HostileCase(
        name: "FLYWAY_LOCATIONS=../nowhere from a sub-folder", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate"], environment: ["FLYWAY_LOCATIONS": "../nowhere"], directory: "app", expectedStatus: 2,
        mentions: ["locations", "'../nowhere'", "{project}/nowhere"]),
    HostileCase(
        name: "flyway.conf with locations=filesystem:../nowhere, run from its folder",
        entries: [.text(marker.0, marker.1), .text("app/flyway.conf", "flyway.locations=filesystem:../nowhere\n")],
        arguments: ["migrate"], directory: "app", expectedStatus: 2,
        mentions: ["locations", "'filesystem:../nowhere'", "{project}/nowhere"]),
    HostileCase(
        name: "several locations, none of which exists", entries: [.text(marker.0, marker.1)],
        arguments: ["info", "--locations", "{project}/nowhere,{project}/elsewhere"], expectedStatus: 2,
        mentions: ["locations", "{project}/nowhere", "{project}/elsewhere"]),
    HostileCase(
        name: "a classpath: location", arguments: ["migrate", "--locations", "classpath:db/migration"],
        expectedStatus: 2, mentions: ["classpath:db/migration", "filesystem"]),
    HostileCase(
        name: "an empty --locations", entries: [.text("migrations/V1__marker.sql", marker.1)],
        arguments: ["migrate", "--locations", ""], expectedStatus: 2, mentions: ["--locations"]),
    HostileCase(
        name: "an empty -locations= (Flyway syntax)", entries: [.text("migrations/V1__marker.sql", marker.1)],
        arguments: ["migrate", "-locations="], expectedStatus: 2, mentions: ["locations", "-locations"]),
    HostileCase(
        name: "an empty FLYWAY_LOCATIONS", entries: [.text("migrations/V1__marker.sql", marker.1)],
        arguments: ["migrate"], environment: ["FLYWAY_LOCATIONS": ""], expectedStatus: 2,
        mentions: ["locations", "FLYWAY_LOCATIONS"]),
    HostileCase(
        name: "an unreadable migration (chmod 000)",
        entries: [.text(marker.0, marker.1), .unreadable("sql/V2__secret.sql", "SELECT 1;\n")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["Unable to read migration file", "V2__secret.sql"], runner: .withoutPermissionBypass),
    HostileCase(
        name: "a named pipe called like a migration (must not block)",
        entries: [.text(marker.0, marker.1), .fifo("sql/V2__pipe.sql")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1, mentions: ["V2__pipe.sql"], seconds: 30),
    HostileCase(
        name: "a migration that is a symlink to an unreadable file (/proc/self/mem)",
        entries: [.text(marker.0, marker.1), .symlink("sql/V2__mem.sql", to: "/proc/self/mem")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1, mentions: ["V2__mem.sql"], seconds: 30),
    HostileCase(
        name: "a dangling symlink called like a migration",
        entries: [.text(marker.0, marker.1), .symlink("sql/V2__gone.sql", to: "{project}/deleted.sql")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["V2__gone.sql", "target does not exist"]),
    HostileCase(
        name: "symlink loops in a location (must finish)",
        entries: [.text(marker.0, marker.1), .symlink("sql/self", to: "."), .symlink("sql/up", to: "../sql")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["Folder loop: {sql}/", "leads back to a folder that contains it"], seconds: 10),
    HostileCase(
        name: "a symlink to its own folder (one loop link)",
        entries: [.text(marker.0, marker.1), .symlink("sql/self", to: ".")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["Folder loop: {sql}/self leads back to a folder that contains it"]),
    HostileCase(
        name: "a symlink to a shared folder reached twice (no loop: duplicate versions)",
        entries: [
            .text(marker.0, marker.1), .text("shared/V5__shared.sql", "SELECT 1;\n"),
            .symlink("sql/a", to: "{project}/shared"), .symlink("sql/b", to: "{project}/shared"),
        ],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 1,
        mentions: ["Found more than one migration with version 5", "a/V5__shared.sql", "b/V5__shared.sql"]),
    HostileCase(
        name: "a directory named like a migration (V2__x.sql/)",
        entries: [.text(marker.0, marker.1), .directory("sql/V2__x.sql")],
        arguments: ["migrate", "--locations", "{sql}", "--validate-migration-naming"], expectedStatus: 1,
        mentions: ["{sql}/V2__x.sql is a folder, not a migration file"]),
    HostileCase(
        name: "the same version in two locations",
        entries: [.text(marker.0, marker.1), .text("other/V1__other.sql", "CREATE TABLE other (id int);\n")],
        arguments: ["migrate", "--locations", "{sql},{project}/other"], expectedStatus: 1,
        mentions: [
            "Found more than one migration with version 1", "{sql}/V1__marker.sql",
            "{project}/other/V1__other.sql",
        ]),

    // MARK: Configuration files
    HostileCase(
        name: "flyway.conf with an unknown key",
        entries: [
            .text(marker.0, marker.1), .text("flyway.conf", "flyway.locations=filesystem:sql\nflyway.lokations=x\n"),
        ],
        arguments: ["migrate"], expectedStatus: 2, mentions: ["flyway.lokations", "{project}/flyway.conf line 2"]),
    HostileCase(
        name: "flyway.conf with a bad boolean",
        entries: [
            .text(marker.0, marker.1),
            .text("flyway.conf", "flyway.locations=filesystem:sql\nflyway.outOfOrder=maybe\n"),
        ],
        arguments: ["migrate"], expectedStatus: 2, mentions: ["outOfOrder", "maybe", "flyway.conf line 2"]),
    HostileCase(
        name: "flyway.conf that is not UTF-8",
        entries: [
            .text(marker.0, marker.1), .bytes("flyway.conf", Array("flyway.table=h".utf8) + [0xFF, 0xFE, 0x0A]),
        ],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 2,
        mentions: ["{project}/flyway.conf", "UTF-8"]),
    HostileCase(
        name: "flyway.conf with a NUL inside a value",
        entries: [
            .text(marker.0, marker.1), .bytes("flyway.conf", Array("flyway.table=hi".utf8) + [0] + [0x78, 0x0A]),
        ],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 2,
        mentions: ["table", "NUL", "{project}/flyway.conf line 1"]),
    HostileCase(
        name: "flyway.toml with a NUL (\\u0000) inside a value",
        entries: [.text(marker.0, marker.1), .text("flyway.toml", "[flyway]\ntable = \"hi\\u0000x\"\n")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 2,
        mentions: ["NUL", "{project}/flyway.toml", "line 2, column 12"]),
    HostileCase(
        name: "flyway.conf with an empty schemas list",
        entries: [
            .text(marker.0, marker.1), .text("flyway.conf", "flyway.locations=filesystem:sql\nflyway.schemas=\n"),
        ],
        arguments: ["migrate"], expectedStatus: 2, mentions: ["schemas", "{project}/flyway.conf line 2"]),
    HostileCase(
        name: "flyway.toml with a syntax error",
        entries: [.text(marker.0, marker.1), .text("flyway.toml", "[flyway]\nlocations = [\"filesystem:sql\"\n")],
        arguments: ["migrate"], expectedStatus: 2, mentions: ["Error parsing config file", "{project}/flyway.toml"]),
    HostileCase(
        name: "flyway.toml '[' + newline (aborted the process inside toml++)",
        entries: [.text(marker.0, marker.1), .text("flyway.toml", "[\n")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 2,
        mentions: ["{project}/flyway.toml", "line 1, column 2"]),
    HostileCase(
        name: "flyway.toml '}' inside an array (aborted the process inside toml++)",
        entries: [.text(marker.0, marker.1), .text("flyway.toml", "[flyway]\nschemas = [\"a\", }\n")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 2,
        mentions: ["{project}/flyway.toml", "line 2, column 17"]),
    HostileCase(
        name: "flyway.toml date-time without a time (aborted the process inside toml++)",
        entries: [.text(marker.0, marker.1), .text("flyway.toml", "[flyway]\nx = 1979-05-27T:\n")],
        arguments: ["migrate", "--locations", "{sql}"], expectedStatus: 2,
        mentions: ["{project}/flyway.toml", "line 2"]),
    HostileCase(
        name: "flyway.toml with an unknown key",
        entries: [
            .text(marker.0, marker.1),
            .text("flyway.toml", "[flyway]\nlocations = [\"filesystem:sql\"]\nlokations = 1\n"),
        ],
        arguments: ["migrate"], expectedStatus: 2, mentions: ["flyway.lokations", "{project}/flyway.toml"]),
    HostileCase(
        name: "-configFiles naming a file that does not exist",
        arguments: ["migrate", "--locations", "{sql}", "-configFiles={project}/missing.conf"], expectedStatus: 2,
        mentions: ["{project}/missing.conf", "-configFiles"]),

    // MARK: Connection settings
    HostileCase(
        name: "--url that is neither a URI nor conninfo",
        arguments: ["migrate", "--locations", "{sql}", "--url", "not a url"],
        expectedStatus: 2, mentions: ["Invalid url", "not a url"]),
    HostileCase(
        name: "--url with a port out of range",
        arguments: ["migrate", "--locations", "{sql}", "--url", "postgresql://127.0.0.1:99999/db"],
        expectedStatus: 2, mentions: ["Invalid url", "99999"]),
    HostileCase(
        name: "-url=jdbc: with a non-numeric port", arguments: ["migrate", "-url=jdbc:postgresql://127.0.0.1:abc/db"],
        expectedStatus: 2, mentions: ["-url", "invalid port 'abc'"]),
    HostileCase(
        name: "-url=jdbc: with user:password@ (redacted)",
        arguments: ["migrate", "-url=jdbc:postgresql://app:Jdbc-Secret-7@127.0.0.1/db"], expectedStatus: 2,
        mentions: ["-url", "user:password@"], secrets: ["Jdbc-Secret-7"]),
    HostileCase(
        name: "-url=jdbc: with an unterminated IPv6 address",
        arguments: ["migrate", "-url=jdbc:postgresql://[::1/db"], expectedStatus: 2,
        mentions: ["-url", "unterminated IPv6 address"]),
    HostileCase(
        name: "-url= for another database", arguments: ["migrate", "-url=jdbc:mysql://127.0.0.1/db"],
        expectedStatus: 2, mentions: ["jdbc:mysql://127.0.0.1/db"]),
    HostileCase(
        name: "--url conninfo with 'password = x' (spaces) is redacted in the connection error",
        arguments: [
            "migrate", "--locations", "{sql}", "--url",
            "host=127.0.0.1 port=1 dbname=x user=u password = Conninfo-Secret-3",
        ],
        environment: ["DB_HOST": nil, "DB_PORT": nil, "DB_NAME": nil, "DB_USERNAME": nil, "DB_PASSWORD": nil],
        expectedStatus: 3, mentions: ["Unable to connect", "port=1"], secrets: ["Conninfo-Secret-3"]),
    HostileCase(
        name: "DB_PORT that is not a number", arguments: ["migrate", "--locations", "{sql}"],
        environment: ["DB_PORT": "abc"], expectedStatus: 2, mentions: ["DB_PORT", "abc"]),
    HostileCase(
        name: "DB_PORT out of range", arguments: ["migrate", "--locations", "{sql}"],
        environment: ["DB_PORT": "99999"], expectedStatus: 2, mentions: ["DB_PORT", "99999"]),
    HostileCase(
        name: "DB_PORT empty", arguments: ["migrate", "--locations", "{sql}"], environment: ["DB_PORT": ""],
        expectedStatus: 2, mentions: ["DB_PORT"]),
    HostileCase(
        name: "DB_HOST empty", arguments: ["migrate", "--locations", "{sql}"], environment: ["DB_HOST": ""],
        expectedStatus: 2, mentions: ["DB_HOST"]),
    HostileCase(
        name: "DB_USERNAME empty", arguments: ["migrate", "--locations", "{sql}"], environment: ["DB_USERNAME": ""],
        expectedStatus: 2, mentions: ["DB_USERNAME"]),
    HostileCase(
        name: "--user ''", arguments: ["migrate", "--locations", "{sql}", "--user", ""], expectedStatus: 2,
        mentions: ["--user"]),
    HostileCase(
        name: "DB_SSLMODE unknown", arguments: ["migrate", "--locations", "{sql}"],
        environment: ["DB_SSLMODE": "sometimes"], expectedStatus: 2, mentions: ["DB_SSLMODE", "sometimes"]),
    HostileCase(
        name: "--port that is not a number", arguments: ["migrate", "--locations", "{sql}", "--port", "abc"],
        expectedStatus: 2, mentions: ["--port", "abc"]),
    HostileCase(
        name: "--port 0", arguments: ["migrate", "--locations", "{sql}", "--port", "0"], expectedStatus: 2,
        mentions: ["--port", "'0'"]),
    HostileCase(
        name: "--port 65536", arguments: ["migrate", "--locations", "{sql}", "--port", "65536"], expectedStatus: 2,
        mentions: ["--port", "65536"]),
    HostileCase(
        name: "--host with an empty entry", arguments: ["migrate", "--locations", "{sql}", "--host", "db,,db2"],
        expectedStatus: 2, mentions: ["db,,db2", "empty host name"]),

    // MARK: Options
    HostileCase(
        name: "an unknown option", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--frobnicate"], expectedStatus: 2, mentions: ["--frobnicate"]),
    HostileCase(
        name: "an unknown Flyway key", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "-frobnicate=1"], expectedStatus: 2,
        mentions: ["flyway.frobnicate", "-frobnicate"]),
    HostileCase(
        name: "-outputType=xml", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "-outputType=xml"], expectedStatus: 2,
        mentions: ["-outputType", "xml"]),
    HostileCase(
        name: "--table ''", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--table", ""], expectedStatus: 2, mentions: ["--table"]),
    HostileCase(
        name: "--schemas ''", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--schemas", ""], expectedStatus: 2, mentions: ["--schemas"]),
    HostileCase(
        name: "--table of 64 bytes", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--table", longASCIIName], expectedStatus: 2,
        mentions: ["--table", "64 bytes", "63"]),
    HostileCase(
        name: "-table= of 64 bytes (Flyway syntax)", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "-table=" + longASCIIName], expectedStatus: 2,
        mentions: ["table", "-table", "64 bytes"]),
    HostileCase(
        name: "--schemas with a name of 32 accented letters (64 bytes)", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--schemas", "app," + longAccentedName], expectedStatus: 2,
        mentions: ["--schemas", "64 bytes"]),
    HostileCase(
        name: "FLYWAY_SCHEMAS with a name of 64 bytes", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}"], environment: ["FLYWAY_SCHEMAS": longAccentedName],
        expectedStatus: 2, mentions: ["schemas", "FLYWAY_SCHEMAS", "64 bytes"]),
    HostileCase(
        name: "--default-schema of 64 bytes", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--default-schema", longASCIIName], expectedStatus: 2,
        mentions: ["--default-schema", "64 bytes"]),
    HostileCase(
        name: "flyway.conf with a defaultSchema of 64 bytes",
        entries: [
            .text(marker.0, marker.1),
            .text("flyway.conf", "flyway.locations=filesystem:sql\nflyway.defaultSchema=\(longASCIIName)\n"),
        ],
        arguments: ["migrate"], expectedStatus: 2, mentions: ["defaultSchema", "flyway.conf line 2", "64 bytes"]),
    HostileCase(
        name: "--default-schema ''", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--default-schema", ""], expectedStatus: 2,
        mentions: ["--default-schema"]),
    HostileCase(
        name: "an empty FLYWAY_SCHEMAS", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}"], environment: ["FLYWAY_SCHEMAS": ""], expectedStatus: 2,
        mentions: ["schemas", "FLYWAY_SCHEMAS"]),
    HostileCase(
        name: "--target that is not a version", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--target", "1.x"], expectedStatus: 2,
        mentions: ["target", "'1.x'"]),
    HostileCase(
        name: "--target ''", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--target", ""], expectedStatus: 2, mentions: ["target"]),
    HostileCase(
        name: "--ignore-migration-patterns with an unknown state", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--ignore-migration-patterns", "versioned:bogus"],
        expectedStatus: 2, mentions: ["ignoreMigrationPatterns", "bogus"]),
    HostileCase(
        name: "--ignore-migration-patterns without a colon", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--ignore-migration-patterns", "*"], expectedStatus: 2,
        mentions: ["ignoreMigrationPatterns", "'*'"]),
    HostileCase(
        name: "--encoding that does not exist", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--encoding", "KOI8-Q"], expectedStatus: 2,
        mentions: ["KOI8-Q", "encoding"]),
    HostileCase(
        name: "--placeholder without '='", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--placeholder", "novalue"], expectedStatus: 2,
        mentions: ["--placeholder", "novalue"]),
    HostileCase(
        name: "--baseline-version that is not a version", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--baseline-on-migrate", "--baseline-version", "abc"],
        expectedStatus: 2, mentions: ["--baseline-version", "abc"]),
    HostileCase(
        name: "--lock-retry-count below -1", entries: [.text(marker.0, marker.1)],
        arguments: ["migrate", "--locations", "{sql}", "--lock-retry-count=-5"], expectedStatus: 2,
        mentions: ["--lock-retry-count"]),
]

// MARK: - Running a case

/// A project folder for one case: `sql/` holds the migrations, configuration files sit at the top.
final class HostileProject: @unchecked Sendable {
    let path: String

    init(_ entries: [FixtureEntry]) throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent("runway-hostile-\(UUID().uuidString)")
            .standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: path + "/sql", withIntermediateDirectories: true)
        for entry in entries { try create(entry) }
    }

    deinit {
        // A chmod 000 file or a loop of symlinks must not stop the clean-up.
        _ = try? TestCluster.shell("chmod -R u+rwX '\(path)' 2>/dev/null; rm -rf '\(path)'")
    }

    func expand(_ text: String) -> String {
        text.replacingOccurrences(of: "{sql}", with: path + "/sql").replacingOccurrences(of: "{project}", with: path)
    }

    private func create(_ entry: FixtureEntry) throws {
        switch entry {
        case .text(let name, let text): try write(name, Array(text.utf8))
        case .bytes(let name, let bytes): try write(name, bytes)
        case .directory(let name):
            try FileManager.default.createDirectory(atPath: path + "/" + name, withIntermediateDirectories: true)
        case .symlink(let name, let target):
            try FileManager.default.createSymbolicLink(atPath: path + "/" + name, withDestinationPath: expand(target))
        case .fifo(let name):
            guard mkfifo(path + "/" + name, 0o644) == 0 else { throw TestFailure("mkfifo \(name): errno \(errno)") }
        case .unreadable(let name, let text):
            try write(name, Array(text.utf8))
            guard chmod(path + "/" + name, 0) == 0 else { throw TestFailure("chmod 000 \(name): errno \(errno)") }
        }
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: path + "/" + name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }
}

/// The outcome of a bounded run.
struct BoundedRun {
    var output: RunOutput
    /// Whether the process had to be killed at the deadline.
    var timedOut: Bool
    /// Seconds until it ended.
    var seconds: Double
    /// Its peak resident set size in MB (`VmHWM`), sampled while it ran.
    var peakMegabytes: Int
}

/// Runs `migrate` (or `wrapper` + `migrate`) and kills it with SIGKILL after `seconds`: SIGTERM is not enough, the
/// scan of the migration folders does not react to it.
///
/// Started as a ``RunningMigrate``; polled from the test without reaping, so the process can be killed at the
/// deadline, then reaped by ``RunningMigrate/finish()``.
func runBounded(
    _ arguments: [String], environment: [String: String], directory: String, seconds: Double,
    wrapper: [String] = []
) async throws -> BoundedRun {
    let process = try RunningMigrate(arguments, environment: environment, directory: directory, wrapper: wrapper)
    let child = process.processIdentifier
    let started = Date()
    var timedOut = false
    var peak = 0
    while !hasExited(child) {
        peak = max(peak, peakResidentMegabytes(of: child))
        if Date().timeIntervalSince(started) > seconds {
            timedOut = true
            kill(child, SIGKILL)
            break
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    let output = await process.finish()
    return BoundedRun(
        output: output, timedOut: timedOut, seconds: Date().timeIntervalSince(started), peakMegabytes: peak)
}

/// Whether `pid` (a child not reaped yet) has ended: it is a zombie, or gone.
func hasExited(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return true }
    return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}

/// `VmHWM` of a running process, in MB (0 once it is gone).
func peakResidentMegabytes(of pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return 0 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
}

/// Tables in every non-system schema and schemas other than `public`, as `schema.table` / `schema`.
func userObjects(_ db: TestDatabase) throws -> [String] {
    try db.rows(
        """
        SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'v', 'p') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
        UNION ALL
        SELECT nspname FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'public')
        ORDER BY 1
        """
    ).map { $0[0] ?? "" }
}

/// Serialized: dozens of `migrate` processes and databases started at once would starve the timing-sensitive lock
/// tests that run beside this suite on a two-core machine (notably under AddressSanitizer).
@Suite("hostile and broken input to the migrate binary", .serialized, .timeLimit(.minutes(3)))
struct HostileInputTests {
    @Test(
        "fails with a clear error naming the culprit, exits non-zero and leaves the database alone",
        arguments: hostileCases)
    func hostileInput(_ hostile: HostileCase) async throws {
        let db = try TestDatabase("hostile")
        let project = try HostileProject(hostile.entries)
        var environment = db.environment
        for (name, value) in hostile.environment { environment[name] = value }
        var wrapper: [String] = []
        if hostile.runner == .withoutPermissionBypass, getuid() == 0 {
            // Root reads chmod 000 files through CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH; without them it cannot.
            let setpriv = "/usr/bin/setpriv"
            try #require(
                FileManager.default.isExecutableFile(atPath: setpriv),
                "running as root: \(setpriv) (util-linux) is needed to run migrate without the permission bypass")
            wrapper = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
        }
        let directory = hostile.directory.map { project.path + "/" + $0 } ?? project.path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let run = try await runBounded(
            hostile.arguments.map(project.expand), environment: environment, directory: directory,
            seconds: hostile.seconds, wrapper: wrapper)
        let objects = try userObjects(db)
        let historyRows =
            try objects.contains("public.flyway_schema_history")
            ? db.scalar("SELECT count(*) FROM public.flyway_schema_history") : "0"
        let check = {
            let output = run.output
            #expect(!run.timedOut, "still running after \(hostile.seconds) s (peak RSS \(run.peakMegabytes) MB)")
            #expect(output.status == hostile.expectedStatus, "exit \(output.status); output:\n\(output.all)")
            for mention in hostile.mentions.map(project.expand) {
                #expect(output.all.contains(mention), "the error does not name \(mention):\n\(output.all)")
            }
            for secret in hostile.secrets {
                #expect(!output.all.contains(secret), "the output shows the password \(secret):\n\(output.all)")
            }
            #expect(!output.all.contains(db.endpoint.password), "the output shows the database password")
            switch hostile.database {
            case .untouched:
                #expect(objects.isEmpty, "the database changed: \(objects)")
            case .emptyHistory:
                #expect(objects.allSatisfy { $0 == "public.flyway_schema_history" }, "the database changed: \(objects)")
                #expect(historyRows == "0", "history rows: \(historyRows ?? "?")")
            }
        }
        if let knownIssue = hostile.knownIssue {
            withKnownIssue(Comment(rawValue: knownIssue)) { check() }
        } else {
            check()
        }
    }

    @Test("a 1 GB migration (sparse, all NUL bytes) fails naming the file in bounded time and memory")
    func oneGigabyteFile() async throws {
        let db = try TestDatabase("hostilebig")
        let project = try HostileProject([.text(marker.0, marker.1)])
        let path = project.path + "/sql/V2__huge.sql"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 1 << 30)  // sparse: no disk space, no time to write
        try handle.close()
        let run = try await runBounded(
            ["migrate", "--locations", project.path + "/sql"], environment: db.environment, directory: project.path,
            seconds: 45)
        let objects = try userObjects(db)
        #expect(!run.timedOut, "still running after 45 s (peak RSS \(run.peakMegabytes) MB)")
        #expect(run.output.status == 1, "exit \(run.output.status) after \(Int(run.seconds)) s")
        #expect(run.output.stderr.contains("V2__huge.sql contains a NUL byte at line 1"), "\(run.output.stderr)")
        if sanitizerEnvironment["ASAN_OPTIONS"] == nil {  // AddressSanitizer's shadow memory is not the file's
            #expect(run.peakMegabytes < 64, "peak RSS \(run.peakMegabytes) MB")
        }
        #expect(objects.isEmpty, "the database changed: \(objects)")
    }

    @Test("a 150 MB COPY ... FROM STDIN migration is streamed: every row arrives, peak RSS stays under 64 MB")
    func streamedCopy() async throws {
        let db = try TestDatabase("hostilecopy")
        let project = try HostileProject([.text(marker.0, marker.1)])
        let path = project.path + "/sql/V2__load.sql"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data("CREATE TABLE load (id bigint, note text);\nCOPY load FROM STDIN;\n".utf8))
        let rowsPerChunk = 16_384
        let chunks = 160
        for chunk in 0..<chunks {
            var text = ""
            text.reserveCapacity(rowsPerChunk * 64)
            for row in 0..<rowsPerChunk {
                text += "\(chunk * rowsPerChunk + row)\tpadding to make each line about sixty-four bytes long\n"
            }
            try handle.write(contentsOf: Data(text.utf8))
        }
        try handle.write(contentsOf: Data("\\.\nINSERT INTO marker VALUES (2);\n".utf8))
        try handle.close()
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(size > 150 << 20)
        let run = try await runBounded(
            ["migrate", "--locations", project.path + "/sql"], environment: db.environment, directory: project.path,
            seconds: 300)
        #expect(run.output.status == 0, "\(run.output.all)")
        #expect(
            try db.rows("SELECT count(*), min(id), max(id) FROM load") == [
                ["\(rowsPerChunk * chunks)", "0", "\(rowsPerChunk * chunks - 1)"]
            ])
        #expect(try db.rows("SELECT count(*) FROM marker") == [["1"]])
        if sanitizerEnvironment["ASAN_OPTIONS"] == nil {  // AddressSanitizer's shadow memory is not the file's
            #expect(run.peakMegabytes < 64, "peak RSS \(run.peakMegabytes) MB for a \(size >> 20) MB file")
        }
    }

    @Test("quotes and non-ASCII in --schemas and --table are quoted everywhere: history, lock, DDL, clean")
    func quotedNames() async throws {
        let db = try TestDatabase("hostilequoted")
        let project = try HostileProject([
            .text("sql/V1__first.sql", "CREATE TABLE \"tab\"\"le\" (id int);\nCREATE TABLE plain (id int);\n"),
            .text("sql/V2__second.sql", "INSERT INTO plain VALUES (1);\n"),
            .text("sql/R__view.sql", "CREATE OR REPLACE VIEW v AS SELECT * FROM plain;\n"),
        ])
        let options = ["--locations", project.path + "/sql", "--schemas", "we\"ird,schéma", "--table", "hist\"ory"]
        let migrate = try await runBounded(
            ["migrate"] + options, environment: db.environment, directory: project.path, seconds: 60)
        #expect(migrate.output.status == 0, "\(migrate.output.all)")
        #expect(migrate.output.stdout.contains("Successfully applied 3 migrations to schema \"we\"ird\""))
        #expect(
            try userObjects(db) == [
                "schéma", "we\"ird", "we\"ird.hist\"ory", "we\"ird.plain", "we\"ird.tab\"le", "we\"ird.v",
            ])
        #expect(
            try db.history(schema: "we\"ird", table: "hist\"ory").map {
                $0.split(separator: "|", omittingEmptySubsequences: false).prefix(5).map(String.init)
            } == [
                ["0", "", "<< Flyway Schema Creation >>", "SCHEMA", "\"we\"\"ird\",\"schéma\""],
                ["1", "1", "first", "SQL", "V1__first.sql"], ["2", "2", "second", "SQL", "V2__second.sql"],
                ["3", "", "view", "SQL", "R__view.sql"],
            ])
        #expect(
            try db.scalar(
                """
                SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """) == "0")
        for command in [["info"], ["validate"], ["migrate"], ["repair"]] {
            let run = try await runBounded(
                command + options, environment: db.environment, directory: project.path, seconds: 60)
            #expect(run.output.status == 0, "\(command): \(run.output.all)")
        }
        #expect(try db.scalar("SELECT count(*) FROM \"we\"\"ird\".\"hist\"\"ory\"") == "4")
        let clean = try await runBounded(
            ["clean", "--clean-disabled", "false"] + options, environment: db.environment, directory: project.path,
            seconds: 60)
        #expect(clean.output.status == 0, "\(clean.output.all)")
        #expect(try userObjects(db).isEmpty)
    }
}
