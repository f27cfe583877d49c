import Testing

@testable import Runway

@Suite struct MigrationTargetTests {
    // MARK: - Parsing

    @Test(arguments: [
        ("latest", MigrationTarget.latest),
        ("LATEST", .latest),
        ("Latest", .latest),
        ("9223372036854775807", .latest),
        ("current", .current),
        ("CURRENT", .current),
        ("next", .next),
        ("Next", .next),
        ("  next  ", .next),
    ])
    func parsesKeywordsCaseInsensitively(text: String, expected: MigrationTarget) throws {
        #expect(try MigrationTarget(parsing: text) == expected)
    }

    @Test(arguments: [
        ("1", "1", false),
        ("1.2", "1.2", false),
        ("1_2", "1.2", false),
        ("01.2", "01.2", false),
        ("20240101120000", "20240101120000", false),
        ("5?", "5", true),
        ("1.2.3?", "1.2.3", true),
    ])
    func parsesVersionsAndOptionalMarker(text: String, version: String, optional: Bool) throws {
        let target = try MigrationTarget(parsing: text)
        guard case .version(let parsed, let isOptional) = target else {
            Issue.record("expected a version target, got \(target)")
            return
        }
        #expect(parsed.text == version)
        #expect(isOptional == optional)
    }

    @Test func versionTargetsCompareNumerically() throws {
        #expect(try MigrationTarget(parsing: "1.0") == MigrationTarget(parsing: "1"))
        #expect(try MigrationTarget(parsing: "1?") != MigrationTarget(parsing: "1"))
    }

    @Test(arguments: ["", "?", "abc", "1.", "1..2", "1.2a", "lates", "v1", "1.2??"])
    func rejectsValuesThatAreNeitherKeywordNorVersion(text: String) {
        do {
            _ = try MigrationTarget(parsing: text)
            Issue.record("'\(text)' should have been rejected")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("'\(text)'"))
        }
    }

    // MARK: - Description

    @Test(arguments: [
        (MigrationTarget.latest, "latest"), (.current, "current"), (.next, "next"),
    ])
    func describesKeywords(target: MigrationTarget, text: String) {
        #expect(target.description == text)
    }

    @Test func describesVersionsWithTheirMarker() throws {
        #expect(try MigrationTarget(parsing: "1_1?").description == "1.1?")
        #expect(try MigrationTarget(parsing: "3").description == "3")
    }
}
