import Testing

@testable import Runway

/// A file of `kind` for `version`, its checksum from its name.
private func undoFixture(_ kind: MigrationKind, _ version: String, _ description: String) throws -> ResolvedMigration {
    let name = "\(kind == .undo ? "U" : "V")\(version)__\(description).sql"
    return ResolvedMigration(
        kind: kind, version: try MigrationVersion(version), description: description, script: name,
        path: "/migrations/\(name)", checksum: Checksum(text: "-- \(name)\n"))
}

private func appliedRow(_ rank: Int, _ file: ResolvedMigration, success: Bool = true) -> AppliedMigration {
    AppliedMigration(
        installedRank: rank, versionText: file.version?.text, description: file.description, type: file.type,
        script: file.script, checksum: file.checksum.value, success: success)
}

@Suite("MigrationInfoService with undo files and UNDO_SQL rows (Flyway Teams states)")
struct UndoInfoTests {
    @Test func anUndoRowMakesItsMigrationUndoneAndItsFilePendingAgain() throws {
        let v1 = try undoFixture(.versioned, "1", "one")
        let v2 = try undoFixture(.versioned, "2", "two")
        let u1 = try undoFixture(.undo, "1", "one")
        let u2 = try undoFixture(.undo, "2", "two")
        let service = try MigrationInfoService(
            resolved: [v1, v2], applied: [appliedRow(1, v1), appliedRow(2, v2), appliedRow(3, u2)], undo: [u1, u2])
        #expect(service.all.map(\.state) == [.success, .undone, .success, .pending])
        #expect(service.all.map(\.type) == [.sql, .sql, .undoSQL, .sql])
        #expect(service.all.map(\.undoable) == ["Yes", "", "", "Yes"])
        #expect(service.all.map(\.category) == ["Versioned", "Versioned", "Undo", "Versioned"])
        #expect(service.current?.versionText == "1")
        #expect(service.pending.map(\.versionText) == ["2"])
        // Only U1's migration is applied and not undone: U1 is Available, U2 is not.
        #expect(service.available.map(\.resolved?.script) == ["U1__one.sql"])
        #expect(service.available.map(\.state) == [.available])
        #expect(service.validate(ignoring: ValidatePattern.defaults + [.anyPending]).isEmpty)
    }

    @Test func withoutUndoFilesEveryVersionedRowIsUndoableNo() throws {
        let v1 = try undoFixture(.versioned, "1", "one")
        let service = try MigrationInfoService(resolved: [v1], applied: [appliedRow(1, v1)])
        #expect(service.all.map(\.undoable) == ["No"])
        #expect(service.available.isEmpty)
    }

    @Test func reappliedAfterUndoIsSuccessAndNotOutOfOrder() throws {
        let v1 = try undoFixture(.versioned, "1", "one")
        let v2 = try undoFixture(.versioned, "2", "two")
        let u2 = try undoFixture(.undo, "2", "two")
        let rows = [appliedRow(1, v1), appliedRow(2, v2), appliedRow(3, u2), appliedRow(4, v2)]
        let service = try MigrationInfoService(resolved: [v1, v2], applied: rows, undo: [u2])
        #expect(service.all.map(\.state) == [.success, .undone, .success, .success])
        #expect(service.current?.versionText == "2")
        #expect(service.pending.isEmpty)
        #expect(service.available.map(\.resolved?.script) == ["U2__two.sql"])
    }

    @Test func anEditedUndoFileIsAChecksumMismatchOfItsRow() throws {
        let v1 = try undoFixture(.versioned, "1", "one")
        let u1 = try undoFixture(.undo, "1", "one")
        var edited = u1
        edited.checksum = Checksum(text: "DROP TABLE t CASCADE;")
        let rows = [appliedRow(1, v1), appliedRow(2, u1), appliedRow(3, v1)]
        let service = try MigrationInfoService(resolved: [v1], applied: rows, undo: [edited])
        let problems = service.validate(ignoring: ValidatePattern.defaults)
        #expect(problems.map(\.code) == ["CHECKSUM_MISMATCH"])
        #expect(problems.first?.message.hasPrefix("Migration checksum mismatch for migration version 1\n") == true)
        // The undo file gone: its row is not "applied but not resolved" (Flyway skips undo rows there).
        let gone = try MigrationInfoService(resolved: [v1], applied: rows)
        #expect(gone.validate(ignoring: ValidatePattern.defaults).isEmpty)
    }
}
