import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("migrate against a real PostgreSQL")
struct MigrateTests {
    @Test("applies versioned then repeatable migrations and writes Flyway's rows")
    func appliesAndRecordsRows() async throws {
        let db = try TestDatabase("apply")
        let folder = try MigrationFolder([
            "V1__create_a.sql": "CREATE TABLE a (id int);\n",
            "sub/V1_1__add_b.sql": "CREATE TABLE b (id int);\n",
            "V2__c.sql": "CREATE TABLE c (id int);\n",
            "R__view.sql": "CREATE OR REPLACE VIEW v AS SELECT ${x} AS x;\n",
        ])
        let result = try await db.migrator([folder.path]) { $0.placeholders = ["x": "42"] }.migrate()
        #expect(result.migrationsExecuted == 4)
        #expect(result.initialSchemaVersion == nil)
        #expect(result.targetSchemaVersion == "2")
        #expect(
            try db.history() == [
                "1|1|create a|SQL|V1__create_a.sql|-623083431|t",
                "2|1.1|add b|SQL|sub/V1_1__add_b.sql|1128195672|t",
                "3|2|c|SQL|V2__c.sql|-2102380136|t",
                // Repeatable checksum over the placeholder-replaced text (Flyway §2.2 vector).
                "4||view|SQL|R__view.sql|-946010551|t",
            ])
        #expect(try db.scalar("SELECT x FROM v") == "42")
        let installedBy = try db.rows("SELECT DISTINCT installed_by FROM flyway_schema_history")
        #expect(installedBy == [[db.endpoint.user]])
    }

    @Test("a second run applies nothing and leaves the history unchanged")
    func idempotentRerun() async throws {
        let db = try TestDatabase("rerun")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);", "R__r.sql": "CREATE OR REPLACE VIEW r AS SELECT 1 AS one;",
        ])
        let migrator = db.migrator([folder.path])
        #expect(try await migrator.migrate().migrationsExecuted == 2)
        let before = try db.history()
        let again = try await migrator.migrate()
        #expect(again.migrationsExecuted == 0)
        #expect(again.initialSchemaVersion == "1")
        #expect(try db.history() == before)
    }

    @Test("an edited repeatable is re-applied and the old row becomes superseded")
    func repeatableReapplied() async throws {
        let db = try TestDatabase("repeat")
        let folder = try MigrationFolder(["R__r.sql": "CREATE OR REPLACE VIEW r AS SELECT 1 AS one;"])
        let migrator = db.migrator([folder.path])
        try await migrator.migrate()
        try folder.write("R__r.sql", "CREATE OR REPLACE VIEW r AS SELECT 2 AS one;")
        #expect(try await migrator.migrate().migrationsExecuted == 1)
        #expect(try db.scalar("SELECT one FROM r") == "2")
        let states = try await migrator.info().migrations.map(\.state)
        #expect(states == [.superseded, .success])
    }

    @Test("a failing transactional migration leaves nothing behind and names file, line and SQLSTATE")
    func failingMigrationRollsBack() async throws {
        let db = try TestDatabase("fail")
        let folder = try MigrationFolder([
            "V1__ok.sql": "CREATE TABLE ok (id int);",
            "V2__bad.sql":
                "CREATE TABLE half (id int);\nINSERT INTO half VALUES (1);\n\nSELECT *\n  FROM no_such_table;\n",
            "V3__later.sql": "CREATE TABLE later (id int);",
        ])
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(error?.code == .migrationFailed)
        #expect(error?.file == "V2__bad.sql")
        #expect(error?.line == 5)
        #expect(error?.sqlState == "42P01")
        #expect(error?.message.contains("no_such_table") == true)
        #expect(error?.message.contains("rolled back") == true)
        #expect(try db.history() == ["1|1|ok|SQL|V1__ok.sql|\(Checksum(text: "CREATE TABLE ok (id int);").value)|t"])
        #expect(try db.scalar("SELECT to_regclass('public.half') IS NULL") == "t")
        #expect(try db.scalar("SELECT to_regclass('public.later') IS NULL") == "t")
    }

    @Test("a failing non-transactional migration records a failed row that blocks the next run")
    func failingNonTransactionalMigration() async throws {
        let db = try TestDatabase("nontx")
        let fixture = try Fixtures.url("failed-nontx/migrations")
        let folder = try MigrationFolder()
        try folder.copy(from: fixture)
        let migrator = db.migrator([folder.path])
        await #expect(throws: RunwayError.self) { try await migrator.migrate() }
        // The rows Flyway 12 wrote in the same situation (with postgresql.transactional.lock=false).
        #expect(try db.history() == (try Fixtures.lines("failed-nontx/history-after-failure.txt")))
        #expect(try db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 't_id_idx'") == "1")
        let again = await #expect(throws: RunwayError.self) { try await migrator.migrate() }
        #expect(again?.message.contains("Detected failed migration to version 2 (indexes)") == true)
    }

    @Test("statement splitting: dollar quotes, nested comments, E strings, BEGIN ATOMIC and COPY data")
    func parserConstructsRunOnTheServer() async throws {
        let db = try TestDatabase("parse")
        let folder = try MigrationFolder([
            "V1__constructs.sql": #"""
            /* outer /* nested ; */ still comment ; */
            CREATE TABLE t (id int PRIMARY KEY, note text);
            CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $fn$
            BEGIN
              RETURN $q$a;b$q$;
            END;
            $fn$;
            CREATE FUNCTION g(i int) RETURNS int LANGUAGE sql
            BEGIN ATOMIC
              SELECT CASE WHEN i > 0 THEN 1 ELSE 0 END;
            END;
            INSERT INTO t VALUES (1, E'it\'s; fine');
            COPY t (id, note) FROM STDIN;
            2	two; with semicolon
            3	three
            \.
            DO $$ BEGIN RAISE NOTICE 'x;y'; END $$;
            """#
        ])
        try await db.migrator([folder.path]).migrate()
        #expect(try db.scalar("SELECT f()") == "a;b")
        #expect(try db.scalar("SELECT g(5)") == "1")
        #expect(try db.rows("SELECT note FROM t ORDER BY id") == [["it's; fine"], ["two; with semicolon"], ["three"]])
    }

    @Test("CREATE INDEX CONCURRENTLY runs outside a transaction and completes")
    func createIndexConcurrently() async throws {
        let db = try TestDatabase("cic")
        let folder = try MigrationFolder([
            "V1__t.sql": "CREATE TABLE t (id int);",
            "V2__idx.sql": "CREATE INDEX CONCURRENTLY t_idx ON t (id);",
        ])
        let result = try await db.migrator([folder.path]).migrate()
        #expect(result.migrations.map(\.transactional) == [true, false])
        #expect(try db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 't_idx'") == "1")
    }

    @Test("a script mixing transactional and non-transactional statements is refused before it runs")
    func mixedScriptRefused() async throws {
        let db = try TestDatabase("mixed")
        let folder = try MigrationFolder([
            "V1__mixed.sql": "CREATE TABLE m (id int);\nCREATE INDEX CONCURRENTLY m_idx ON m (id);"
        ])
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(error?.message.contains("Detected both transactional and non-transactional statements") == true)
        #expect(error?.file == "V1__mixed.sql")
        #expect(try db.scalar("SELECT to_regclass('public.m') IS NULL") == "t")
    }

    @Test("--schemas creates the schemas, the history table in the first, and Flyway's schema-creation marker")
    func createsSchemasWithMarker() async throws {
        let db = try TestDatabase("schemas")
        let folder = try MigrationFolder()
        try folder.copy(from: try Fixtures.url("schemas/migrations"))
        try await db.migrator([folder.path]) { $0.schemas = ["app", "other"] }.migrate()
        #expect(try db.history(schema: "app") == (try Fixtures.lines("schemas/history.txt")))
        // Unqualified DDL lands in the default schema (search_path reset before each migration).
        #expect(try db.scalar("SELECT to_regclass('app.app_table') IS NOT NULL") == "t")
    }

    @Test("a non-empty schema without a history table is refused (Flyway's baseline rule)")
    func nonEmptySchemaRefused() async throws {
        let db = try TestDatabase("nonempty")
        try db.connect().execute("CREATE TABLE existing (id int)")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(error?.message.contains("Found non-empty schema(s) \"public\" but no schema history table") == true)
        #expect(try db.scalar("SELECT to_regclass('public.flyway_schema_history') IS NULL") == "t")
    }

    @Test("the history table is created with exactly Flyway's columns, types, key and index")
    func historyTableDDL() async throws {
        let db = try TestDatabase("ddl")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;"])
        try await db.migrator([folder.path]).migrate()
        let columns = try db.rows(
            """
            SELECT column_name || ':' || data_type || ':' || coalesce(character_maximum_length::text, '') || ':'
                   || is_nullable || ':' || coalesce(column_default, '')
            FROM information_schema.columns WHERE table_name = 'flyway_schema_history' ORDER BY ordinal_position
            """
        ).map { $0[0] ?? "" }
        #expect(
            columns == [
                "installed_rank:integer::NO:", "version:character varying:50:YES:",
                "description:character varying:200:NO:", "type:character varying:20:NO:",
                "script:character varying:1000:NO:", "checksum:integer::YES:",
                "installed_by:character varying:100:NO:", "installed_on:timestamp without time zone::NO:now()",
                "execution_time:integer::NO:", "success:boolean::NO:",
            ])
        let indexes = try db.rows(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'flyway_schema_history' ORDER BY indexname")
        #expect(indexes == [["flyway_schema_history_pk"], ["flyway_schema_history_s_idx"]])
    }

    @Test("an out-of-order version is refused unless outOfOrder is set")
    func outOfOrder() async throws {
        let db = try TestDatabase("ooo")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;", "V3__c.sql": "SELECT 3;"])
        try await db.migrator([folder.path]).migrate()
        try folder.write("V2__b.sql", "CREATE TABLE b (id int);")
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(error?.message.contains("Detected resolved migration not applied to database: 2") == true)
        let result = try await db.migrator([folder.path]) { $0.outOfOrder = true }.migrate()
        #expect(result.migrations.map(\.version) == ["2"])
        let states = try await db.migrator([folder.path]) { $0.outOfOrder = true }.info().migrations.map(\.state)
        #expect(states == [.success, .success, .outOfOrder])
    }

    @Test("duplicate versions are an error naming both files, before anything changes")
    func duplicateVersions() async throws {
        let db = try TestDatabase("dup")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;", "V1.0__b.sql": "SELECT 2;"])
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(error?.message.contains("Found more than one migration with version 1") == true)
        #expect(error?.message.contains("V1__a.sql") == true)
        #expect(error?.message.contains("V1.0__b.sql") == true)
        #expect(try db.scalar("SELECT to_regclass('public.flyway_schema_history') IS NULL") == "t")
    }

    @Test("a file that is not valid UTF-8 is an error naming it")
    func invalidUTF8() async throws {
        let db = try TestDatabase("utf8")
        let folder = try MigrationFolder()
        try Data([0x53, 0x45, 0xFF, 0xFE, 0x3B]).write(to: URL(fileURLWithPath: folder.path + "/V1__bad.sql"))
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(error?.file == "V1__bad.sql")
        #expect(error?.message.contains("not valid UTF-8") == true)
    }
}
