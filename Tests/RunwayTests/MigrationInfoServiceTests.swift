import Testing

@testable import Runway

// MARK: - Fixtures

/// A versioned (or `B`) file whose body, and so checksum, depends on its version and description.
private func file(
    _ version: String, _ description: String, body: String? = nil, kind: MigrationKind = .versioned
) throws -> ResolvedMigration {
    let prefix = kind == .baseline ? "B" : "V"
    let name = "\(prefix)\(version)__\(description.replacingOccurrences(of: " ", with: "_")).sql"
    return ResolvedMigration(
        kind: kind, version: try MigrationVersion(version), description: description, script: "sub/\(name)",
        path: "/migrations/sub/\(name)", checksum: Checksum(text: body ?? "-- \(version) \(description)\n"))
}

/// A repeatable file; `raw` is the text before placeholder replacement (the equivalent checksum).
private func repeatable(_ description: String, body: String? = nil, raw: String? = nil) -> ResolvedMigration {
    let name = "R__\(description.replacingOccurrences(of: " ", with: "_")).sql"
    return ResolvedMigration(
        kind: .repeatable, version: nil, description: description, script: name, path: "/migrations/\(name)",
        checksum: Checksum(text: body ?? "-- \(description)\n"), equivalentChecksum: raw.map { Checksum(text: $0) })
}

/// The row Flyway writes when it applies `file`.
private func row(_ rank: Int, _ file: ResolvedMigration, success: Bool = true) -> AppliedMigration {
    AppliedMigration(
        installedRank: rank, versionText: file.version?.text, description: file.description, type: file.type,
        script: file.script, checksum: file.checksum.value, success: success)
}

/// A hand-written row.
private func row(
    _ rank: Int, version: String?, _ description: String, type: MigrationType = .sql, script: String? = nil,
    checksum: Int32? = nil, success: Bool = true
) -> AppliedMigration {
    AppliedMigration(
        installedRank: rank, versionText: version, description: description, type: type,
        script: script ?? description, checksum: checksum, success: success)
}

/// The `baseline` command's marker row.
private func baselineMarker(_ rank: Int, _ version: String) -> AppliedMigration {
    row(rank, version: version, "<< Flyway Baseline >>", type: "BASELINE", script: "<< Flyway Baseline >>")
}

/// `<version or description> <state>` for every entry, in order.
private func summary(_ service: MigrationInfoService) -> [String] {
    service.all.map { "\($0.version?.text ?? $0.description) \($0.state.displayName)" }
}

private func codes(_ problems: [ValidationProblem]) -> [String] { problems.map(\.code) }

// MARK: - States

@Suite struct MigrationInfoServiceTests {
    @Test func nothingAppliedIsAllPendingInApplyOrder() throws {
        let files = [
            try file("2", "two"), try file("1.10", "ten"), try file("1.9", "nine"), try file("1", "one"),
            repeatable("b"), repeatable("a"), repeatable("Z"),
        ]
        let service = try MigrationInfoService(resolved: files, applied: [])
        #expect(
            summary(service) == [
                "1 Pending", "1.9 Pending", "1.10 Pending", "2 Pending", "Z Pending", "a Pending", "b Pending",
            ])
        #expect(service.pending.map(\.description) == ["one", "nine", "ten", "two", "Z", "a", "b"])
        #expect(service.current == nil)
        #expect(service.lastResolvedVersion?.text == "2")
    }

    @Test func repeatablesSortByUTF16CodeUnitsLikeJava() throws {
        // U+FF5E is one UTF-16 unit 0xFF5E; U+1F600 is the surrogate pair D83D DE00, so Java puts it first even
        // though its scalar value is larger (Swift's `<` would put the tilde first).
        let tilde = "\u{FF5E} tilde"
        let emoji = "\u{1F600} emoji"
        #expect(tilde < emoji)
        let service = try MigrationInfoService(resolved: [repeatable(tilde), repeatable(emoji)], applied: [])
        #expect(service.pending.map(\.description) == [emoji, tilde])
    }

    @Test func appliedFilesAreSuccessAndNewOnesPending() throws {
        let one = try file("1", "one")
        let two = try file("2", "two")
        let three = try file("3", "three")
        let service = try MigrationInfoService(resolved: [one, two, three], applied: [row(1, one), row(2, two)])
        #expect(summary(service) == ["1 Success", "2 Success", "3 Pending"])
        #expect(service.current?.version?.text == "2")
        #expect(service.pending.map(\.description) == ["three"])
        #expect(service.applied.count == 2)
        #expect(service.validate(ignoring: ValidatePattern.defaults + [.anyPending]).isEmpty)
        let problems = service.validate(ignoring: ValidatePattern.defaults)
        #expect(
            problems == [
                ValidationProblem(
                    code: "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED",
                    message: "Detected resolved migration not applied to database: 3.\nTo fix this error, either run "
                        + "migrate, or set -ignoreMigrationPatterns='*:pending'.",
                    version: "3", description: "three", script: "sub/V3__three.sql",
                    filepath: "/migrations/sub/V3__three.sql")
            ])
    }

    @Test func appliedRowsKeepRankOrderWhateverTheirVersion() throws {
        let files = [try file("1.9", "nine"), try file("1.10", "ten"), try file("2", "two")]
        // 1.10 was applied before 1.9 (out of order), then 2.
        let service = try MigrationInfoService(
            resolved: files, applied: [row(1, files[1]), row(2, files[0]), row(3, files[2])])
        #expect(summary(service) == ["1.10 Success", "1.9 Out of Order", "2 Success"])
        #expect(service.current?.version?.text == "2")
    }

    @Test func rowsAreOrderedByRankEvenWhenGivenUnordered() throws {
        let one = try file("1", "one")
        let two = try file("2", "two")
        let service = try MigrationInfoService(resolved: [one, two], applied: [row(2, two), row(1, one)])
        #expect(summary(service) == ["1 Success", "2 Success"])
    }

    // MARK: Checksums and descriptions

    @Test func editedAppliedFileIsAChecksumMismatch() throws {
        let original = try file("1", "create t", body: "CREATE TABLE t (id int);\n")
        let edited = try file("1", "create t", body: "CREATE TABLE t (id bigint);\n")
        let service = try MigrationInfoService(resolved: [edited], applied: [row(1, original)])
        #expect(summary(service) == ["1 Success"])
        let problems = service.validate(ignoring: ValidatePattern.defaults)
        #expect(codes(problems) == ["CHECKSUM_MISMATCH"])
        #expect(
            problems.first?.message
                == "Migration checksum mismatch for migration version 1\n-> Applied to database : 92137680\n"
                + "-> Resolved locally    : \(edited.checksum.value)\n"
                + "Either revert the changes to the migration, or run repair to update the schema history.")
        #expect(problems.first?.version == "1")
        #expect(problems.first?.filepath == "/migrations/sub/V1__create_t.sql")
    }

    @Test func nullStoredChecksumMatchesAnyFile() throws {
        let one = try file("1", "one")
        let service = try MigrationInfoService(
            resolved: [one], applied: [row(1, version: "1", "one", script: one.script, checksum: nil)])
        #expect(service.validate(ignoring: []).isEmpty)
    }

    @Test func versionedChecksumIgnoresTheEquivalentChecksum() throws {
        var one = try file("1", "one", body: "new")
        one.equivalentChecksum = Checksum(text: "old")
        let stored = row(1, version: "1", "one", script: one.script, checksum: Checksum(text: "old").value)
        let service = try MigrationInfoService(resolved: [one], applied: [stored])
        #expect(codes(service.validate(ignoring: [])) == ["CHECKSUM_MISMATCH"])
    }

    @Test func renamedDescriptionIsADescriptionMismatch() throws {
        let renamed = try file("1", "create users")
        let stored = row(
            1, version: "1", "create user", script: "V1__create_user.sql", checksum: renamed.checksum.value)
        let problems = try MigrationInfoService(resolved: [renamed], applied: [stored]).validate(ignoring: [])
        #expect(
            problems.map(\.message) == [
                "Migration description mismatch for migration version 1\n-> Applied to database : create user\n"
                    + "-> Resolved locally    : create users\n"
                    + "Either revert the changes to the migration, or run repair to update the schema history."
            ])
        #expect(codes(problems) == ["DESCRIPTION_MISMATCH"])
        #expect(problems.first?.description == "create user")
        #expect(problems.first?.script == "V1__create_user.sql")
    }

    @Test func longDescriptionsAreComparedCutTo200Characters() throws {
        let long = String(repeating: "x", count: 250)
        let longFile = try file("1", long)
        let cut = String(repeating: "x", count: 197) + "..."
        let service = try MigrationInfoService(
            resolved: [longFile],
            applied: [row(1, version: "1", cut, script: longFile.script, checksum: longFile.checksum.value)])
        #expect(service.validate(ignoring: []).isEmpty)

        let other = row(1, version: "1", String(repeating: "y", count: 197) + "...", checksum: longFile.checksum.value)
        #expect(
            codes(try MigrationInfoService(resolved: [longFile], applied: [other]).validate(ignoring: [])) == [
                "DESCRIPTION_MISMATCH"
            ])
    }

    @Test(arguments: [
        (String(repeating: "a", count: 200), String(repeating: "a", count: 200)),
        (String(repeating: "a", count: 201), String(repeating: "a", count: 197) + "..."),
        // 196 units + an emoji (2 units) straddling the cut: Java keeps half a pair, stored as "?".
        (
            String(repeating: "a", count: 196) + "\u{1F600}" + String(repeating: "b", count: 10),
            String(repeating: "a", count: 196) + "?..."
        ),
        (String(repeating: "é", count: 201), String(repeating: "é", count: 197) + "..."),
    ])
    func abbreviatesDescriptionsInUTF16Units(description: String, expected: String) {
        #expect(MigrationInfoService.abbreviatedDescription(description) == expected)
    }

    @Test func scriptMovedToAnotherFolderIsNotAProblem() throws {
        let one = try file("1", "one")
        let stored = row(1, version: "1", "one", script: "old/place/V1__one.sql", checksum: one.checksum.value)
        #expect(try MigrationInfoService(resolved: [one], applied: [stored]).validate(ignoring: []).isEmpty)
    }

    @Test func versionsCompareNumericallyBetweenRowAndFile() throws {
        let one = try file("1.0", "one")
        let stored = row(1, version: "1", "one", script: one.script, checksum: one.checksum.value)
        let service = try MigrationInfoService(resolved: [one], applied: [stored])
        #expect(summary(service) == ["1 Success"])  // the row's version text is shown
    }

    // MARK: Out of order

    @Test func skippedVersionIsIgnoredAndReported() throws {
        let files = [try file("1", "one"), try file("2", "two"), try file("3", "three")]
        let service = try MigrationInfoService(resolved: files, applied: [row(1, files[0]), row(2, files[2])])
        #expect(summary(service) == ["1 Success", "3 Success", "2 Ignored"])
        #expect(service.pending.isEmpty)
        let message =
            "Detected resolved migration not applied to database: 2.\nTo ignore this migration, set "
            + "-ignoreMigrationPatterns='*:ignored'. To allow executing this migration, set -outOfOrder=true."
        for patterns in [ValidatePattern.defaults, ValidatePattern.defaults + [.anyPending]] {
            let problems = service.validate(ignoring: patterns)
            #expect(problems.map(\.message) == [message])
            #expect(codes(problems) == ["RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED"])
        }
        #expect(service.validate(ignoring: try ValidatePattern.parseList("*:ignored")).isEmpty)
    }

    @Test func skippedVersionIsPendingWithOutOfOrder() throws {
        let files = [try file("1", "one"), try file("2", "two"), try file("3", "three")]
        let service = try MigrationInfoService(
            resolved: files, applied: [row(1, files[0]), row(2, files[2])], outOfOrder: true)
        #expect(summary(service) == ["1 Success", "3 Success", "2 Pending"])
        #expect(service.pending.map(\.description) == ["two"])
        #expect(service.validate(ignoring: [.anyPending]).isEmpty)
    }

    @Test func versionAppliedAfterAHigherOneIsOutOfOrder() throws {
        let files = [try file("1", "one"), try file("2", "two"), try file("3", "three")]
        let service = try MigrationInfoService(
            resolved: files, applied: [row(1, files[0]), row(2, files[2]), row(3, files[1])])
        #expect(summary(service) == ["1 Success", "3 Success", "2 Out of Order"])
        #expect(service.current?.version?.text == "3")
        #expect(service.validate(ignoring: []).isEmpty)
    }

    // MARK: Repeatables

    @Test func changedRepeatableIsOutdatedAndPendingNotAMismatch() throws {
        let first = repeatable("view", body: "CREATE VIEW v AS SELECT 1;")
        let second = repeatable("view", body: "CREATE VIEW v AS SELECT 2;")
        let current = repeatable("view", body: "CREATE VIEW v AS SELECT 3;")
        let service = try MigrationInfoService(resolved: [current], applied: [row(1, first), row(2, second)])
        #expect(summary(service) == ["view Superseded", "view Outdated", "view Pending"])
        #expect(service.pending.count == 1)
        #expect(service.pending.first?.applied == nil)
        // migrate: pending ignored, so nothing to report.
        #expect(service.validate(ignoring: ValidatePattern.defaults + [.anyPending]).isEmpty)
        // validate: the outdated row and the pending file.
        let problems = service.validate(ignoring: ValidatePattern.defaults)
        #expect(codes(problems) == ["OUTDATED_REPEATABLE_MIGRATION", "RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED"])
        #expect(
            problems.map(\.message) == [
                "Detected outdated resolved repeatable migration that should be re-applied to database: view.\n"
                    + "Run migrate to execute this migration.",
                "Detected resolved repeatable migration not applied to database: view.\nTo fix this error, either run "
                    + "migrate, or set -ignoreMigrationPatterns='*:pending'.",
            ])
        #expect(problems.first?.version == nil)
    }

    @Test func unchangedRepeatableIsSuccessAndOlderRunsSuperseded() throws {
        let old = repeatable("view", body: "old")
        let current = repeatable("view", body: "new")
        let service = try MigrationInfoService(resolved: [current], applied: [row(1, old), row(2, current)])
        #expect(summary(service) == ["view Superseded", "view Success"])
        #expect(service.pending.isEmpty)
        #expect(service.validate(ignoring: []).isEmpty)
    }

    @Test func repeatableMatchesItsRawChecksumToo() throws {
        let raw = "CREATE OR REPLACE VIEW v AS SELECT ${x} AS x;\n"
        let replaced = repeatable("view", body: "CREATE OR REPLACE VIEW v AS SELECT 42 AS x;\n", raw: raw)
        #expect(replaced.checksum.value == -946_010_551)
        #expect(replaced.equivalentChecksum?.value == 769_116_188)
        let legacyRow = row(1, version: nil, "view", script: "R__view.sql", checksum: 769_116_188)
        let service = try MigrationInfoService(resolved: [replaced], applied: [legacyRow])
        #expect(summary(service) == ["view Success"])
        #expect(service.pending.isEmpty)
    }

    @Test func repeatableRowOfAnotherTypeIsATypeMismatch() throws {
        let view = repeatable("view")
        let stored = row(1, version: nil, "view", type: "JDBC", script: "db.View", checksum: view.checksum.value)
        let problems = try MigrationInfoService(resolved: [view], applied: [stored]).validate(ignoring: [])
        #expect(
            problems.map(\.message) == [
                "Migration type mismatch for migration db.View\n-> Applied to database : JDBC\n"
                    + "-> Resolved locally    : SQL\n"
                    + "Either revert the changes to the migration, or run repair to update the schema history."
            ])
        #expect(codes(problems) == ["TYPE_MISMATCH"])
    }

    @Test func versionedRowOfAnotherTypeDoesNotMatchTheFile() throws {
        // Flyway keys versioned files by (version, type): a JDBC row at 1 is not the SQL file V1.
        let files = [try file("1", "one"), try file("2", "two")]
        let jdbc = row(1, version: "1", "one", type: "JDBC", script: "db.V1", checksum: nil)
        let service = try MigrationInfoService(resolved: files, applied: [jdbc])
        #expect(summary(service) == ["1 Missing", "1 Pending", "2 Pending"])
    }

    // MARK: Failures

    @Test func failedVersionedRowIsReported() throws {
        let one = try file("1", "one")
        let two = try file("2", "second step")
        let service = try MigrationInfoService(
            resolved: [one, two], applied: [row(1, one), row(2, two, success: false)])
        #expect(summary(service) == ["1 Success", "2 Failed"])
        #expect(service.failed.map(\.description) == ["second step"])
        let patternSets: [[ValidatePattern]] = [
            [], ValidatePattern.defaults, [.anyPending], try ValidatePattern.parseList("*:missing"),
        ]
        for patterns in patternSets {
            let problems = service.validate(ignoring: patterns)
            #expect(codes(problems) == ["FAILED_VERSIONED_MIGRATION"])
            #expect(
                problems.first?.message
                    == "Detected failed migration to version 2 (second step).\nPlease remove any half-completed "
                    + "changes then run repair to fix the schema history.")
        }
        #expect(service.validate(ignoring: ValidatePattern.ignoreAll).isEmpty)
    }

    @Test func failedRepeatableRowIsReported() throws {
        let view = repeatable("my view")
        let service = try MigrationInfoService(resolved: [view], applied: [row(1, view, success: false)])
        // The failed run has the file's checksum, so the file is not pending again (Flyway does not look at success).
        #expect(summary(service) == ["my view Failed"])
        let problems = service.validate(ignoring: ValidatePattern.defaults + [.anyPending])
        #expect(codes(problems) == ["FAILED_REPEATABLE_MIGRATION"])
        #expect(
            problems.first?.message
                == "Detected failed repeatable migration: my view.\nPlease remove any half-completed changes then "
                + "run repair to fix the schema history.")
    }

    @Test func failedRowWithoutFileBelowTheNewestIsFailedMissingAndNotCoveredByMissing() throws {
        let files = [try file("1", "one"), try file("3", "three")]
        let failed = row(2, version: "2", "two", checksum: 5, success: false)
        let service = try MigrationInfoService(resolved: files, applied: [row(1, files[0]), failed, row(3, files[1])])
        #expect(summary(service) == ["1 Success", "2 Failed (Missing)", "3 Success"])
        let problems = service.validate(ignoring: try ValidatePattern.parseList("*:missing"))
        #expect(codes(problems) == ["FAILED_VERSIONED_MIGRATION"])
        #expect(problems.first?.filepath == nil)
    }

    @Test func failedFutureRowPassesWhenFutureIsIgnored() throws {
        let one = try file("1", "one")
        let service = try MigrationInfoService(
            resolved: [one], applied: [row(1, one), row(2, version: "2", "two", checksum: 1, success: false)])
        #expect(summary(service) == ["1 Success", "2 Failed (Future)"])
        #expect(service.future.map(\.description) == ["two"])
        #expect(service.validate(ignoring: ValidatePattern.defaults).isEmpty)
        #expect(codes(service.validate(ignoring: [])) == ["FAILED_VERSIONED_MIGRATION"])
    }

    // MARK: Missing and future

    @Test func deletedFileBelowTheNewestIsMissing() throws {
        let files = [try file("1", "one"), try file("2", "two")]
        let gone = row(1, version: "1", "one", script: "V1__one.sql", checksum: 1)
        let service = try MigrationInfoService(resolved: [files[1]], applied: [gone, row(2, files[1])])
        #expect(summary(service) == ["1 Missing", "2 Success"])
        let problems = service.validate(ignoring: ValidatePattern.defaults)
        #expect(codes(problems) == ["APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED"])
        #expect(
            problems.first?.message
                == "Detected applied migration not resolved locally: 1.\nIf you removed this migration intentionally, "
                + "run repair to mark the migration as deleted.")
        #expect(problems.first?.script == "V1__one.sql")
        #expect(problems.first?.filepath == nil)
        #expect(service.validate(ignoring: try ValidatePattern.parseList("*:missing")).isEmpty)
        #expect(service.validate(ignoring: try ValidatePattern.parseList("versioned:missing")).isEmpty)
    }

    @Test func deletedRepeatableFileIsMissing() throws {
        let gone = row(1, version: nil, "old view", script: "R__old_view.sql", checksum: 1)
        let service = try MigrationInfoService(resolved: [try file("1", "one")], applied: [gone])
        #expect(summary(service) == ["old view Missing", "1 Pending"])
        let patterns = try ValidatePattern.parseList("versioned:missing,*:pending")
        let problems = service.validate(ignoring: patterns)
        #expect(codes(problems) == ["APPLIED_REPEATABLE_MIGRATION_NOT_RESOLVED"])
        #expect(
            problems.first?.message
                == "Detected applied migration not resolved locally: old view.\nIf you removed this migration "
                + "intentionally, run repair to mark the migration as deleted.")
        #expect(service.validate(ignoring: try ValidatePattern.parseList("*:missing,*:pending")).isEmpty)
    }

    @Test func onlyTheLatestRunOfADeletedRepeatableIsMissing() throws {
        let older = row(1, version: nil, "old view", checksum: 1)
        let latest = row(2, version: nil, "old view", checksum: 2)
        let service = try MigrationInfoService(resolved: [], applied: [older, latest])
        #expect(summary(service) == ["old view Superseded", "old view Missing"])
        let problems = service.validate(ignoring: [])
        #expect(codes(problems) == ["APPLIED_REPEATABLE_MIGRATION_NOT_RESOLVED"])
        #expect(problems.first?.script == "old view")
        #expect(service.current?.state == .missingSuccess)
    }

    @Test func rowNewerThanEveryFileIsFuture() throws {
        let files = [try file("1", "one"), try file("2", "two")]
        let newer = row(3, version: "3", "three", checksum: 3)
        let service = try MigrationInfoService(resolved: files, applied: [row(1, files[0]), row(2, files[1]), newer])
        #expect(summary(service) == ["1 Success", "2 Success", "3 Future"])
        #expect(service.current?.version?.text == "3")
        #expect(service.future.map(\.description) == ["three"])
        #expect(service.validate(ignoring: ValidatePattern.defaults).isEmpty)
        let problems = service.validate(ignoring: [])
        #expect(codes(problems) == ["APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED"])
        #expect(problems.first?.message.hasPrefix("Detected applied migration not resolved locally: 3.\n") == true)
    }

    @Test func rowsWithoutAnyFileAreFuture() throws {
        let service = try MigrationInfoService(resolved: [], applied: [row(1, version: "1", "one", checksum: 1)])
        #expect(summary(service) == ["1 Future"])
        #expect(service.lastResolvedVersion == nil)
    }

    // MARK: Markers and deletes

    @Test func schemaMarkerIsSuccessAndNotValidated() throws {
        let marker = row(
            0, version: nil, "<< Flyway Schema Creation >>", type: "SCHEMA", script: "\"app\"", checksum: nil)
        let one = try file("1", "one")
        let service = try MigrationInfoService(resolved: [one], applied: [marker, row(1, one)])
        #expect(summary(service) == ["<< Flyway Schema Creation >> Success", "1 Success"])
        #expect(service.all.first?.category == "")
        #expect(service.validate(ignoring: []).isEmpty)
    }

    @Test func emptySchemaFallsBackToTheLatestAppliedRepeatable() throws {
        let marker = row(0, version: nil, "<< Flyway Schema Creation >>", type: "SCHEMA", checksum: nil)
        let view = repeatable("view")
        let service = try MigrationInfoService(
            resolved: [view, try file("1", "one")], applied: [marker, row(1, view)])
        #expect(service.current?.description == "view")
        #expect(service.currentVersion == nil)
        #expect(try MigrationInfoService(resolved: [], applied: [marker]).current?.type == "SCHEMA")
    }

    @Test func legacyVersionZeroSchemaRowIsSuccess() throws {
        let legacy = row(1, version: "0", "<< Flyway Schema Creation >>", type: "SCHEMA", script: "\"app\"")
        let one = try file("1", "one")
        let service = try MigrationInfoService(resolved: [one], applied: [legacy, row(2, one)])
        #expect(summary(service) == ["0 Success", "1 Success"])
        #expect(service.current?.version?.text == "1")
        #expect(service.validate(ignoring: []).isEmpty)
        #expect(try MigrationInfoService(resolved: [one], applied: [legacy]).current?.version?.text == "0")
    }

    @Test func deleteRowMarksTheRowDeletedAndIsHidden() throws {
        let one = try file("1", "one")
        let gone = row(2, version: "2", "two", checksum: 2)
        let delete = row(3, version: "2", "two", type: "DELETE", checksum: 2)
        let service = try MigrationInfoService(resolved: [one], applied: [row(1, one), gone, delete])
        #expect(summary(service) == ["1 Success", "2 Deleted"])
        #expect(service.current?.version?.text == "1")
        #expect(service.validate(ignoring: []).isEmpty)
    }

    @Test func reappliedAfterDeleteCountsOnlyTheNewRow() throws {
        let one = try file("1", "one")
        let two = try file("2", "two")
        let delete = row(3, version: "2", "two", type: "DELETE", checksum: 1)
        let service = try MigrationInfoService(
            resolved: [one, two], applied: [row(1, one), row(2, two), delete, row(4, two)])
        #expect(summary(service) == ["1 Success", "2 Deleted", "2 Success"])
        #expect(service.pending.isEmpty)
    }

    @Test func failedDeleteRowDeletesNothing() throws {
        let one = try file("1", "one")
        let two = try file("2", "two")
        let failedDelete = row(3, version: "2", "two", type: "DELETE", checksum: two.checksum.value, success: false)
        let service = try MigrationInfoService(
            resolved: [one, two], applied: [row(1, one), row(2, two), failedDelete])
        // Flyway lists the unsuccessful DELETE row itself (as Success) and keeps the row it aimed at.
        #expect(summary(service) == ["1 Success", "2 Success", "2 Success"])
        #expect(service.all.map(\.type) == ["SQL", "SQL", "DELETE"])
        #expect(service.current?.type == "SQL")
        #expect(service.validate(ignoring: []).isEmpty)
    }

    @Test func twoDeletesForTheSameRowAreCorruption() throws {
        let one = try file("1", "one")
        let rows = [
            row(1, one), row(2, version: "2", "two", checksum: 2), row(3, version: "2", "two", type: "DELETE"),
            row(4, version: "2.0", "two", type: "DELETE"),
        ]
        do {
            _ = try MigrationInfoService(resolved: [one], applied: rows)
            Issue.record("a second DELETE row should be rejected")
        } catch {
            // Flyway names the version as the second DELETE row spells it.
            #expect(error.message == "Corrupted schema history: multiple delete entries for version 2.0")
        }
    }

    @Test func deleteRowOfARepeatableIsListedAndMarksTheRun() throws {
        let gone = row(1, version: nil, "old view", checksum: 1)
        let delete = row(2, version: nil, "old view", type: "DELETE", checksum: 1)
        let service = try MigrationInfoService(resolved: [], applied: [gone, delete])
        #expect(summary(service) == ["old view Deleted", "old view Success"])
        #expect(service.validate(ignoring: []).isEmpty)
        #expect(service.current == nil)
    }

    // MARK: Baselines

    @Test func baselineMarkerPutsLowerFilesBelowBaseline() throws {
        let files = try ["1", "2", "3", "4", "5"].map { try file($0, "step \($0)") }
        let service = try MigrationInfoService(resolved: files, applied: [baselineMarker(1, "3"), row(2, files[3])])
        #expect(
            summary(service) == [
                "1 Below Baseline", "2 Below Baseline", "3 Ignored (Baseline)", "3 Baseline", "4 Success",
                "5 Pending",
            ])
        #expect(service.current?.version?.text == "4")
        #expect(service.pending.map(\.description) == ["step 5"])
        #expect(service.validate(ignoring: [.anyPending]).isEmpty)
    }

    @Test func baselineCommandAtVersionOneIgnoresV1() throws {
        let files = [try file("1", "init"), try file("2", "next")]
        let service = try MigrationInfoService(resolved: files, applied: [baselineMarker(1, "1")])
        #expect(summary(service) == ["1 Ignored (Baseline)", "1 Baseline", "2 Pending"])
        #expect(service.all[1].category == "")
    }

    @Test func checksumsAtOrBelowTheBaselineAreNotCompared() throws {
        let base = try file("2", "base", body: "CREATE TABLE a ();", kind: .baseline)
        let editedBase = try file("2", "base", body: "CREATE TABLE a (id int);", kind: .baseline)
        let three = try file("3", "three", body: "old")
        let editedThree = try file("3", "three", body: "new")
        let service = try MigrationInfoService(
            resolved: [editedBase, editedThree], applied: [row(1, base), row(2, three)])
        #expect(summary(service) == ["2 Baseline", "3 Success"])
        let problems = service.validate(ignoring: [])
        #expect(codes(problems) == ["CHECKSUM_MISMATCH"])
        #expect(problems.first?.version == "3")
    }

    @Test func baselineMigrationIsPendingOnlyOnAnEmptyDatabase() throws {
        let files = [
            try file("1", "one"), try file("2", "two"), try file("2", "base", kind: .baseline), try file("3", "three"),
        ]
        let empty = try MigrationInfoService(resolved: files, applied: [])
        #expect(summary(empty) == ["1 Below Baseline", "2 Ignored (Baseline)", "2 Pending", "3 Pending"])
        #expect(empty.pending.map(\.type) == ["SQL_BASELINE", "SQL"])
        #expect(empty.pending.first?.category == "Baseline")
        #expect(empty.validate(ignoring: [.anyPending]).isEmpty)

        let used = try MigrationInfoService(resolved: files, applied: [row(1, files[0])])
        #expect(summary(used) == ["1 Success", "2 Pending", "2 Ignored", "3 Pending"])
        // An ignored B migration is not a validation error.
        #expect(used.validate(ignoring: [.anyPending]).isEmpty)
    }

    @Test func appliedBaselineMigrationSetsTheBaseline() throws {
        let files = [
            try file("1", "one"), try file("2", "two"), try file("2", "base", kind: .baseline), try file("3", "three"),
        ]
        let service = try MigrationInfoService(resolved: files, applied: [row(1, files[2])])
        #expect(summary(service) == ["1 Below Baseline", "2 Ignored (Baseline)", "2 Baseline", "3 Pending"])
        #expect(service.current?.version?.text == "2")
    }

    @Test func failedOrUnresolvedBaselineMigrationRows() throws {
        let base = try file("2", "base", kind: .baseline)
        let three = try file("3", "three")
        let failed = try MigrationInfoService(resolved: [base, three], applied: [row(1, base, success: false)])
        #expect(summary(failed) == ["2 Failed", "3 Pending"])
        #expect(codes(failed.validate(ignoring: [.anyPending])) == ["FAILED_VERSIONED_MIGRATION"])

        let missing = try MigrationInfoService(resolved: [three], applied: [row(1, base)])
        #expect(summary(missing) == ["2 Missing", "3 Pending"])
        #expect(codes(missing.validate(ignoring: [.anyPending])) == ["APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED"])
    }

    // MARK: Target

    @Test func versionTargetPutsHigherFilesAboveTarget() throws {
        let files = try ["1", "2", "3", "4"].map { try file($0, "s\($0)") }
        let service = try MigrationInfoService(
            resolved: files, applied: [row(1, files[0])],
            target: .version(try MigrationVersion("2"), optional: false))
        #expect(summary(service) == ["1 Success", "2 Pending", "3 Above Target", "4 Above Target"])
        #expect(service.pending.map(\.description) == ["s2"])
        try service.validateTarget()
        #expect(service.validate(ignoring: [.anyPending]).isEmpty)
    }

    @Test func missingTargetVersionIsAnErrorUnlessOptional() throws {
        let files = [try file("1", "one")]
        let strict = try MigrationInfoService(resolved: files, applied: [], target: try MigrationTarget(parsing: "1.5"))
        do {
            try strict.validateTarget()
            Issue.record("a target no migration has should be rejected")
        } catch {
            #expect(error.code == .configuration)
            #expect(
                error.message
                    == "No migration with a target version 1.5 could be found. Ensure target is specified correctly "
                    + "and the migration exists.")
        }
        let optional = try MigrationInfoService(
            resolved: files, applied: [], target: try MigrationTarget(parsing: "1.5?"))
        try optional.validateTarget()
        #expect(summary(optional) == ["1 Pending"])
    }

    @Test func targetFoundAmongHistoryRowsOnly() throws {
        let service = try MigrationInfoService(
            resolved: [], applied: [row(1, version: "7", "seven", checksum: 1)],
            target: try MigrationTarget(parsing: "7.0"))
        try service.validateTarget()
    }

    @Test func currentTargetAppliesNothingNew() throws {
        let files = try ["1", "2", "3", "4"].map { try file($0, "s\($0)") }
        let service = try MigrationInfoService(
            resolved: files + [repeatable("view")], applied: [row(1, files[0]), row(2, files[1])], target: .current)
        #expect(summary(service) == ["1 Success", "2 Success", "3 Above Target", "4 Above Target", "view Pending"])
        let empty = try MigrationInfoService(resolved: files, applied: [], target: .current)
        #expect(empty.all.allSatisfy { $0.state == .aboveTarget })
        try empty.validateTarget()
    }

    @Test func nextTargetStopsAfterTheFirstPendingVersion() throws {
        let files = try ["1", "2", "3", "4"].map { try file($0, "s\($0)") }
        let service = try MigrationInfoService(
            resolved: files + [repeatable("view")], applied: [row(1, files[0])], target: .next)
        #expect(summary(service) == ["1 Success", "2 Pending", "3 Above Target", "4 Above Target", "view Pending"])
        #expect(service.pending.first?.description == "s2")

        let onlyRepeatable = try MigrationInfoService(
            resolved: [files[0], repeatable("view")], applied: [row(1, files[0])], target: .next)
        #expect(summary(onlyRepeatable) == ["1 Success", "view Pending"])
    }

    @Test func latestTargetCapsNothing() throws {
        let files = try ["1", "20240101120000"].map { try file($0, "s\($0)") }
        let service = try MigrationInfoService(
            resolved: files, applied: [], target: try MigrationTarget(parsing: "latest"))
        #expect(summary(service) == ["1 Pending", "20240101120000 Pending"])
    }
}
