import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

/// What is stored is exactly what the file says, and no statement runs twice (issue 12 §2, §3).
@Suite("exactly as written: statements as psql sends them")
struct ExactlyAsWrittenTests {
    @Test("an e-string with an escaped quote and a semicolon is stored as psql stores it")
    func eString() async throws {
        let db = try TestDatabase("estring")
        let folder = try MigrationFolder([
            "V1__t.sql": "CREATE TABLE t (v text);\nINSERT INTO t SELECT e'it\\'s; fine';\nINSERT INTO t VALUES ('x');"
        ])
        _ = try await db.migrator([folder.path]).migrate()
        #expect(try db.rows("SELECT v FROM t ORDER BY v") == [["it's; fine"], ["x"]])
    }

    @Test("SET standard_conforming_strings = off changes how the literals after it are read, as in psql")
    func standardConformingStringsOff() async throws {
        let db = try TestDatabase("scsoff")
        let folder = try MigrationFolder([
            "V1__dump.sql": """
            SET standard_conforming_strings = off;
            CREATE TABLE t (v text);
            INSERT INTO t VALUES ('C:\\\\temp'), ('it\\'s; here');
            SET standard_conforming_strings = on;
            INSERT INTO t VALUES ('D:\\\\raw');
            """,
            // The session keeps `off` from a session-level SET in V2: V3 is read that way, as the server reads it.
            "V2__off.sql": "SET standard_conforming_strings = off;",
            "V3__after.sql": "INSERT INTO t VALUES ('E:\\\\x');",
        ])
        _ = try await db.migrator([folder.path]).migrate()
        #expect(try db.rows("SELECT v FROM t ORDER BY v") == [["C:\\temp"], ["D:\\\\raw"], ["E:\\x"], ["it's; here"]])
    }

    @Test("a COMMIT part-way: the real error and its line are reported, with what stayed committed")
    func commitPartWay() async throws {
        let db = try TestDatabase("midcommit")
        let folder = try MigrationFolder([
            "V1__mid.sql": """
            CREATE TABLE t (v int);
            INSERT INTO t VALUES (1);
            COMMIT;
            INSERT INTO t VALUES (1/0);
            INSERT INTO t VALUES (3);
            """
        ])
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(error?.line == 4, "\(String(describing: error))")
        #expect(error?.sqlState == "22012")
        #expect(error?.statement == "INSERT INTO t VALUES (1/0)")
        #expect(error?.message.contains("successfully rolled back") == false)
        #expect(error?.detail?.contains("ended the migration's transaction itself at line 3 (COMMIT)") == true)
        // As psql -1 leaves it: everything before the COMMIT stays; the row after the failure never ran.
        #expect(try db.rows("SELECT v FROM t") == [["1"]])
        #expect(
            try db.history() == ["1|1|mid|SQL|V1__mid.sql|\(Checksum(text: try folder.text("V1__mid.sql")).value)|f"])
    }

    @Test("a COMMIT part-way in a migration that succeeds: the rest commits and the row is written")
    func commitPartWaySucceeds() async throws {
        let db = try TestDatabase("midcommitok")
        let folder = try MigrationFolder([
            "V1__mid.sql":
                "CREATE TABLE t (v int);\nCOMMIT;\nINSERT INTO t VALUES (2);\nBEGIN;\nINSERT INTO t VALUES (3);"
        ])
        _ = try await db.migrator([folder.path]).migrate()
        #expect(try db.rows("SELECT v FROM t ORDER BY v") == [["2"], ["3"]])
        #expect(try db.scalar("SELECT success FROM flyway_schema_history WHERE version = '1'") == "t")
    }

    @Test("a failing migration runs each statement once: a sequence advanced before the failure moved by one")
    func noStatementTwice() async throws {
        let db = try TestDatabase("once")
        let folder = try MigrationFolder([
            "V1__seq.sql": "CREATE SEQUENCE s;",
            "V2__fail.sql": "SELECT nextval('s');\nSELECT 1/0;",
        ])
        let error = await #expect(throws: RunwayError.self) { try await db.migrator([folder.path]).migrate() }
        #expect(error?.line == 2)
        #expect(error?.statement == "SELECT 1/0")
        #expect(try db.scalar("SELECT last_value FROM s") == "1")
    }

    @Test("lock_timeout retries run a multi-statement migration again, and the hint counts the real attempts")
    func lockTimeoutRetriesMultiStatement() async throws {
        let db = try TestDatabase("ltretry")
        try db.connect().execute("CREATE TABLE t (id int); CREATE SEQUENCE attempts")
        let folder = try MigrationFolder([
            "V1__alter.sql": "SELECT nextval('attempts');\nALTER TABLE t ADD COLUMN note text;"
        ])
        let blocker = try db.connect()
        try blocker.execute("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE")
        let error = await #expect(throws: RunwayError.self) {
            try await db.migrator([folder.path]) {
                $0.baselineOnMigrate = true
                $0.baselineVersion = "0"
                $0.ddlSafety.lockTimeoutMilliseconds = 100
                $0.ddlSafety.lockTimeoutRetries = 2
            }.migrate()
        }
        try blocker.execute("COMMIT")
        #expect(error?.sqlState == "55P03")
        #expect(error?.line == 2)
        #expect(try db.scalar("SELECT last_value FROM attempts") == "3")
        #expect(error?.hint?.contains("on each of 3 attempts") == true, "\(String(describing: error?.hint))")
    }

    @Test("a migration that changes role writes its history row as the original role (Flyway restores it)")
    func setRoleInMigration() async throws {
        let db = try TestDatabase("setrole")
        let role = "rw_role_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try db.connect()
        try admin.execute("CREATE ROLE \(role) NOLOGIN; GRANT CREATE, USAGE ON SCHEMA public TO \(role)")
        defer { _ = try? admin.execute("DROP OWNED BY \(role); DROP ROLE \(role)") }
        let folder = try MigrationFolder([
            "V1__as_role.sql": "SET ROLE \(role);\nCREATE TABLE owned (id int);",
            "V2__as_role_nontx.sql": "SET ROLE \(role);\nCREATE INDEX CONCURRENTLY owned_i ON owned (id);",
            "V2__as_role_nontx.sql.conf": "executeInTransaction=false\n",
        ])
        _ = try await db.migrator([folder.path]).migrate()
        #expect(try db.scalar("SELECT tableowner FROM pg_tables WHERE tablename = 'owned'") == role)
        #expect(
            try db.rows("SELECT DISTINCT installed_by, success FROM flyway_schema_history")
                == [[db.endpoint.user, "t"]])
    }

    @Test(
        "a UTF-8 byte order mark is dropped before a script runs, in migrations, callbacks and offline checks",
        arguments: [
            "\u{FEFF}CREATE TABLE t (id int);", "\u{FEFF}-- comment\nCREATE TABLE t (id int);",
            "\u{FEFF}\r\nCREATE TABLE t (id int);\r\n", "\u{FEFF}/* c */CREATE TABLE t (id int)",
        ])
    func byteOrderMark(script: String) async throws {
        let db = try TestDatabase("bom")
        let folder = try MigrationFolder([
            "V1__bom.sql": script, "beforeMigrate.sql": "\u{FEFF}SELECT 1;",
            "R__bom_only.sql": "\u{FEFF}",
        ])
        let migrator = db.migrator([folder.path])
        _ = try await migrator.migrate()
        #expect(try db.scalar("SELECT to_regclass('public.t') IS NOT NULL") == "t")
        let offline = try await migrator.validateOffline()
        #expect(offline.findings.isEmpty, "\(offline.findings)")
    }
}
