import Foundation
import Testing
import RunwayTestSupport

/// `migrate wait`, the init container of Strategy B: it lets a pod start only once the schema matches the files
/// that pod ships, with the same validation `migrate` runs.
@Suite("migrate wait (built binary, real PostgreSQL)")
struct WaitTests {
    let files = ["V1__a.sql": "CREATE TABLE a (id int);", "V2__b.sql": "CREATE TABLE b (id int);"]

    /// Runs `migrate <command>` on the folder and expects exit 0.
    func run(_ command: String, _ folder: MigrationFolder, _ db: TestDatabase) async throws {
        let output = try await runMigrate([command, "--locations", folder.path], environment: db.environment)
        #expect(output.status == 0, "\(command): \(output.stderr)")
    }

    /// A new database on which `files` were migrated, and their folder.
    func migrated(_ label: String) async throws -> (TestDatabase, MigrationFolder) {
        let db = try TestDatabase(label)
        let folder = try MigrationFolder(files)
        try await run("migrate", folder, db)
        return (db, folder)
    }

    /// A `wait` that gives up after `timeout` seconds, checking every 0.2 s.
    func wait(_ folder: MigrationFolder, _ db: TestDatabase, timeout: Int) throws -> RunningMigrate {
        try startMigrate(
            ["wait", "--locations", folder.path, "--timeout", String(timeout), "--interval", "0.2"],
            environment: db.environment)
    }

    @Test("an applied migration edited: wait keeps waiting (exit 5, saying why) until repair realigns the history")
    func checksumMismatch() async throws {
        let (db, folder) = try await migrated("waitchecksum")
        try folder.write("V2__b.sql", "CREATE TABLE b (id bigint);")

        let timedOut = try await wait(folder, db, timeout: 2).finish()
        #expect(timedOut.status == 5, "\(timedOut.all)")
        #expect(timedOut.stderr.contains("checksum mismatch for migration version 2"), "\(timedOut.stderr)")

        let waiting = try wait(folder, db, timeout: 120)
        try await Task.sleep(for: .seconds(1))
        try await run("repair", folder, db)
        let released = await waiting.finish()
        #expect(released.status == 0, "\(released.all)")
        #expect(released.stderr.contains("Waiting for migrations"), "\(released.stderr)")
        #expect(released.stderr.contains("checksum mismatch"), "\(released.stderr)")
        #expect(released.stdout.contains("Schema is migrated (version 2)"))
    }

    /// V1, not the latest: an applied version above every file is `future`, which `*:future` (the default)
    /// ignores, for `migrate` as for `wait` (an older release may still run against a newer schema).
    @Test("an applied migration's file deleted: wait keeps waiting until the file is back")
    func deletedFile() async throws {
        let (db, folder) = try await migrated("waitdeleted")
        try folder.remove("V1__a.sql")
        let refused = try await runMigrate(["migrate", "--locations", folder.path], environment: db.environment)
        #expect(refused.status == 1, "migrate refuses it too: \(refused.all)")

        let timedOut = try await wait(folder, db, timeout: 2).finish()
        #expect(timedOut.status == 5, "\(timedOut.all)")
        #expect(timedOut.stderr.contains("not resolved locally"), "\(timedOut.stderr)")

        let waiting = try wait(folder, db, timeout: 120)
        try await Task.sleep(for: .seconds(1))
        try folder.write("V1__a.sql", files["V1__a.sql"] ?? "")
        let released = await waiting.finish()
        #expect(released.status == 0, "\(released.all)")
        #expect(released.stderr.contains("not resolved locally"), "\(released.stderr)")
    }

    @Test("ignoreMigrationPatterns apply as for migrate: a deleted file ignored with *:missing does not hold the pod")
    func ignorePatterns() async throws {
        let (db, folder) = try await migrated("waitignore")
        try folder.remove("V1__a.sql")
        let output = try await runMigrate(
            ["wait", "--locations", folder.path, "--timeout", "5", "--ignore-migration-patterns", "*:missing"],
            environment: db.environment)
        #expect(output.status == 0, "\(output.all)")
    }
}
