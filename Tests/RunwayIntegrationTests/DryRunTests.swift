import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

/// The dry run and cherry-pick (issue 15): the dry-run script, run through psql on a twin database, gives what
/// `migrate` gives; cherry-pick applies only the migrations it names, with Flyway's out-of-order rule.
@Suite("dry run and cherry-pick (real PostgreSQL)")
struct DryRunTests {
    /// Migrations that use what a script can hold: placeholders, a non-transactional index build, COPY data, a
    /// repeatable view, and a callback around each migration.
    static let files = [
        "V1__orders.sql": """
        CREATE TABLE orders (id int PRIMARY KEY, owner text NOT NULL DEFAULT '${owner}');
        INSERT INTO orders (id) VALUES (1), (2);
        """,
        "V2__index.sql": "CREATE INDEX CONCURRENTLY orders_owner ON orders (owner);",
        "V3__copy.sql": "COPY orders (id, owner) FROM STDIN;\n3\tcopied\n4\tcopied\n\\.\n",
        "R__totals.sql": "CREATE OR REPLACE VIEW totals AS SELECT owner, count(*) AS n FROM orders GROUP BY owner;",
        "afterEachMigrate.sql": "CREATE TABLE IF NOT EXISTS audit (id serial PRIMARY KEY, at text);\n"
            + "INSERT INTO audit (at) VALUES ('after each');",
    ]

    static func historyRows(_ db: TestDatabase) throws -> [String] {
        try db.rows(
            """
            SELECT concat_ws('|', installed_rank, version, description, type, script, checksum, installed_by, success)
            FROM flyway_schema_history ORDER BY installed_rank
            """
        ).map { $0[0] ?? "" }
    }

    static func psql(_ script: String, on db: TestDatabase) throws {
        let folder = try MigrationFolder(["dry-run.sql": script])
        let endpoint = db.endpoint
        let (status, errors) = try PsqlDifferential.run(
            endpoint.bin + "/psql",
            [
                "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", endpoint.host, "-p", endpoint.port, "-U", endpoint.user,
                "-d",
                db.name, "-f", folder.path + "/dry-run.sql",
            ],
            environment: ["PGPASSWORD": endpoint.password, "PGSSLMODE": "disable", "PATH": "/usr/bin:/bin"])
        #expect(status == 0, "psql failed on the dry run:\n\(errors)\n\(script)")
    }

    static func dryRun(_ migrator: Migrator) async throws -> (String, DryRunResult) {
        let text = LockedText()
        let result = try await migrator.dryRun { (piece) throws(RunwayError) in text.append(piece) }
        return (text.value, result)
    }

    @Test("the dry run through psql gives migrate's schema, data and history rows; the database is left unchanged")
    func dryRunMatchesMigrate() async throws {
        let live = try TestDatabase("dryrunlive")
        let twin = try TestDatabase("dryruntwin")
        var files = Self.files
        let folder = try MigrationFolder(files)
        let configure = { (configuration: inout Configuration) in configuration.placeholders = ["owner": "ops"] }

        let (script, result) = try await Self.dryRun(live.migrator([folder.path], configure))
        #expect(
            result.migrations.map(\.script) == ["V1__orders.sql", "V2__index.sql", "V3__copy.sql", "R__totals.sql"])
        #expect(script.contains("-- V2__index.sql: version \"2 - index\" (not transactional)"))
        #expect(script.contains("(runs outside a transaction, as migrate runs it)"))
        #expect(script.contains("DEFAULT 'ops'") && !script.contains("${owner}"))
        #expect(try live.scalar("SELECT to_regclass('flyway_schema_history') IS NULL") == "t", "the dry run wrote")
        #expect(try live.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") == "0")

        try Self.psql(script, on: twin)
        try await live.migrator([folder.path], configure).migrate()
        #expect(try PsqlDifferential.snapshot(twin) == PsqlDifferential.snapshot(live))
        #expect(try Self.historyRows(twin) == Self.historyRows(live))

        // A second round on an existing history: a new version and a changed repeatable.
        files["V4__more.sql"] = "INSERT INTO orders (id) VALUES (5);"
        files["R__totals.sql"] =
            "CREATE OR REPLACE VIEW totals AS SELECT owner, count(*) AS n, max(id) AS top FROM "
            + "orders GROUP BY owner;"
        let newer = try MigrationFolder(files)
        let (second, secondResult) = try await Self.dryRun(live.migrator([newer.path], configure))
        #expect(secondResult.migrations.map(\.script) == ["V4__more.sql", "R__totals.sql"])
        #expect(!second.contains("CREATE TABLE \"public\".\"flyway_schema_history\""))
        try Self.psql(second, on: twin)
        try await live.migrator([newer.path], configure).migrate()
        #expect(try PsqlDifferential.snapshot(twin) == PsqlDifferential.snapshot(live))
        #expect(try Self.historyRows(twin) == Self.historyRows(live))
    }

    @Test("migrate() refuses to run while dryRunOutput is set")
    func migrateRefusesDuringDryRun() async throws {
        let db = try TestDatabase("dryrunrefuse")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        await #expect(throws: RunwayError.self) {
            try await db.migrator([folder.path]) { $0.dryRunOutput = "out.sql" }.migrate()
        }
        #expect(try db.scalar("SELECT to_regclass('a') IS NULL") == "t")
    }

    @Test("cherry-pick applies only the named migrations; a lower version needs outOfOrder; unknown names are errors")
    func cherryPick() async throws {
        let db = try TestDatabase("cherrypick")
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);", "V2__b.sql": "CREATE TABLE b (id int);",
            "V3__c.sql": "CREATE TABLE c (id int);", "R__view_a.sql": "CREATE OR REPLACE VIEW view_a AS SELECT 1 AS x;",
        ])
        let picked = try await db.migrator([folder.path]) { $0.cherryPick = ["1", "3", "view a"] }.migrate()
        #expect(picked.migrations.map(\.script) == ["V1__a.sql", "V3__c.sql", "R__view_a.sql"])
        #expect(try db.scalar("SELECT to_regclass('b') IS NULL") == "t")

        await #expect(throws: RunwayError.self) {
            try await db.migrator([folder.path]) { $0.cherryPick = ["9"] }.migrate()
        }
        // V2 is now below the current version: validation refuses it (Flyway's "resolved migration not applied"),
        // and without validation the cherry-pick itself does.
        do {
            try await db.migrator([folder.path]) { $0.cherryPick = ["2"] }.migrate()
            Issue.record("V2 below the current version was applied without outOfOrder")
        } catch {
            #expect(
                error.message.contains("Detected resolved migration not applied to database: 2"), "\(error.message)")
        }
        do {
            try await db.migrator([folder.path]) {
                $0.cherryPick = ["2"]
                $0.validateOnMigrate = false
            }.migrate()
            Issue.record("V2 below the current version was applied without outOfOrder")
        } catch {
            #expect(error.message.contains("below the current version: set outOfOrder"), "\(error.message)")
        }
        let late = try await db.migrator([folder.path]) {
            $0.cherryPick = ["2", "1"]
            $0.outOfOrder = true
        }.migrate()
        #expect(late.migrations.map(\.script) == ["V2__b.sql"])
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE success") == "4")
    }
}

/// Text appended from a `@Sendable` sink.
final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func append(_ piece: String) { lock.withLock { text += piece } }
    var value: String { lock.withLock { text } }
}
