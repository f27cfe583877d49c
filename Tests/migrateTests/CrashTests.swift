import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// `kill -9` of the runner at random moments during a run of many migrations.
@Suite("crash at any point")
struct CrashTests {
    @Test(
        "30 trials of kill -9 at a random moment: nothing half-applied, history agrees, lock free, re-run completes",
        .timeLimit(.minutes(6)))
    func killNine() async throws {
        let count = 40
        var files: [String: String] = [:]
        for i in 1...count {
            // Three effects per migration: a table, a row in it, and a mark elsewhere. Half-applied would show as
            // one without the others.
            files["V\(i)__step.sql"] = """
                CREATE TABLE m\(i) (id int);
                INSERT INTO m\(i) VALUES (\(i));
                SELECT pg_sleep(0.01);
                INSERT INTO marks.applied VALUES (\(i));
                """
        }
        let folder = try MigrationFolder(files)
        var generator = SystemRandomNumberGenerator()
        var killedMidRun = 0
        for trial in 1...30 {
            let db = try TestDatabase("crash\(trial)")
            try db.connect().execute("CREATE SCHEMA marks; CREATE TABLE marks.applied (version int PRIMARY KEY)")
            let running = try startMigrate(
                ["migrate", "--locations", folder.path, "--schemas", "public"], environment: db.environment)
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...1_000, using: &generator)))
            kill(running.processIdentifier, SIGKILL)
            let output = await running.finish()
            if output.status != 0 { killedMidRun += 1 }
            try await checkInvariants(db, trial: trial)
            let rerun = try await runMigrate(
                ["migrate", "--locations", folder.path, "--schemas", "public"], environment: db.environment)
            #expect(rerun.status == 0, "trial \(trial): \(rerun.stderr)")
            try await checkInvariants(db, trial: trial)
            #expect(try db.scalar("SELECT count(*) FROM marks.applied") == "\(count)", "trial \(trial)")
        }
        #expect(killedMidRun > 0)
        print("crash trials: 30 kill -9, \(killedMidRun) of them mid-run; invariants held and re-runs completed")
    }

    /// Every applied migration has all three effects and a success row; every table has its row; the lock is free.
    func checkInvariants(_ db: TestDatabase, trial: Int) async throws {
        let connection = try db.connect()
        // The server ends the killed session once it sees the closed socket; the lock is then free.
        try await eventually(10) {
            try connection.execute("SELECT pg_try_advisory_lock(77433833903597)").scalar == "t"
        }
        try connection.execute("SELECT pg_advisory_unlock(77433833903597)")
        guard try connection.execute("SELECT to_regclass('public.flyway_schema_history') IS NOT NULL").scalar == "t"
        else {
            #expect(try connection.execute("SELECT count(*) FROM marks.applied").scalar == "0", "trial \(trial)")
            return
        }
        let history =
            try connection.execute(
                """
                SELECT coalesce(string_agg(version, ',' ORDER BY version::int), '') FROM flyway_schema_history
                WHERE type = 'SQL' AND success
                """
            ).scalar ?? ""
        let tables =
            try connection.execute(
                """
                SELECT coalesce(string_agg(substr(relname, 2), ',' ORDER BY substr(relname, 2)::int), '') FROM pg_class
                WHERE relname ~ '^m[0-9]+$' AND relkind = 'r'
                """
            ).scalar ?? ""
        let marks =
            try connection.execute(
                "SELECT coalesce(string_agg(version::text, ',' ORDER BY version), '') FROM marks.applied"
            ).scalar ?? ""
        let failed = try connection.execute("SELECT count(*) FROM flyway_schema_history WHERE NOT success").scalar
        #expect(history == tables, "trial \(trial): history \(history) vs tables \(tables)")
        #expect(history == marks, "trial \(trial): history \(history) vs marks \(marks)")
        #expect(failed == "0", "trial \(trial)")
    }
}
