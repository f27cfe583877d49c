import Testing

@testable import Runway

@Suite("SQLState: PostgreSQL error codes")
struct SQLStateTests {
    @Test(
        "the constants are PostgreSQL's codes for their condition names",
        arguments: [
            (SQLState.lockNotAvailable, "55P03"), (.adminShutdown, "57P01"), (.crashShutdown, "57P02"),
            (.cannotConnectNow, "57P03"), (.idleSessionTimeout, "57P05"), (.queryCanceled, "57014"),
            (.invalidTextRepresentation, "22P02"), (.undefinedTable, "42P01"), (.invalidPassword, "28P01"),
            (.invalidAuthorizationSpecification, "28000"), (.uniqueViolation, "23505"), (.divisionByZero, "22012"),
            (.connectionFailure, "08006"),
        ])
    func codes(state: SQLState, code: String) {
        #expect(state.rawValue == code)
        #expect(state == SQLState(rawValue: code))
        #expect("\(state)" == code)
    }

    @Test(
        "class 08 and the operator interventions that end a session end it; other errors do not",
        arguments: [
            ("08000", true), ("08006", true), ("08P01", true), ("57P01", true), ("57P02", true), ("57P03", true),
            ("57P05", true), ("57P04", false), ("57014", false), ("55P03", false), ("42P01", false), ("", false),
        ])
    func sessionEnding(code: String, ends: Bool) {
        let state = SQLState(rawValue: code)
        #expect(state.endsSession == ends)
        #expect(state.isConnectionException == code.hasPrefix("08"))
        #expect(RunwayError(.database, "x", sqlState: state).endedSession == ends)
    }

    @Test("an error's SQLSTATE compares with constants and literals, and prints as the code")
    func onErrors() {
        let error = RunwayError(.migrationFailed, "lock timeout", sqlState: .lockNotAvailable)
        #expect(error.sqlState == .lockNotAvailable)
        #expect(error.sqlState == "55P03")
        #expect(error.sqlState?.errorClass == "55")
        #expect(error.description == "lock timeout\nSQL State  : 55P03")
    }
}
