import Foundation
import Testing

@testable import Runway

// Inputs scripts/fuzz.sh found (Sources/RunwayFuzz), kept as regression tests.

@Suite("Fuzz regressions: ConnectionSettings.redact")
struct RedactFuzzRegressionTests {
    /// Every form libpq's conninfo parser and URI parser accept for a password; `redact` once missed all but the
    /// first three (found by the `redact` target).
    @Test(
        "a password is hidden in every form libpq accepts",
        arguments: [
            ("host=db password=hunter2 dbname=app", "host=db password=*** dbname=app"),
            ("host=db password = hunter2 dbname=app", "host=db password = *** dbname=app"),
            ("host=db password= hunter2", "host=db password= ***"),
            ("host=db password =hunter2", "host=db password =***"),
            ("host=db password\t=\thunter2 port=1", "host=db password\t=\t*** port=1"),
            ("host=db password='it\\'s hunter2' port=1", "host=db password=*** port=1"),
            ("host=db password='hunter2", "host=db password=***"),
            ("host=db PASSWORD=hunter2", "host=db PASSWORD=***"),
            ("host=db sslpassword=hunter2", "host=db sslpassword=***"),
            (
                "postgresql://db/app?pass%77ord=hunter2&sslmode=require",
                "postgresql://db/app?pass%77ord=***&sslmode=require"
            ),
            ("postgresql://app:hunter2@db/app", "postgresql://app:***@db/app"),
            ("jdbc:postgresql://db/app?user=u&password=hunter2;x", "jdbc:postgresql://db/app?user=u&password=***;x"),
            ("password is not set, passwords=none", "password is not set, passwords=none"),
        ])
    func redactsEveryForm(input: String, expected: String) {
        let shown = ConnectionSettings.redact(input)
        #expect(shown == expected)
        #expect(!shown.contains("hunter2"))
    }
}

@Suite("Fuzz regressions: flyway.toml input that crashed toml++")
struct TOMLCrashRegressionTests {
    /// Each of these aborted the process inside TOMLKit's bundled toml++ 3.4.0 (an `assert` on a precondition its
    /// caller never checked; undefined behaviour with `NDEBUG`). Found by the `toml` fuzz target; `parseTOML` now
    /// reports them as syntax errors before TOMLKit sees the text. A regression kills the test process.
    @Test(
        "malformed documents are configuration errors naming line and column, not crashes",
        arguments: [
            ("[\n", 1, 2, "expected a table name after '[', saw '\\n'"),
            ("[flyway]\nlocations = [\"a\"]\n[\r\n", 3, 2, "saw '\\r'"),
            ("[ # comment\n", 1, 3, "saw '#'"),
            ("[[ {x}]]\n", 1, 4, "saw '{'"),
            ("[[[a]]]\n", 1, 3, "saw '['"),
            ("[é]\n", 1, 2, "saw 'é'"),
            ("\u{FEFF}[\u{1}]", 1, 2, "saw '\\u{01}'"),
            ("l=[}", 1, 4, "expected a value or closing ']' in an array, saw '}'"),
            ("a = [1,\n  # comment\n  }\n", 3, 3, "saw '}'"),
            ("m=1979-05-27T:", 1, 14, "expected a time after 'T' in a date-time, saw ':'"),
            ("m = [1979-05-27t]", 1, 17, "saw ']'"),
            ("U=17)9-05-2= 4\n", 1, 15, "expected a two-digit hour after the date in a date-time, saw '\\n'"),
            ("m = 1979-05-27 4#x", 1, 17, "saw '#'"),
            ("U=[1979-05-27 4]\n", 1, 16, "saw ']'"),
            ("[flyway]\nx = { a = 2024-01-01T:00 }\n", 2, 22, "saw ':'"),
        ] as [(String, Int, Int, String)])
    func crashInputsAreErrors(text: String, line: Int, column: Int, message: String) {
        let error = #expect(throws: RunwayError.self) {
            _ = try ConfigFiles.parseTOML(text, path: "/p/flyway.toml")
        }
        #expect(error?.code == .configuration)
        let text = error?.message ?? ""
        #expect(text.hasPrefix("Error parsing config file at [line \(line), column \(column)]: "), "\(text)")
        #expect(text.contains(message) && text.hasSuffix(" in /p/flyway.toml"), "\(text)")
    }

    /// The check must never reject a valid document: brackets and dates in strings, keys, comments, nested arrays
    /// and inline tables, multi-line strings that contain line-initial brackets.
    @Test(
        "valid documents with brackets, dates and quotes in every position still parse",
        arguments: [
            "[flyway]\nlocations = [\n  \"filesystem:a\", # [ comment\n  'filesystem:b',\n]\n",
            "[ flyway ]\nschemas = [ \"a\" ]\n[ \"environments\" . 'dev' ]\nurl = \"jdbc:postgresql://h/d\"\n",
            "[[flyway_list]]\nx = 1\n[[ flyway_list ]]\nx = 2\n",
            "a = [[1, 2], [\"[\", ']'], [{ b = [3] }]]\n[t]\nc = 1\n",
            "s = \"\"\"\n[\n  }\n\"\"\"\nl = '''\n[\n'''\nq = \"\"\"a\"\"\"\"\"\n[flyway]\nx = 1\n",
            "e = \"\\\" [ \\\\\"\n[flyway]\n",
            "1979-05-27T = 1979-05-27T07:32:00Z\nd = [1979-05-27, 1979-05-27 07:32:00, 07:32:00]\n"
                + "it = { 2000-01-01T = 2000-01-01t00:00:00 }\n",
            "\u{FEFF}[flyway]\r\nlocations = [\"a\"]\r\n",
            "# [\n#[[\n[flyway] # [ trailing\n",
        ])
    func validDocumentsParse(text: String) throws {
        _ = try ConfigFiles.parseTOML(text, path: "/p/flyway.toml")
    }
}

@Suite("Fuzz regressions: JDBC URLs")
struct JDBCURLFuzzRegressionTests {
    /// U+06DD (a prepended concatenation mark) joins the next character into one grapheme, so a Character search
    /// missed the `?` after it: the query, password included, was parsed as the port and quoted in the error (found
    /// by the `jdbc-url` target in CI). Delimiters are now found among Unicode scalars.
    @Test("a mark that joins the `?` into one Character neither hides the query nor shows the password")
    func prependedMarkBeforeQuery() throws {
        let text = "jdbc:postgresql://\u{06DD}jdbc:p6spy:postgresql:\u{06DD}?password=Zq7SecretPw"
        let error = #expect(throws: RunwayError.self) { try JDBCURL(parsing: text, setting: "url") }
        #expect(error?.code == .configuration)
        #expect(error?.description.contains("Zq7SecretPw") == false, "\(String(describing: error))")
        let url = try JDBCURL(parsing: "jdbc:postgresql://db\u{06DD}:5433/app\u{06DD}?password=Zq7SecretPw&x=1", setting: "url")
        #expect(url.hosts.map(\.port) == [5433])
        #expect(url.parameters.map(\.name) == ["password", "x"])
    }
}
