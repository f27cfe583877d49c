import Testing

@testable import Runway

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
