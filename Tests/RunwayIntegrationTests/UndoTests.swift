#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("undo (Flyway Teams' U files) against a real PostgreSQL")
struct UndoTests {
    static let files: [String: String] = [
        "V1__a.sql": "CREATE TABLE a (id int);\n",
        "V2__b.sql": "CREATE TABLE b (id int);\n",
        "V3__c.sql": "CREATE TABLE c (id int);\n",
        "U1__a.sql": "DROP TABLE a;\n",
        "U2__b.sql": "DROP TABLE b;\n",
        "U3__c.sql": "DROP TABLE c;\n",
    ]

    /// The tables of schema `public` other than the history table, comma-separated.
    func tables(_ db: TestDatabase) throws -> String {
        try db.scalar(
            """
            SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '') FROM pg_tables
            WHERE schemaname = 'public' AND tablename <> 'flyway_schema_history'
            """) ?? ""
    }

    @Test("undo reverts the latest migration in one transaction with an UNDO_SQL row; info shows Undone and Undoable")
    func undoLatest() async throws {
        let db = try TestDatabase("undo_latest")
        let folder = try MigrationFolder(Self.files)
        let migrator = db.migrator([folder.path])
        try await migrator.migrate()
        let result = try await migrator.undo()
        #expect(result.migrations.map(\.version) == ["3"])
        #expect(result.migrations.first?.script == "U3__c.sql")
        #expect(result.initialSchemaVersion == "3" && result.targetSchemaVersion == "2")
        #expect(try tables(db) == "a,b")
        let checksum = Checksum(text: "DROP TABLE c;\n").value
        #expect(try db.history().last == "4|3|c|UNDO_SQL|U3__c.sql|\(checksum)|t")

        let info = try await migrator.info()
        #expect(info.schemaVersion == "2")
        #expect(info.migrations.map(\.versionText) == ["1", "2", "3", "3", "3"])
        #expect(info.migrations.map(\.state) == [.success, .success, .undone, .success, .pending])
        #expect(info.migrations.map(\.category) == ["Versioned", "Versioned", "Versioned", "Undo", "Versioned"])
        #expect(info.migrations.map(\.undoable) == ["Yes", "Yes", "", "", "Yes"])

        // Nothing is pending for validate but V3 (undone): validate says so, as for any pending migration.
        #expect(try await migrator.validate().problems.map(\.code) == ["RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED"])
    }

    @Test("undo with a target reverts every applied migration at or above it, latest first")
    func undoToTarget() async throws {
        let db = try TestDatabase("undo_target")
        let folder = try MigrationFolder(Self.files)
        try await db.migrator([folder.path]).migrate()
        let result = try await db.migrator([folder.path]) {
            $0.target = .version(try! MigrationVersion("2"), optional: false)
        }.undo()
        #expect(result.migrations.map(\.version) == ["3", "2"])
        #expect(result.targetSchemaVersion == "1")
        #expect(try tables(db) == "a")
        #expect(try db.history().suffix(2).map { $0.split(separator: "|")[3] } == ["UNDO_SQL", "UNDO_SQL"])
        let info = try await db.migrator([folder.path]).info()
        #expect(info.schemaVersion == "1")
        // A target no migration has is an error, as for migrate.
        await #expect(throws: RunwayError.self) {
            try await db.migrator([folder.path]) { $0.target = .version(try! MigrationVersion("7"), optional: false) }
                .undo()
        }
    }

    @Test("migrate after undo applies the version again; it can be undone again")
    func remigrateAfterUndo() async throws {
        let db = try TestDatabase("undo_again")
        let folder = try MigrationFolder(Self.files)
        let migrator = db.migrator([folder.path])
        try await migrator.migrate()
        try await migrator.undo()
        let again = try await migrator.migrate()
        #expect(again.migrations.map(\.version) == ["3"])
        #expect(try tables(db) == "a,b,c")
        #expect(try await migrator.validate().isValid)
        let info = try await migrator.info()
        #expect(info.schemaVersion == "3")
        #expect(info.migrations.map(\.state) == [.success, .success, .undone, .success, .success])
        #expect(try await migrator.undo().migrations.map(\.version) == ["3"])
        #expect(try tables(db) == "a,b")
        #expect(try await migrator.info().migrations.map(\.state).filter { $0 == .undone }.count == 2)
    }

    /// Runs `undo` expecting it to fail with a message containing `message`, then checks nothing changed.
    func expectRefused(
        _ db: TestDatabase, _ migrator: Migrator, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let history = try db.history()
        let tables = try tables(db)
        do {
            try await migrator.undo()
            Issue.record("undo should have been refused (\(message))", sourceLocation: sourceLocation)
        } catch {
            #expect(error.message.contains(message), "\(error.message)", sourceLocation: sourceLocation)
        }
        #expect(try db.history() == history, sourceLocation: sourceLocation)
        #expect(try self.tables(db) == tables, sourceLocation: sourceLocation)
    }

    @Test("a missing undo file is refused and changes nothing")
    func missingUndoFile() async throws {
        let db = try TestDatabase("undo_missing")
        let folder = try MigrationFolder(Self.files)
        let migrator = db.migrator([folder.path])
        try await migrator.migrate()
        try folder.remove("U2__b.sql")
        // With a target, V3's undo would run before V2's is found missing: nothing may run.
        let toOne = db.migrator([folder.path]) { $0.target = .version(try! MigrationVersion("1"), optional: false) }
        try await expectRefused(db, toOne, "there is no undo file for version 2 (expected U2__<description>.sql")
        #expect(try await migrator.info().migrations.map(\.undoable) == ["Yes", "No", "Yes"])
    }

    @Test("undo of a non-transactional migration, or with an undo file that cannot run in a transaction, is refused")
    func nonTransactional() async throws {
        let db = try TestDatabase("undo_nontx")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);\n",
            "V2__index.sql": "CREATE INDEX CONCURRENTLY a_id ON a (id);\n",
            "U2__index.sql": "DROP INDEX a_id;\n",
        ])
        let migrator = db.migrator([folder.path])
        try await migrator.migrate()
        try await expectRefused(db, migrator, "it was applied without a transaction")

        let other = try TestDatabase("undo_nontx_u")
        let files = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);\n",
            "V2__index.sql": "CREATE INDEX a_id ON a (id);\n",
            "U2__index.sql": "DROP INDEX CONCURRENTLY a_id;\n",
        ])
        let second = other.migrator([files.path])
        try await second.migrate()
        try await expectRefused(other, second, "cannot run in a transaction")
        #expect(try other.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'a_id'") == "1")
    }

    @Test("undo of a failed migration is refused and changes nothing")
    func failedMigration() async throws {
        let db = try TestDatabase("undo_failed")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);\n",
            "V2__b.sql": "CREATE INDEX CONCURRENTLY a_id ON a (id);\nSELECT 1/0;\n",
            "U1__a.sql": "DROP TABLE a;\n",
            "U2__b.sql": "DROP INDEX a_id;\n",
        ])
        // Non-transactional (mixed allowed): the failure leaves a failed row.
        let migrator = db.migrator([folder.path]) { $0.mixed = true }
        await #expect(throws: RunwayError.self) { try await migrator.migrate() }
        #expect(try db.history().last?.hasSuffix("|f") == true)
        try await expectRefused(db, migrator, "Unable to undo migration 2 (b): it failed")
    }

    @Test("an edited undo file fails validate and undo (checksum mismatch) and changes nothing")
    func editedUndoFile() async throws {
        let db = try TestDatabase("undo_edited")
        let folder = try MigrationFolder(Self.files)
        let migrator = db.migrator([folder.path])
        try await migrator.migrate()
        try await migrator.undo()
        try await migrator.migrate()
        #expect(try await migrator.validate().isValid)
        try folder.write("U3__c.sql", "DROP TABLE c CASCADE;\n")
        let validation = try await migrator.validate()
        #expect(validation.problems.map(\.code) == ["CHECKSUM_MISMATCH"])
        let expected = """
            Migration checksum mismatch for migration version 3
            -> Applied to database : \(Checksum(text: "DROP TABLE c;\n").value)
            -> Resolved locally    : \(Checksum(text: "DROP TABLE c CASCADE;\n").value)
            Either revert the changes to the migration, or run repair to update the schema history.
            """
        #expect(validation.problems.first?.message == expected)
        try await expectRefused(db, migrator, "Migration checksum mismatch for migration version 3")
    }

    @Test("an undo file that fails is rolled back with its row; the undos before it stay")
    func failingUndoFile() async throws {
        let db = try TestDatabase("undo_failing")
        let folder = try MigrationFolder(Self.files)
        try await db.migrator([folder.path]).migrate()
        try folder.write("U2__b.sql", "DROP TABLE b;\nDROP TABLE nope;\n")
        let toTwo = db.migrator([folder.path]) { $0.target = .version(try! MigrationVersion("2"), optional: false) }
        do {
            try await toTwo.undo()
            Issue.record("the undo of version 2 should have failed")
        } catch {
            let expected = "Undo of schema \"public\" to version \"2 - b\" failed!"
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(error.line == 2)
            #expect(error.undoResult?.migrations.map(\.version) == ["3"])
        }
        #expect(try tables(db) == "a,b")
        #expect(try db.history().map { $0.split(separator: "|")[3] } == ["SQL", "SQL", "SQL", "UNDO_SQL"])
    }

    @Test("a schema without anything applied has nothing to undo")
    func nothingToUndo() async throws {
        let db = try TestDatabase("undo_nothing")
        let folder = try MigrationFolder(Self.files)
        let result = try await db.migrator([folder.path]).undo()
        #expect(result.migrations.isEmpty)
    }
}
