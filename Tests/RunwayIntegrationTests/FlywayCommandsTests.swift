import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("baseline, repair and clean on a real PostgreSQL")
struct FlywayCommandsTests {
    @Test("baseline on a non-empty schema writes Flyway's row; migrate then skips versions at or below it")
    func baselineNonEmptySchema() async throws {
        let db = try TestDatabase("baseline")
        try db.connect().execute("CREATE TABLE legacy (id int)")
        let folder = try MigrationFolder([
            "V1__old.sql": "CREATE TABLE legacy (id int);", "V2__new.sql": "CREATE TABLE added (id int);",
        ])
        let migrator = db.migrator([folder.path])
        let result = try await migrator.baseline()
        #expect(result.successfullyBaselined)
        #expect(try db.history() == ["1|1|<< Flyway Baseline >>|BASELINE|<< Flyway Baseline >>||t"])
        #expect(try await migrator.migrate().migrations.map(\.version) == ["2"])
        #expect(try await migrator.info().migrations.map(\.state) == [.ignoredBaseline, .baseline, .success])
        // A second baseline with the same values is a no-op; a different one is refused.
        #expect(try await migrator.baseline().successfullyBaselined == false)
        let other = db.migrator([folder.path]) { $0.baselineVersion = "5" }
        let error = await #expect(throws: RunwayError.self) { try await other.baseline() }
        #expect(error?.message.contains("as it has already been baselined with (1,<< Flyway Baseline >>)") == true)
    }

    @Test("baselineOnMigrate baselines a non-empty schema without a history table, at baselineVersion")
    func baselineOnMigrate() async throws {
        let db = try TestDatabase("bom")
        try db.connect().execute("CREATE TABLE legacy (id int)")
        let folder = try MigrationFolder(["V3__x.sql": "SELECT 1;", "V4__y.sql": "CREATE TABLE y (id int);"])
        try await db.migrator([folder.path]) {
            $0.baselineOnMigrate = true
            $0.baselineVersion = "3"
            $0.baselineDescription = "legacy"
        }.migrate()
        #expect(
            try db.history() == [
                "1|3|legacy|BASELINE|legacy||t",
                "2|4|y|SQL|V4__y.sql|\(Checksum(text: "CREATE TABLE y (id int);").value)|t",
            ])
    }

    @Test("a B baseline migration is applied to an empty database, lower V migrations are skipped")
    func baselineMigration() async throws {
        let db = try TestDatabase("bmig")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);", "V2__b.sql": "CREATE TABLE b (id int);",
            "B2__base.sql": "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
            "V3__c.sql": "CREATE TABLE c (id int);",
        ])
        try await db.migrator([folder.path]).migrate()
        #expect(
            try db.history() == [
                "1|2|base|SQL_BASELINE|B2__base.sql|-956080171|t",
                "2|3|c|SQL|V3__c.sql|\(Checksum(text: "CREATE TABLE c (id int);").value)|t",
            ])
    }

    @Test("repair after a failed non-transactional migration removes the failed row (Flyway's fixture)")
    func repairFailedNonTransactional() async throws {
        let db = try TestDatabase("repairfail")
        try psql(db, file: try Fixtures.url("failed-nontx/after-failure.sql"))
        let folder = try MigrationFolder()
        try folder.copy(from: try Fixtures.url("failed-nontx/migrations"))
        let result = try await db.migrator([folder.path]).repair()
        #expect(result.repairActions == ["Removed failed migrations"])
        #expect(result.migrationsRemoved.map(\.version) == ["2"])
        #expect(try db.history() == (try Fixtures.lines("failed-nontx/history-after-repair.txt")))
        // After fixing the migration, migrate completes.
        try folder.write("V2__indexes.sql", "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_id_idx ON t (id);\n")
        #expect(try await db.migrator([folder.path]).migrate().migrations.map(\.version) == ["2"])
    }

    @Test("repair realigns an edited file's checksum and description, and marks a missing file deleted")
    func repairEditedAndMissing() async throws {
        let db = try TestDatabase("repairedit")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);", "V2__b.sql": "CREATE TABLE b (id int);",
            "V3__c.sql": "CREATE TABLE c (id int);",
        ])
        try await db.migrator([folder.path]).migrate()
        try folder.write("V1__a.sql", "CREATE TABLE a (id int); -- reviewed")
        try folder.remove("V2__b.sql")
        try folder.write("V2__b_renamed.sql", "CREATE TABLE b (id int);")
        try folder.remove("V3__c.sql")
        try folder.write("V4__d.sql", "SELECT 1;")
        let migrator = db.migrator([folder.path])
        #expect(try await migrator.validate().isValid == false)
        let result = try await migrator.repair()
        #expect(
            result.repairActions == ["Marked missing migrations as deleted", "Aligned applied migration checksums"])
        #expect(result.migrationsDeleted.map(\.version) == ["3"])
        #expect(Set(result.migrationsAligned.map(\.version)) == ["1", "2"])
        let history = try db.history()
        #expect(history[0] == "1|1|a|SQL|V1__a.sql|\(Checksum(text: "CREATE TABLE a (id int); -- reviewed").value)|t")
        #expect(history[1].hasPrefix("2|2|b renamed|SQL|V2__b.sql|"))
        #expect(history[3] == "4|3|c|DELETE|V3__c.sql|\(Checksum(text: "CREATE TABLE c (id int);").value)|t")
        let states = try await migrator.info().migrations.map(\.state)
        #expect(states == [.success, .success, .deleted, .pending])
        #expect(try await migrator.migrate().migrations.map(\.version) == ["4"])
        #expect(try await migrator.validate().isValid)
    }

    @Test("clean is refused by default and changes nothing")
    func cleanRefusedByDefault() async throws {
        let db = try TestDatabase("cleanoff")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        try await db.migrator([folder.path]).migrate()
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).clean() }
        #expect(error?.message.contains("Unable to execute clean as it has been disabled") == true)
        #expect(try db.scalar("SELECT to_regclass('public.a') IS NOT NULL") == "t")
    }

    @Test("clean drops every object in the managed schemas, and the schemas Runway created")
    func cleanDropsEverything() async throws {
        let db = try TestDatabase("clean")
        let folder = try MigrationFolder([
            "V1__objects.sql": """
            CREATE TYPE mood AS ENUM ('ok', 'sad');
            CREATE DOMAIN positive AS int CHECK (VALUE > 0);
            CREATE TABLE t (id serial PRIMARY KEY, m mood, p positive);
            CREATE TABLE child (id int REFERENCES t (id));
            CREATE VIEW v AS SELECT * FROM t;
            CREATE MATERIALIZED VIEW mv AS SELECT * FROM t;
            CREATE SEQUENCE s;
            CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'SELECT a';
            CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1';
            CREATE TYPE pair AS (a int, b int);
            CREATE TABLE other.o (id int);
            """
        ])
        let migrator = db.migrator([folder.path]) {
            $0.schemas = ["public", "other"]
            $0.cleanDisabled = false
        }
        try await migrator.migrate()
        let result = try await migrator.clean()
        #expect(result.schemasCleaned == ["public"])
        #expect(result.schemasDropped == ["other"])
        let leftovers = try db.scalar(
            """
            SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public')
                 + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public')
                 + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public')
            """)
        #expect(leftovers == "0")
        #expect(try db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('public', 'other')") == "1")
        // The database can be migrated again from scratch.
        #expect(try await migrator.migrate().migrationsExecuted == 1)
    }
}
