import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// `migrate --dry-run`, `--dry-run-output` and Flyway's `-dryRunOutput=` / `-cherryPick=` through the binary.
@Suite("dry run and cherry-pick from the command line (built binary, real PostgreSQL)")
struct DryRunCLITests {
    @Test("--dry-run-output, -dryRunOutput= and --dry-run write the script and change nothing")
    func writesTheScriptAndChangesNothing() async throws {
        let db = try TestDatabase("dryruncli")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);", "V2__b.sql": "INSERT INTO a VALUES (1);",
        ])
        let output = try MigrationFolder()
        for (flags, file) in [
            (["--dry-run-output", output.path + "/one.sql"], "one.sql"),
            (["-dryRunOutput=" + output.path + "/two.sql"], "two.sql"),
        ] {
            let run = try await runMigrate(
                ["migrate", "--locations", folder.path] + flags, environment: db.environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("Dry run: 2 migrations would be applied"), "\(run.stdout)")
            let script = try output.text(file)
            #expect(
                script.contains("CREATE TABLE a (id int);")
                    && script.contains("INSERT INTO \"public\".\"flyway_schema_history\""))
        }
        let toStdout = try await runMigrate(
            ["migrate", "--locations", folder.path, "--dry-run"], environment: db.environment)
        #expect(toStdout.status == 0)
        #expect(toStdout.stdout.hasPrefix("-- Runway dry run of migrate"))
        #expect(
            try db.scalar("SELECT to_regclass('flyway_schema_history') IS NULL AND to_regclass('a') IS NULL") == "t")
        let unwritable = try await runMigrate(
            ["migrate", "--locations", folder.path, "--dry-run-output", "/nonexistent/dir/x.sql"],
            environment: db.environment)
        #expect(unwritable.status == 2 && unwritable.stderr.contains("/nonexistent/dir/x.sql"))
    }

    @Test("-cherryPick= and --cherry-pick apply only the named migrations")
    func cherryPick() async throws {
        let db = try TestDatabase("cherrycli")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);", "V2__b.sql": "CREATE TABLE b (id int);",
            "V3__c.sql": "CREATE TABLE c (id int);",
        ])
        let first = try await runMigrate(
            ["migrate", "--locations", folder.path, "-cherryPick=1"], environment: db.environment)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await runMigrate(
            ["migrate", "--locations", folder.path, "--cherry-pick", "2"], environment: db.environment)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(
            try db.scalar("SELECT string_agg(version, ',' ORDER BY installed_rank) FROM flyway_schema_history") == "1,2"
        )
        let unknown = try await runMigrate(
            ["migrate", "--locations", folder.path, "--cherry-pick", "7"], environment: db.environment)
        #expect(unknown.status == 2 && unknown.stderr.contains("cherryPick names \"7\""), "\(unknown.stderr)")
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history") == "2")
    }
}
