import Testing

@testable import Runway

@Suite struct ValidatePatternTests {
    // MARK: - Parsing

    @Test(arguments: [
        ("*:future", ValidatePattern.TypeFilter.any, ValidatePattern.StateFilter.future),
        ("*:*", .any, .any),
        ("repeatable:missing", .repeatable, .missing),
        ("versioned:pending", .versioned, .pending),
        ("Versioned:IGNORED", .versioned, .ignored),
        (" * : Missing ", .any, .missing),
    ])
    func parsesTypeAndState(text: String, type: ValidatePattern.TypeFilter, state: ValidatePattern.StateFilter) throws {
        let pattern = try ValidatePattern(parsing: text)
        #expect(pattern.type == type)
        #expect(pattern.state == state)
    }

    @Test(arguments: [
        "future", "*", "*:", ":future", "*:future:x", "all:missing", "*:failed", "*:success", "*:outdated",
        "*:ignored (baseline)", "",
    ])
    func rejectsPatternsFlywayRejects(text: String) {
        do {
            _ = try ValidatePattern(parsing: text)
            Issue.record("'\(text)' should have been rejected")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("'\(text)'"))
        }
    }

    @Test func parsesCommaSeparatedListsTrimmingAndSkippingEmptyItems() throws {
        let patterns = try ValidatePattern.parseList(" *:missing , versioned:future,,repeatable:* ")
        #expect(
            patterns == [
                ValidatePattern(type: .any, state: .missing), ValidatePattern(type: .versioned, state: .future),
                ValidatePattern(type: .repeatable, state: .any),
            ])
        #expect(try ValidatePattern.parseList("").isEmpty)
    }

    @Test func listParsingNamesTheBadPattern() {
        do {
            _ = try ValidatePattern.parseList("*:missing,versioned:gone")
            Issue.record("the list should have been rejected")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("versioned:gone"))
        }
    }

    @Test func defaultIgnoresFutureOnly() {
        #expect(ValidatePattern.defaults == [ValidatePattern(type: .any, state: .future)])
        #expect(ValidatePattern.defaults.map(\.description) == ["*:future"])
        #expect(ValidatePattern.anyPending.description == "*:pending")
    }

    // MARK: - Matching

    @Test(arguments: MigrationState.allCases)
    func starMatchesEveryStateOfEveryType(state: MigrationState) {
        let pattern = ValidatePattern(type: .any, state: .any)
        #expect(pattern.matches(versioned: true, state: state))
        #expect(pattern.matches(versioned: false, state: state))
    }

    @Test(arguments: [
        (ValidatePattern.StateFilter.missing, MigrationState.missingSuccess),
        (.pending, .pending),
        (.ignored, .ignored),
        (.future, .futureSuccess),
    ])
    func stateMatchesOnlyItsExactDisplayName(filter: ValidatePattern.StateFilter, state: MigrationState) {
        let pattern = ValidatePattern(type: .any, state: filter)
        for other in MigrationState.allCases {
            #expect(pattern.matches(versioned: true, state: other) == (other == state), "\(filter) vs \(other)")
        }
    }

    @Test func missingDoesNotMatchFailedMissingAndFutureDoesNotMatchFailedFuture() {
        #expect(!ValidatePattern(type: .any, state: .missing).matches(versioned: true, state: .missingFailed))
        #expect(!ValidatePattern(type: .any, state: .future).matches(versioned: true, state: .futureFailed))
        #expect(!ValidatePattern(type: .any, state: .ignored).matches(versioned: true, state: .ignoredBaseline))
    }

    @Test func typeRestrictsToVersionedOrRepeatable() {
        let versioned = ValidatePattern(type: .versioned, state: .missing)
        let repeatable = ValidatePattern(type: .repeatable, state: .missing)
        #expect(versioned.matches(versioned: true, state: .missingSuccess))
        #expect(!versioned.matches(versioned: false, state: .missingSuccess))
        #expect(repeatable.matches(versioned: false, state: .missingSuccess))
        #expect(!repeatable.matches(versioned: true, state: .missingSuccess))
    }

    @Test func matchesInfoEntriesByTheirVersionAndState() throws {
        let row = AppliedMigration(
            installedRank: 1, versionText: "1", description: "gone", type: "SQL", script: "V1__gone.sql",
            checksum: 1)
        let repeatableRow = AppliedMigration(
            installedRank: 2, versionText: nil, description: "view", type: "SQL", script: "R__view.sql", checksum: 2)
        let missingVersioned = MigrationInfo(resolved: nil, applied: row, state: .missingSuccess)
        let missingRepeatable = MigrationInfo(resolved: nil, applied: repeatableRow, state: .missingSuccess)
        let pattern = try ValidatePattern(parsing: "versioned:missing")
        #expect(pattern.matches(missingVersioned))
        #expect(!pattern.matches(missingRepeatable))
    }

    @Test func aStateCountsAsIgnoredOnlyWhenBothKindsAreCovered() throws {
        #expect(try ValidatePattern.parseList("*:pending").ignores(.pending))
        #expect(try ValidatePattern.parseList("versioned:pending,repeatable:pending").ignores(.pending))
        #expect(try !ValidatePattern.parseList("versioned:pending").ignores(.pending))
        #expect(try ValidatePattern.parseList("*:*").ignores(.futureSuccess))
        #expect(try !ValidatePattern.parseList("*:missing").ignores(.futureSuccess))
    }
}
