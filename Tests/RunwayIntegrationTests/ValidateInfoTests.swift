import Foundation
import Testing

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
