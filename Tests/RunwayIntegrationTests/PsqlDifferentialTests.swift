import Foundation
import Testing
import RunwayTestSupport

/// Differential test against psql (issue 12): for any script, what is stored, and whether and where it fails, equal
/// what `psql -X -v ON_ERROR_STOP=1 -1 -f` does (non-transactional scripts: without `-1`).
///
/// Each script is applied with psql to one fresh database and with Runway, as the migration `V1__gen.sql`, to
/// another; the test compares whether each failed, the failing line and SQLSTATE, every row of every user table
/// (`flyway_schema_history` aside) and the relations, indexes and functions. psql names the line where the failing
/// statement ends and Runway the line where it starts: the generator writes every failing statement on one line.
///
/// The generated scripts (``ScriptGenerator``) come from consecutive seeds: `RUNWAY_DIFF_SEED` (default 20261121)
/// and `RUNWAY_DIFF_COUNT` (default 150, about 50 s on two cores). Script `n` of a run is the script of seed
/// `RUNWAY_DIFF_SEED + n`, and a failure names its seed, so one script replays alone:
///
///     RUNWAY_DIFF_SEED=20261130 RUNWAY_DIFF_COUNT=1 \
///       scripts/with-postgres.sh swift test --skip-build --filter PsqlDifferentialTests/generatedScript
///
/// Longer local runs: `RUNWAY_DIFF_SEED=$RANDOM RUNWAY_DIFF_COUNT=5000`. Every script that ever disagreed goes,
/// minimised by hand, into ``RegressionCase/all``; on 0c6bcd5, before the rewrite of the statement splitter and
/// executor, all but one of them fail, and so do about one generated script in eight.
@Suite("Runway applies scripts as psql does")
struct PsqlDifferentialTests {
    /// The seeds of this run's generated scripts.
    static let seeds: [UInt64] = {
        let environment = ProcessInfo.processInfo.environment
        let first = environment["RUNWAY_DIFF_SEED"].flatMap { UInt64($0) } ?? 20_261_121
        let count = environment["RUNWAY_DIFF_COUNT"].flatMap { Int($0) } ?? 150
        return (0..<max(count, 0)).map { first &+ UInt64($0) }
    }()

    @Test("a generated script leaves what psql leaves and fails where psql fails", arguments: seeds)
    func generatedScript(seed: UInt64) async throws {
        let script = ScriptGenerator.script(seed: seed)
        let (psql, runway) = try await PsqlDifferential.applyWithBoth(
            script.text, transactional: script.transactional)
        // The oracle itself: psql must stop exactly at the first statement written to fail, or the generator wrote
        // something it did not mean to (and the comparison below would test the wrong thing).
        let expected = script.expectedFailureLine.map(String.init) ?? "none"
        let stoppedAsWritten = psql.failure?.line == script.expectedFailureLine
        #expect(
            stoppedAsWritten,
            Comment(rawValue: "generator bug: psql should stop at line \(expected), but \(psql)\n\(script.text)"))
        let report = PsqlDifferential.report(
            script.text, transactional: script.transactional, psql: psql, runway: runway, seed: seed)
        let agrees = runway == psql
        #expect(agrees, Comment(rawValue: report))
    }

    /// The oracle does not vary: psql's outcome of a script is the same on every run (no timestamps, `random()`,
    /// or anything else that could make two runs differ).
    @Test("psql leaves the same outcome of a generated script twice", arguments: seeds.prefix(8))
    func psqlIsDeterministic(seed: UInt64) async throws {
        let script = ScriptGenerator.script(seed: seed)
        let (first, second) = try await PsqlDifferential.gate.run {
            let first = try await PsqlDifferential.applyWithPsql(script.text, transactional: script.transactional)
            let second = try await PsqlDifferential.applyWithPsql(script.text, transactional: script.transactional)
            return (first, second)
        }
        #expect(first == second, "seed \(seed):\n\(script.text)")
    }

    @Test("a script that once disagreed with psql agrees", arguments: RegressionCase.all)
    func regression(_ regression: RegressionCase) async throws {
        let (script, transactional) = (regression.script, regression.transactional)
        let (psql, runway) = try await PsqlDifferential.applyWithBoth(script, transactional: transactional)
        let report = PsqlDifferential.report(script, transactional: transactional, psql: psql, runway: runway)
        let agrees = runway == psql
        #expect(agrees, Comment(rawValue: report))
    }
}

/// A script on which Runway and psql once disagreed (from issue 12, or found by the generator and minimised).
struct RegressionCase: Sendable, CustomTestStringConvertible {
    var name: String
    var script: String
    /// Whether psql runs it with `-1` (and Runway in a transaction).
    var transactional = true

    var testDescription: String { name }

    static let all: [RegressionCase] = [
        // The four cases of issue 12.
        RegressionCase(
            name: "a lowercase e-string with \\' and a semicolon",
            script: #"""
                CREATE TABLE t (id serial, v text);
                INSERT INTO t(v) SELECT e'it\'s; fine';
                """#),
        RegressionCase(
            name: "standard_conforming_strings off, then 'C:\\temp' and 'it\\'s'",
            script: #"""
                CREATE TABLE t (id serial, v text);
                SET standard_conforming_strings = off;
                INSERT INTO t(v) VALUES ('C:\\temp'), ('it\'s');
                """#),
        RegressionCase(
            name: "COMMIT mid-script, then a failing statement on line 4",
            script: #"""
                CREATE TABLE t (id serial, v text);
                INSERT INTO t(v) VALUES ('committed');
                COMMIT;
                INSERT INTO t(v) VALUES ('autocommitted by psql'); SELECT 1/0;
                """#),
        RegressionCase(
            name: "a statement fails mid-way through the batch",
            script: #"""
                CREATE TABLE t (id serial, v text);
                INSERT INTO t(v) VALUES ('a');
                INSERT INTO t(v) VALUES ((1/0)::text);
                INSERT INTO t(v) VALUES ('never');
                """#),
        // Found by the generator on 0c6bcd5, minimised by hand.
        RegressionCase(
            name: "a lowercase e-string with \\' hides CREATE INDEX CONCURRENTLY",
            script: #"""
                CREATE TABLE t (id serial, v text);
                INSERT INTO t(v) VALUES (e'\';');
                CREATE INDEX CONCURRENTLY i ON t (v);
                """#,
            transactional: false),
        RegressionCase(
            name: "a lowercase e-string with \\' opens a /* comment",
            script: #"""
                CREATE TABLE t (id serial, v text);
                INSERT INTO t(v) VALUES (e'\' /* ');
                """#),
        RegressionCase(
            name: "standard_conforming_strings off: backslash escapes take effect",
            script: #"""
                CREATE TABLE t (id serial, v text);
                SET standard_conforming_strings = off;
                INSERT INTO t(v) VALUES ('C:\\temp'), ('tab\there');
                """#),
        RegressionCase(
            name: "standard_conforming_strings off: \\' inside a string",
            script: #"""
                CREATE TABLE t (id serial, v text);
                SET standard_conforming_strings = off;
                INSERT INTO t(v) VALUES ('it\'s');
                """#),
        RegressionCase(
            name: "standard_conforming_strings off: \\' hides VACUUM",
            script: #"""
                CREATE TABLE t (id serial, v text);
                SET standard_conforming_strings = off;
                INSERT INTO t(v) VALUES ('\'');
                VACUUM t;
                """#,
            transactional: false),
        RegressionCase(
            name: "standard_conforming_strings off: U&'' is an error",
            script: #"""
                CREATE TABLE t (id serial, v text);
                SET standard_conforming_strings = off;
                INSERT INTO t(v) VALUES (U&'\0041');
                """#),
        RegressionCase(
            name: "COMMIT, then a failure without a position: nothing runs twice",
            script: #"""
                CREATE TABLE IF NOT EXISTS t (id serial, v text);
                INSERT INTO t(v) VALUES ('once');
                COMMIT;
                SELECT 1/0;
                """#),
        RegressionCase(
            name: "COMMIT, then a failure: what ran after COMMIT stays",
            script: #"""
                CREATE TABLE t (id serial, v text);
                COMMIT;
                INSERT INTO t(v) VALUES ('autocommitted by psql');
                INSERT INTO missing_table VALUES (1);
                """#),
        RegressionCase(
            name: "COMMIT, then BEGIN and ROLLBACK: what psql autocommitted in between stays",
            script: #"""
                CREATE TABLE t (id serial, v text);
                COMMIT;
                INSERT INTO t(v) VALUES ('autocommitted by psql');
                BEGIN;
                ROLLBACK;
                """#),
    ]
}
