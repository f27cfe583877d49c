import Foundation
import Testing

@testable import Runway

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
        let url = try JDBCURL(
            parsing: "jdbc:postgresql://db\u{06DD}:5433/app\u{06DD}?password=Zq7SecretPw&x=1", setting: "url")
        #expect(url.hosts.map(\.port) == [5433])
        #expect(url.parameters.map(\.name) == ["password", "x"])
    }
}
