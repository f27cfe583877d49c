import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("migration options on a real PostgreSQL")
struct MigrationOptionsTests {
    @Test("callbacks fire in Flyway's order, each-migration callbacks inside the migration's transaction")
    func callbackOrder() async throws {
        let db = try TestDatabase("callbacks")
        try db.connect().execute("CREATE SCHEMA audit; CREATE TABLE audit.events (n serial, event text)")
        let record = { (event: String) in
            "INSERT INTO audit.events (event) VALUES ('\(event)' || coalesce(' ' || nullif(current_setting('runway.m', true), ''), ''));"
        }
        var files: [String: String] = [
            "V1__a.sql": "SELECT set_config('runway.m', 'V1', true);",
            "V2__b.sql": "SELECT set_config('runway.m', 'V2', true);",
            "R__r.sql": "SELECT set_config('runway.m', 'R', true);",
        ]
        for event in [
            "beforeMigrate", "beforeEachMigrate", "afterEachMigrate", "afterVersioned", "beforeRepeatables",
            "afterMigrateApplied", "afterMigrate", "beforeValidate", "afterValidate", "afterConnect",
        ] {
            files["\(event).sql"] = record(event)
        }
        files["callbacks/afterMigrate__second.sql"] = record("afterMigrate second")
        let folder = try MigrationFolder(files)
        try await db.migrator([folder.path]).migrate()
        let events = try db.rows("SELECT event FROM audit.events ORDER BY n").map { $0[0] ?? "" }
        #expect(
            events == [
                "afterConnect", "beforeValidate", "afterValidate", "beforeMigrate",
                "beforeEachMigrate", "afterEachMigrate V1", "beforeEachMigrate", "afterEachMigrate V2",
                "afterVersioned", "beforeRepeatables", "beforeEachMigrate", "afterEachMigrate R",
                "afterMigrateApplied", "afterMigrate", "afterMigrate second",
            ])
    }

    @Test("afterMigrateError fires when a migration fails; the failed migration's callbacks roll back with it")
    func afterMigrateError() async throws {
        let db = try TestDatabase("cberror")
        try db.connect().execute("CREATE SCHEMA audit; CREATE TABLE audit.events (n serial, event text)")
        let folder = try MigrationFolder([
            "V1__bad.sql": "SELECT * FROM nope;",
            "beforeEachMigrate.sql": "INSERT INTO audit.events (event) VALUES ('beforeEachMigrate');",
            "afterMigrateError.sql": "INSERT INTO audit.events (event) VALUES ('afterMigrateError');",
            "afterMigrate.sql": "INSERT INTO audit.events (event) VALUES ('afterMigrate');",
        ])
        await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(try db.rows("SELECT event FROM audit.events ORDER BY n") == [["afterMigrateError"]])
    }

    @Test("a .sql.conf side file sets executeInTransaction, placeholderReplacement and encoding per script")
    func scriptConfig() async throws {
        let db = try TestDatabase("scriptconf")
        let folder = try MigrationFolder([
            "V1__t.sql": "CREATE TABLE t (id int);",
            "V2__enum_and_index.sql": "CREATE TABLE u (id int);\nCREATE INDEX CONCURRENTLY u_idx ON u (id);",
            "V2__enum_and_index.sql.conf": "executeInTransaction=false\n",
        ])
        let result = try await db.migrator([folder.path]).migrate()
        #expect(result.migrations.map(\.transactional) == [true, false])
        // placeholderReplacement=false and encoding per script.
        let perScript = try MigrationFolder([
            "V1__literal.sql": "CREATE TABLE lit AS SELECT '${not_a_placeholder}'::text AS v;",
            "V1__literal.sql.conf": "placeholderReplacement=false\n",
            "V2__latin.sql.conf": "encoding=ISO-8859-1\n",
        ])
        try "CREATE TABLE latin AS SELECT 'caf\u{E9}'::text AS v;".data(using: .isoLatin1)!.write(
            to: URL(fileURLWithPath: perScript.path + "/V2__latin.sql"))
        let other = try TestDatabase("scriptconf2")
        try await other.migrator([perScript.path]).migrate()
        #expect(try other.scalar("SELECT v FROM lit") == "${not_a_placeholder}")
        #expect(try other.scalar("SELECT v FROM latin") == "caf\u{E9}")
        let bad = try MigrationFolder(["V1__x.sql": "SELECT 1;", "V1__x.sql.conf": "shouldRun=true\n"])
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([bad.path]).info() }
        #expect(error?.message.contains("Unknown script config parameter 'shouldRun'") == true)
    }

    @Test("encoding: an ISO-8859-1 file is read with encoding=ISO-8859-1 and checksummed over its text")
    func encoding() async throws {
        let db = try TestDatabase("encoding")
        let folder = try MigrationFolder()
        let text = "CREATE TABLE t (name text DEFAULT 'caf\u{E9}');\n"
        try text.data(using: .isoLatin1)!.write(to: URL(fileURLWithPath: folder.path + "/V1__latin.sql"))
        let utf8Error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(utf8Error?.file == "V1__latin.sql")
        try await db.migrator([folder.path]) { $0.encoding = "ISO-8859-1" }.migrate()
        #expect(try db.history() == ["1|1|latin|SQL|V1__latin.sql|\(Checksum(text: text).value)|t"])
    }

    @Test("group applies all pending migrations in one transaction: one failure rolls back all")
    func group() async throws {
        let db = try TestDatabase("group")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);", "V2__b.sql": "CREATE TABLE b (id int);",
            "V3__bad.sql": "SELECT * FROM nope;",
        ])
        await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]) { $0.group = true }.migrate() }
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history") == "0")
        #expect(try db.scalar("SELECT to_regclass('public.a') IS NULL") == "t")
        try folder.write("V3__bad.sql", "SELECT 1;")
        #expect(try await db.migrator([folder.path]) { $0.group = true }.migrate().migrationsExecuted == 3)
    }

    @Test("target next applies one migration; target current applies none; skipExecutingMigrations records only")
    func targetsAndSkip() async throws {
        let db = try TestDatabase("targets")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);", "V2__b.sql": "CREATE TABLE b (id int);",
        ])
        #expect(try await db.migrator([folder.path]) { $0.target = .next }.migrate().migrations.map(\.version) == ["1"])
        #expect(try await db.migrator([folder.path]) { $0.target = .current }.migrate().migrationsExecuted == 0)
        let skipped = try await db.migrator([folder.path]) { $0.skipExecutingMigrations = true }.migrate()
        #expect(skipped.migrations.map(\.version) == ["2"])
        #expect(try db.scalar("SELECT to_regclass('public.b') IS NULL") == "t")
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history") == "2")
    }

    @Test("a target version that does not exist is an error unless it ends with ?")
    func missingTarget() async throws {
        let db = try TestDatabase("badtarget")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;"])
        let error = await #expect(throws: RunwayError.self) {
            try await db.migrator([folder.path]) { $0.target = try! MigrationTarget(parsing: "7") }.migrate()
        }
        #expect(error?.message.contains("No migration with a target version 7 could be found") == true)
        let ok = try await db.migrator([folder.path]) { $0.target = try! MigrationTarget(parsing: "7?") }.migrate()
        #expect(ok.migrationsExecuted == 1)
    }

    @Test("initSql runs on every connection before the migrations")
    func initSql() async throws {
        let db = try TestDatabase("initsql")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a AS SELECT current_setting('app.tenant') AS tenant;"
        ])
        try await db.migrator([folder.path]) { $0.initSql = "SET app.tenant = 'acme'" }.migrate()
        #expect(try db.scalar("SELECT tenant FROM a") == "acme")
    }

    @Test("placeholders: built-ins and custom prefix/suffix; placeholderReplacement=false leaves the text alone")
    func placeholders() async throws {
        let db = try TestDatabase("placeholders")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a AS SELECT '${flyway:user}' AS u, '${flyway:database}' AS d, "
                + "'${flyway:defaultSchema}' AS s, '${flyway:table}' AS t, '${flyway:filename}' AS f, '#[x]' AS x;"
        ])
        try await db.migrator([folder.path]) {
            $0.placeholders = ["X": "custom"]; $0.placeholderPrefix = "#["; $0.placeholderSuffix = "]"
        }
        .migrate()
        #expect(
            try db.rows("SELECT u, d, s, t, f, x FROM a") == [
                [
                    "${flyway:user}", "${flyway:database}", "${flyway:defaultSchema}", "${flyway:table}",
                    "${flyway:filename}", "custom",
                ]
            ])
        let second = try TestDatabase("placeholders2")
        try await second.migrator([folder.path]) { $0.placeholders = ["x": "v"] }.migrate()
        #expect(
            try second.rows("SELECT u, d, s, t, f, x FROM a") == [
                [second.endpoint.user, second.name, "public", "flyway_schema_history", "V1__a.sql", "#[x]"]
            ])
        let third = try TestDatabase("placeholders3")
        try await third.migrator([folder.path]) { $0.placeholderReplacement = false }.migrate()
        #expect(try third.scalar("SELECT u FROM a") == "${flyway:user}")
    }

    @Test("placeholderSeparator names the built-ins: ${flyway_user} with _, as Flyway")
    func placeholderSeparator() async throws {
        let db = try TestDatabase("placeholdersep")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a AS SELECT '${flyway_user}' AS u, '${flyway_database}' AS d, "
                + "'${flyway_defaultSchema}' AS s, '${flyway_table}' AS t, '${flyway_filename}' AS f;",
            "R__r.sql": "CREATE OR REPLACE VIEW r AS SELECT '${flyway_filename}'::text AS f;",
        ])
        try await db.migrator([folder.path]) { $0.placeholderSeparator = "_" }.migrate()
        #expect(
            try db.rows("SELECT u, d, s, t, f FROM a") == [
                [db.endpoint.user, db.name, "public", "flyway_schema_history", "V1__a.sql"]
            ])
        #expect(try db.scalar("SELECT f FROM r") == "R__r.sql")
        // With the default separator the same names are ordinary placeholders without a value.
        let other = try TestDatabase("placeholdersep2")
        let error = await #expect(throws: RunwayError.self) { try await other.migrator([folder.path]).migrate() }
        #expect(error?.message.contains("No value provided for placeholder: ${flyway_") == true)
    }
}
