import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("validate and info against a real PostgreSQL")
struct ValidateInfoTests {
    @Test("validate passes when everything is applied and fails after an applied file is edited")
    func validateDetectsEditedFile() async throws {
        let db = try TestDatabase("validate")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);\n"])
        let migrator = db.migrator([folder.path])
        try await migrator.migrate()
        #expect(try await migrator.validate().isValid)
        try folder.write("V1__a.sql", "CREATE TABLE a (id bigint);\n")
        let result = try await migrator.validate()
        #expect(result.problems.map(\.code) == ["CHECKSUM_MISMATCH"])
        let expected = """
            Migration checksum mismatch for migration version 1
            -> Applied to database : -623083431
            -> Resolved locally    : \(Checksum(text: "CREATE TABLE a (id bigint);\n").value)
            Either revert the changes to the migration, or run repair to update the schema history.
            """
        #expect(result.problems.first?.message == expected)
        // Line endings alone never change a checksum.
        try folder.write("V1__a.sql", "CREATE TABLE a (id int);\r\n\r\n")
        #expect(try await migrator.validate().isValid)
    }

    @Test("validate reports pending migrations and migrate clears them")
    func validateReportsPending() async throws {
        let db = try TestDatabase("pending")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;", "R__r.sql": "SELECT 2;"])
        let migrator = db.migrator([folder.path])
        let before = try await migrator.validate()
        #expect(
            Set(before.problems.map(\.code)) == [
                "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED", "RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED",
            ])
        try await migrator.migrate()
        #expect(try await migrator.validate().isValid)
    }

    @Test("a renamed description is a mismatch; a moved file is not")
    func descriptionMismatch() async throws {
        let db = try TestDatabase("desc")
        let folder = try MigrationFolder(["V1__first.sql": "SELECT 1;"])
        try await db.migrator([folder.path]).migrate()
        try folder.remove("V1__first.sql")
        try folder.write("moved/V1__first.sql", "SELECT 1;")
        #expect(try await db.migrator([folder.path]).validate().isValid)
        try folder.remove("moved/V1__first.sql")
        try folder.write("V1__renamed.sql", "SELECT 1;")
        #expect(try await db.migrator([folder.path]).validate().problems.map(\.code) == ["DESCRIPTION_MISMATCH"])
    }

    @Test("info lists states in Flyway's order with version, checksums and installed_on")
    func infoStates() async throws {
        let db = try TestDatabase("info")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;", "V2__b.sql": "SELECT 2;"])
        try await db.migrator([folder.path]) { $0.target = .version(try! MigrationVersion("1"), optional: false) }
            .migrate()
        try folder.write("V1_5__late.sql", "SELECT 15;")
        try folder.write("R__r.sql", "SELECT 3;")
        let info = try await db.migrator([folder.path]).info()
        #expect(info.schemaVersion == "1")
        #expect(info.migrations.map(\.versionText) == ["1", "1.5", "2", nil])
        #expect(info.migrations.map(\.state) == [.success, .pending, .pending, .pending])
        #expect(info.migrations[0].applied?.installedOn.count == 19)
        #expect(info.migrations[0].applied?.checksum == Checksum(text: "SELECT 1;").value)
    }

    @Test("installed_on read from the raw column in a UTC session equals the server's formatting, in any zone")
    func installedOnFastPath() async throws {
        let db = try TestDatabase("times")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;", "V2__b.sql": "SELECT 2;", "V3__c.sql": "SELECT 3;"])
        try await db.migrator([folder.path]).migrate()
        let connection = try TestDatabase.connect(db.endpoint, database: db.name)
        // Whole seconds, a fraction printed without trailing zeros, and all six digits.
        try connection.execute(
            """
            UPDATE flyway_schema_history SET installed_on = CASE installed_rank
              WHEN 1 THEN TIMESTAMP '2026-01-02 03:04:05' WHEN 2 THEN TIMESTAMP '2026-07-08 09:10:11.1'
              ELSE TIMESTAMP '2026-12-31 23:59:59.123456' END
            """)
        let history = SchemaHistory(schema: "public", table: "flyway_schema_history")
        try connection.execute("SET TimeZone = 'Etc/UTC'; SET DateStyle = 'ISO, MDY'")
        #expect(SchemaHistory.printsISOInUTC(connection))
        let fast = try history.read(on: connection)
        let server = try history.read(on: connection, formatOnServer: true)
        #expect(fast.map(\.installedOn) == ["2026-01-02 03:04:05", "2026-07-08 09:10:11", "2026-12-31 23:59:59"])
        #expect(
            fast.map(\.installedOnUTC) == [
                "2026-01-02T03:04:05.000000Z", "2026-07-08T09:10:11.100000Z", "2026-12-31T23:59:59.123456Z",
            ])
        #expect(fast == server)
        // Another zone or date style takes the server's formatting: the stored local time, converted to UTC.
        try connection.execute("SET TimeZone = 'America/New_York'")
        #expect(!SchemaHistory.printsISOInUTC(connection))
        let newYork = try history.read(on: connection)
        #expect(newYork.map(\.installedOn) == fast.map(\.installedOn))
        #expect(newYork.first?.installedOnUTC == "2026-01-02T08:04:05.000000Z")
        try connection.execute("SET TimeZone = 'UTC'; SET DateStyle = 'SQL, DMY'")
        #expect(!SchemaHistory.printsISOInUTC(connection))
        #expect(try history.read(on: connection) == fast)
        // Without times (validate, migrate) both are empty.
        #expect(
            try history.read(on: connection, times: false).allSatisfy {
                $0.installedOn.isEmpty && $0.installedOnUTC.isEmpty
            })
    }

    @Test("the ISO text of a timestamp becomes both formats; other shapes are left to the server")
    func isoTextShapes() {
        #expect(
            SchemaHistory.times(isoText: "2026-11-21 08:38:54.184418")! == (
                "2026-11-21 08:38:54", "2026-11-21T08:38:54.184418Z"
            ))
        #expect(
            SchemaHistory.times(isoText: "2026-11-21 08:38:54.5")! == (
                "2026-11-21 08:38:54", "2026-11-21T08:38:54.500000Z"
            ))
        for other in [
            "10000-01-01 00:00:00", "2026-11-21 08:38:54 BC", "21/11/2026 08:38:54", "2026-11-21 08:38:54.", "",
        ] {
            #expect(SchemaHistory.times(isoText: other) == nil, "\(other)")
        }
    }

    @Test("info and validate on a database without a history table change nothing")
    func readOnlyCommands() async throws {
        let db = try TestDatabase("readonly")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;"])
        let info = try await db.migrator([folder.path]).info()
        #expect(info.historyTableExists == false)
        #expect(info.migrations.map(\.state) == [.pending])
        #expect(try await db.migrator([folder.path]).validate().isValid == false)
        #expect(try db.scalar("SELECT to_regclass('public.flyway_schema_history') IS NULL") == "t")
    }
}
