import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import Testing
import RunwayTestSupport

@testable import Runway

/// `validate --offline`, `--base`, `--scratch` and the CI output formats, through the built binary.
@Suite("migrate validate for CI")
struct CIValidateTests {
    let noDatabase = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]

    func offline(_ folder: MigrationFolder, _ extra: [String] = []) async throws -> RunOutput {
        try await runMigrate(["validate", "--offline", "--locations", folder.path] + extra, environment: noDatabase)
    }

    @Test("a clean set of migrations passes offline, with no database configured")
    func passes() async throws {
        let folder = try MigrationFolder([
            "V1__create.sql": "CREATE TABLE t (id int);\nCREATE INDEX t_idx ON t (id);",
            "V2__more.sql": "SET lock_timeout = '5s';\nALTER TABLE t ADD COLUMN note text;",
            "R__view.sql": "CREATE OR REPLACE VIEW v AS SELECT ${x} AS x;",
        ])
        let output = try await offline(folder, ["--placeholder", "x=1"])
        #expect(output.status == 0, "\(output.all)")
        #expect(output.stdout.contains("3 migration(s) checked, 0 error(s)"))
    }

    @Test(
        "each broken input fails offline, naming the file (and line)",
        arguments: [
            ("V2__unterminated.sql", "SELECT 1;\nSELECT 'oops;\n", "UNTERMINATED_SQL", "V2__unterminated.sql:2"),
            ("V2__dollar.sql", "DO $body$ BEGIN NULL; END;\n", "UNTERMINATED_SQL", "V2__dollar.sql:1"),
            ("V2__comment.sql", "SELECT 1;\n/* open /* nested */\n", "UNTERMINATED_SQL", "V2__comment.sql:2"),
            ("V2__ident.sql", "SELECT \"x FROM t;\n", "UNTERMINATED_SQL", "V2__ident.sql:1"),
            ("V2__placeholder.sql", "SELECT ${missing};", "UNDEFINED_PLACEHOLDER", "V2__placeholder.sql"),
            (
                "V2__mixed.sql", "CREATE TABLE m (id int);\nCREATE INDEX CONCURRENTLY m_idx ON m (id);",
                "MIXED_TRANSACTIONALITY", "V2__mixed.sql:2"
            ),
            ("V1.0__dup.sql", "SELECT 1;", "DUPLICATE_VERSION", "V1.0__dup.sql"),
        ])
    func fails(name: String, text: String, code: String, location: String) async throws {
        let folder = try MigrationFolder(["V1__ok.sql": "SELECT 1;"])
        try folder.write(name, text)
        let output = try await offline(folder)
        #expect(output.status == 1, "\(output.all)")
        #expect(output.stdout.contains("[\(code)]"), "\(output.stdout)")
        #expect(output.stdout.contains(location), "\(output.stdout)")
    }

    @Test("names migrate skips are warnings offline and in lint, errors with --validate-migration-naming")
    func invalidNamesFollowValidateMigrationNaming() async throws {
        // Files kept beside migrations in real projects; Flyway 12.0.2 migrates this folder and reports "3 SQL
        // migrations were detected but not run" (Fixtures/flyway-12/naming/README.md).
        let folder = try MigrationFolder([
            "V1__ok.sql": "SELECT 1;", "update-sequences.sql": "SELECT 1;", "rollback/1_drop_a.sql": "SELECT 1;",
            "v2__lower.sql": "SELECT 1;",
        ])
        let names = ["update-sequences.sql", "1_drop_a.sql", "v2__lower.sql"]
        let lenient = try await offline(folder)
        #expect(lenient.status == 0, "\(lenient.all)")
        #expect(lenient.stdout.contains("warning: [INVALID_NAME]"), "\(lenient.stdout)")
        for name in names { #expect(lenient.stdout.contains(name), "\(lenient.stdout)") }
        #expect(!lenient.stdout.contains("error: [INVALID_NAME]"), "\(lenient.stdout)")
        let lint = try await runMigrate(["lint", "--locations", folder.path], environment: noDatabase)
        #expect(lint.status == 0, "\(lint.all)")

        let strict = try await offline(folder, ["--validate-migration-naming"])
        #expect(strict.status == 1, "\(strict.all)")
        for name in names { #expect(strict.stdout.contains(name), "\(strict.stdout)") }
        #expect(strict.stdout.contains("error: [INVALID_NAME]"), "\(strict.stdout)")
        let strictLint = try await runMigrate(
            ["lint", "--locations", folder.path, "-validateMigrationNaming=true"], environment: noDatabase)
        #expect(strictLint.status == 1, "\(strictLint.all)")
    }

    @Test("invalid UTF-8 and a bad .sql.conf fail offline")
    func encodingAndConf() async throws {
        let folder = try MigrationFolder([
            "V1__ok.sql": "SELECT 1;", "V2__c.sql": "SELECT 2;", "V2__c.sql.conf": "bogus=1\n",
        ])
        try Data([0x53, 0xFF]).write(to: URL(fileURLWithPath: folder.path + "/V3__bin.sql"))
        let output = try await offline(folder)
        #expect(output.status == 1)
        #expect(output.stdout.contains("V3__bin.sql:1: error: [INVALID_ENCODING]"))
        #expect(output.stdout.contains("[SCRIPT_CONFIG]"))
    }

    @Test("findings are classified by what failed, never by words in a path or a message")
    func classifiedByKind() async throws {
        // A folder named "repeatable" holding a duplicate version, and a .sql.conf whose bad value is not worded
        // "script config".
        let folder = try MigrationFolder([
            "V1__ok.sql": "SELECT 1;", "repeatable/V1__again.sql": "SELECT 1;",
            "V2__c.sql": "SELECT 2;", "V2__c.sql.conf": "executeInTransaction=maybe\n",
        ])
        let output = try await offline(folder)
        #expect(output.status == 1)
        #expect(output.stdout.contains("[DUPLICATE_VERSION]"), "\(output.stdout)")
        #expect(!output.stdout.contains("[DUPLICATE_DESCRIPTION]"), "\(output.stdout)")
        #expect(output.stdout.contains("V2__c.sql.conf: error: [SCRIPT_CONFIG]"), "\(output.stdout)")
        #expect(!output.stdout.contains("[INVALID_ENCODING]"), "\(output.stdout)")
    }

    @Test("lint findings are warnings by default and errors with --lint-error")
    func lintSeverity() async throws {
        let folder = try MigrationFolder([
            "V1__t.sql": "CREATE TABLE t (id int);", "V2__idx.sql": "CREATE INDEX t_idx ON t (id);",
        ])
        let warning = try await offline(folder)
        #expect(warning.status == 0)
        #expect(warning.stdout.contains("V2__idx.sql:1: warning: [create-index-not-concurrently]"))
        let error = try await offline(folder, ["--lint-error", "create-index-not-concurrently"])
        #expect(error.status == 1)
        let lint = try await runMigrate(
            ["lint", "--locations", folder.path, "--output", "json"], environment: noDatabase)
        #expect(lint.status == 0)
        let object = try #require(JSONSerialization.jsonObject(with: Data(lint.stdout.utf8)) as? [String: Any])
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(
            findings.contains { $0["code"] as? String == "create-index-not-concurrently" && $0["line"] as? Int == 1 })
    }

    @Test("GitHub annotations and JUnit XML name file and line")
    func ciFormats() async throws {
        let folder = try MigrationFolder(["V1__ok.sql": "SELECT 1;", "V2__bad.sql": "SELECT 1;\nSELECT 'x;\n"])
        let github = try await offline(folder, ["--output", "github"])
        #expect(github.status == 1)
        #expect(
            github.stdout.contains(
                "::error file=V2__bad.sql,line=2,title=UNTERMINATED_SQL::Unterminated string literal"))
        let junit = try await offline(folder, ["--output", "junit"])
        #expect(junit.status == 1)
        let document = try XMLDocument(data: Data(junit.stdout.utf8))
        let failures = try document.nodes(forXPath: "//testcase/failure")
        #expect(failures.count == 1)
        let testcase = try #require(try document.nodes(forXPath: "//testcase[failure]").first as? XMLElement)
        #expect(testcase.attribute(forName: "file")?.stringValue == "V2__bad.sql")
        #expect(testcase.attribute(forName: "line")?.stringValue == "2")
    }

    @Test(
        "--base: edited and deleted released migrations, clashing and out-of-order versions fail; CRLF-only and higher versions pass"
    )
    func gitBase() async throws {
        let repo = try MigrationFolder([
            "db/migrations/V1__a.sql": "CREATE TABLE a (id int);\n",
            "db/migrations/V2__b.sql": "CREATE TABLE b (id int);\n",
            "db/migrations/V3__c.sql": "CREATE TABLE c (id int);\n", "db/migrations/R__v.sql": "SELECT 1;\n",
        ])
        let git = { (command: String) throws in
            _ = try TestCluster.shell(
                "cd \(TestCluster.singleQuoted(repo.path)) && git -c user.name=t -c user.email=t@example.com \(command)"
            )
        }
        try git("init -q -b main")
        try git("add -A")
        try git("commit -q -m base")
        try git("checkout -q -b feature")
        let locations = ["--locations", repo.path + "/db/migrations"]
        func validate() async throws -> RunOutput {
            try await runMigrate(
                ["validate", "--offline", "--base", "main"] + locations, environment: noDatabase, directory: repo.path)
        }
        // CRLF-only change, a changed repeatable and a new higher version: fine.
        try repo.write("db/migrations/V1__a.sql", "CREATE TABLE a (id int);\r\n")
        try repo.write("db/migrations/R__v.sql", "SELECT 2;\n")
        try repo.write("db/migrations/V4__d.sql", "CREATE TABLE d (id int);\n")
        let ok = try await validate()
        #expect(ok.status == 0, "\(ok.all)")
        // Edited, deleted, clashing and out-of-order.
        try repo.write("db/migrations/V2__b.sql", "CREATE TABLE b (id bigint);\n")
        try repo.remove("db/migrations/V3__c.sql")
        try repo.write("db/migrations/V1_5__late.sql", "SELECT 1;\n")
        let bad = try await validate()
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("[CHANGED_AFTER_RELEASE] Migration 2 was edited after release"))
        #expect(bad.stdout.contains("[DELETED_AFTER_RELEASE] Migration 3 (db/migrations/V3__c.sql)"))
        #expect(
            bad.stdout.contains(
                "[OUT_OF_ORDER] New migration db/migrations/V1_5__late.sql (version 1.5) sorts below db/migrations/V3__c.sql"
            ))
        let missing = try await runMigrate(
            ["validate", "--offline", "--base", "origin/nope"] + locations, environment: noDatabase,
            directory: repo.path)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("Base revision 'origin/nope' not found"))
    }

    @Test("--scratch applies everything to a scratch database on the configured server and drops it")
    func scratchOnServer() async throws {
        let db = try TestDatabase("scratch")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);", "V2__b.sql": "INSERT INTO a VALUES (1);",
        ])
        let ok = try await runMigrate(
            ["validate", "--scratch", "--locations", folder.path], environment: db.environment)
        #expect(ok.status == 0, "\(ok.all)")
        #expect(ok.stdout.contains("applied V1__a.sql in"))
        #expect(ok.stdout.contains("applied V2__b.sql in"))
        // This run's scratch database (named in its log) is gone; other tests' scratch databases may come and go.
        let scratch = try #require(ok.stderr.firstMatch(of: /runway_scratch_[0-9a-f]{8}/).map { String($0.0) })
        #expect(try db.scalar("SELECT count(*) FROM pg_database WHERE datname = '\(scratch)'") == "0")
        #expect(try db.scalar("SELECT to_regclass('public.flyway_schema_history') IS NULL") == "t")
        try folder.write("V3__bad.sql", "SELECT 1;\nINSERT INTO missing VALUES (1);")
        let bad = try await runMigrate(
            ["validate", "--scratch", "--locations", folder.path], environment: db.environment)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("V3__bad.sql:2: error: [MIGRATION_FAILED]"))
    }
}
