import Foundation
import Testing

@testable import Runway

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
