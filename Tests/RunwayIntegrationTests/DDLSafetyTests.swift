import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("DDL safety policy: lock_timeout with retries, statement_timeout")
struct DDLSafetyTests {
    @Test(
        "a migration that hits lock_timeout is rolled back and retried; the application's writes go through meanwhile")
    func lockTimeoutRetries() async throws {
        let db = try TestDatabase("locktimeout")
        try db.connect().execute("CREATE TABLE t (id int)")
        let folder = try MigrationFolder(["V1__add_column.sql": "ALTER TABLE t ADD COLUMN note text;"])
        let blocker = try db.connect()
        try blocker.execute("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE")  // a long report query, say
        let capture = LogCapture()
        var configuration = db.configuration([folder.path])
        configuration.baselineOnMigrate = true
        configuration.baselineVersion = "0"
        configuration.ddlSafety.lockTimeoutMilliseconds = 300
        configuration.ddlSafety.lockTimeoutRetries = 10
        let run = Task { try await Migrator(configuration: configuration, logger: capture.logger).migrate() }
        try await eventually { capture.messages.contains { $0.hasPrefix("Migration waited longer than lock_timeout") } }
        // The blocker still holds its lock, yet a write completes: the migration does not sit in the lock queue.
        let writer = try db.connect()
        try writer.execute("SET lock_timeout = '20s'; INSERT INTO t VALUES (1)")
        #expect(try db.scalar("SELECT count(*) FROM t") == "1")
        try blocker.execute("COMMIT")
        let result = try await run.value
        #expect(result.migrations.map(\.version) == ["1"])
        #expect(try db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'") == "1")
    }

    @Test("when every retry times out the error says so, with SQLSTATE 55P03, and nothing is applied")
    func lockTimeoutExhausted() async throws {
        let db = try TestDatabase("locktimeout2")
        try db.connect().execute("CREATE TABLE t (id int)")
        let folder = try MigrationFolder(["V1__add_column.sql": "ALTER TABLE t ADD COLUMN note text;"])
        let blocker = try db.connect()
        try blocker.execute("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE")
        let error = await #expect(throws: RunwayError.self) {
            try await db.migrator([folder.path]) {
                $0.baselineOnMigrate = true
                $0.baselineVersion = "0"
                $0.ddlSafety.lockTimeoutMilliseconds = 100
                $0.ddlSafety.lockTimeoutRetries = 1
            }.migrate()
        }
        #expect(error?.sqlState == "55P03")
        #expect(error?.hint?.contains("waited longer than lock_timeout (100 ms)") == true)
        #expect(error?.file == "V1__add_column.sql")
        try blocker.execute("COMMIT")
        #expect(try db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'") == "0")
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE version = '1'") == "0")
    }

    @Test("statement_timeout stops a runaway statement and rolls the migration back")
    func statementTimeout() async throws {
        let db = try TestDatabase("stmttimeout")
        let folder = try MigrationFolder(["V1__slow.sql": "CREATE TABLE t (id int);\nSELECT pg_sleep(30);"])
        let error = await #expect(throws: RunwayError.self) {
            try await db.migrator([folder.path]) { $0.ddlSafety.statementTimeoutMilliseconds = 200 }.migrate()
        }
        #expect(error?.sqlState == "57014")
        #expect(error?.line == 2)
        #expect(try db.scalar("SELECT to_regclass('public.t') IS NULL") == "t")
    }
}
