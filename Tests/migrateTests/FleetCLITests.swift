import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// Fleets through the built binary: every tenant schema or database of a real server, several at once, sharded, with
/// failures, kill -9 and re-runs. Sizes come from RUNWAY_FLEET_SCHEMAS (default 1,000) and RUNWAY_FLEET_DATABASES
/// (default 100); the AddressSanitizer stage runs smaller fleets.
@Suite("fleets: --each-schema-query, --each-database-query, --shard, --parallel (built binary, real PostgreSQL)")
struct FleetCLITests {
    static let schemaCount = Int(ProcessInfo.processInfo.environment["RUNWAY_FLEET_SCHEMAS"] ?? "") ?? 1_000
    static let databaseCount = Int(ProcessInfo.processInfo.environment["RUNWAY_FLEET_DATABASES"] ?? "") ?? 100

    /// Two migrations that leave one row per tenant, naming the tenant through `${flyway:defaultSchema}`.
    static let migrations = [
        "V1__items.sql": "CREATE TABLE items (id int PRIMARY KEY, tenant text NOT NULL);",
        "V2__first_item.sql": "INSERT INTO items VALUES (1, '${flyway:defaultSchema}');",
    ]

    /// A registry table of `count` tenant schemas, `tenant_1` ... `tenant_<count>`.
    static func registry(_ db: TestDatabase, count: Int) throws {
        try db.connect().execute(
            "CREATE TABLE registry (name text); INSERT INTO registry SELECT 'tenant_' || g FROM generate_series(1, "
                + "\(count)) g")
    }

    static let query = "SELECT name FROM registry ORDER BY 1"

    /// Every tenant schema holds its one row and exactly one successful history row per version.
    static func expectEachTenantMigratedOnce(_ db: TestDatabase, count: Int) throws {
        let schemas = try db.rows(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
                + "WHERE c.relname = 'flyway_schema_history' AND n.nspname LIKE 'tenant\\_%'")
        #expect(schemas.count == count)
        let union = schemas.compactMap { $0[0] }.map { schema in
            let quoted = quoteIdentifier(schema)
            return "SELECT '\(schema)' AS tenant, (SELECT count(*) FROM \(quoted).items WHERE tenant = '\(schema)') "
                + "AS items, (SELECT count(*) FROM \(quoted).flyway_schema_history WHERE success AND version IN "
                + "('1', '2')) AS versions, (SELECT count(*) FROM \(quoted).flyway_schema_history "
                + "WHERE NOT success) AS failed"
        }
        var wrong: [[String?]] = []
        for chunk in stride(from: 0, to: union.count, by: 200) {
            let part = union[chunk..<min(chunk + 200, union.count)].joined(separator: " UNION ALL ")
            wrong += try db.rows(
                "SELECT * FROM (\(part)) t WHERE items <> 1 OR versions <> 2 OR failed <> 0 ORDER BY tenant")
        }
        #expect(wrong.isEmpty, "tenants not migrated exactly once: \(wrong.prefix(5))")
    }

    static func json(_ output: RunOutput) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stderr)")
    }

    static func targets(_ document: [String: Any], outcome: String? = nil) throws -> [String] {
        let targets = try #require(document["targets"] as? [[String: Any]])
        return targets.filter { outcome == nil || $0["outcome"] as? String == outcome }.compactMap {
            $0["name"] as? String
        }
    }

    @Test("every tenant schema a query returns is migrated once, in parallel; the second run is a no-op")
    func thousandSchemas() async throws {
        let db = try TestDatabase("fleetschemas")
        try Self.registry(db, count: Self.schemaCount)
        let folder = try MigrationFolder(Self.migrations)
        let arguments = [
            "migrate", "--locations", folder.path, "--each-schema-query", Self.query, "--parallel", "8", "--output",
            "json",
        ]
        let first = try await runMigrate(arguments, environment: db.environment)
        #expect(first.status == 0, "\(first.stderr.suffix(2_000))")
        let document = try Self.json(first)
        let summary = try #require(document["summary"] as? [String: Any])
        #expect(summary["total"] as? Int == Self.schemaCount)
        #expect(summary["succeeded"] as? Int == Self.schemaCount)
        #expect(try Self.targets(document).count == Self.schemaCount)
        let one = try #require((document["targets"] as? [[String: Any]])?.first)
        #expect(one["schemaVersionAfter"] as? String == "2" && one["migrationsExecuted"] as? Int == 2)
        try Self.expectEachTenantMigratedOnce(db, count: Self.schemaCount)

        let again = try await runMigrate(arguments, environment: db.environment)
        #expect(again.status == 0, "\(again.stderr.suffix(2_000))")
        let noop = try Self.json(again)
        let executed = (noop["targets"] as? [[String: Any]] ?? []).reduce(0) {
            $0 + ($1["migrationsExecuted"] as? Int ?? -1)
        }
        #expect(executed == 0)
        try Self.expectEachTenantMigratedOnce(db, count: Self.schemaCount)
        // Progress and one line per target on stderr.
        #expect(first.stderr.contains("Fleet progress: \(Self.schemaCount)/\(Self.schemaCount) done, 0 failed"))
        #expect(first.stderr.contains("tenant_1: ok"))
    }

    @Test("every database a query returns is migrated on the same server", .timeLimit(.minutes(5)))
    func hundredDatabases() async throws {
        let db = try TestDatabase("fleetdbs")
        let prefix = db.name + "_t"
        let names = (1...Self.databaseCount).map { "\(prefix)\($0)" }
        defer {
            for name in names {
                _ = try? db.connect().execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
            }
        }
        for name in names { try db.connect().execute("CREATE DATABASE \(quoteIdentifier(name))") }
        try db.connect().execute("CREATE TABLE tenants (db text)")
        try db.connect().execute("INSERT INTO tenants VALUES " + names.map { "('\($0)')" }.joined(separator: ", "))
        let folder = try MigrationFolder(Self.migrations)
        let output = try await runMigrate(
            [
                "migrate", "--locations", folder.path, "--each-database-query", "SELECT db FROM tenants", "--parallel",
                "6", "--output", "json",
            ], environment: db.environment)
        #expect(output.status == 0, "\(output.stderr.suffix(2_000))")
        #expect(Set(try Self.targets(Self.json(output), outcome: "succeeded")) == Set(names))
        var settings = db.settings
        for name in names {
            settings.database = name
            let connection = try Connection(parameters: settings.libpqParameters(), logger: .init(label: "t"))
            #expect(try connection.execute("SELECT tenant FROM public.items").scalar == "public", "\(name)")
            #expect(try connection.execute("SELECT count(*) FROM flyway_schema_history WHERE success").scalar == "2")
        }
    }

    @Test(
        "a tenant that fails is named with its migration, line and error; the others complete; a re-run after the fix finishes it"
    )
    func failingTenant() async throws {
        let db = try TestDatabase("fleetfail")
        try Self.registry(db, count: 40)
        var files = Self.migrations
        let folder = try MigrationFolder(files)
        let arguments = ["--each-schema-query", Self.query, "--parallel", "4"]
        #expect(
            try await runMigrate(["migrate", "--locations", folder.path] + arguments, environment: db.environment)
                .status == 0)
        // A clashing object in one tenant only.
        try db.connect().execute("CREATE TABLE tenant_7.extras (clash int)")
        files["V3__extras.sql"] = "\nCREATE TABLE extras (id int);"
        let newer = try MigrationFolder(files)
        let output = try await runMigrate(
            ["migrate", "--locations", newer.path] + arguments, environment: db.environment)
        #expect(output.status == 1, "\(output.stderr.suffix(2_000))")
        #expect(output.stderr.contains("tenant_7: FAILED (V3__extras.sql:2, SQLSTATE 42P07)"), "\(output.stderr)")
        #expect(output.stdout.contains("40 targets, 39 succeeded, 1 failed"), "\(output.stdout)")
        #expect(try db.scalar("SELECT count(*) FROM tenant_8.flyway_schema_history WHERE version = '3'") == "1")
        #expect(try db.scalar("SELECT count(*) FROM tenant_7.flyway_schema_history WHERE version = '3'") == "0")

        try db.connect().execute("DROP TABLE tenant_7.extras")
        let rerun = try await runMigrate(
            ["migrate", "--locations", newer.path] + arguments, environment: db.environment)
        #expect(rerun.status == 0, "\(rerun.stderr.suffix(2_000))")
        #expect(rerun.stdout.contains("tenant_7  succeeded  2 -> 3  1 migration "), "\(rerun.stdout)")
        #expect(rerun.stdout.contains("tenant_8  succeeded  version 3"), "\(rerun.stdout)")
        try Self.expectEachTenantMigratedOnce(db, count: 40)
    }

    @Test("--fail-fast stops starting tenants after the first failure; they are reported as not started")
    func failFast() async throws {
        let db = try TestDatabase("fleetfast")
        try Self.registry(db, count: 30)
        let folder = try MigrationFolder(["V1__boom.sql": "SELECT 1/0;"])
        let output = try await runMigrate(
            [
                "migrate", "--locations", folder.path, "--each-schema-query", Self.query, "--parallel", "2",
                "--fail-fast", "--output", "json",
            ], environment: db.environment)
        #expect(output.status == 1)
        let summary = try #require(try Self.json(output)["summary"] as? [String: Any])
        #expect((summary["failed"] as? Int ?? 0) >= 1 && (summary["failed"] as? Int ?? 0) <= 2)
        #expect((summary["notStarted"] as? Int ?? 0) >= 28)
    }

    @Test(
        "kill -9 in the middle of a fleet, then a re-run: every tenant's effects and rows exactly once",
        .timeLimit(.minutes(3)))
    func killMidFleet() async throws {
        let db = try TestDatabase("fleetkill")
        let count = min(Self.schemaCount, 200)
        try Self.registry(db, count: count)
        var files = Self.migrations
        // V2 waits at the gate: the kill lands while four tenants are inside V2's transaction, however loaded the
        // machine is, and after some tenants committed V1.
        files["V2__first_item.sql"] =
            "SELECT count(*) FROM gate.gate;\nINSERT INTO items VALUES (1, '${flyway:defaultSchema}');"
        let folder = try MigrationFolder(files)
        let gate = try Gate(db)
        let arguments = ["migrate", "--locations", folder.path, "--each-schema-query", Self.query, "--parallel", "4"]
        let running = try startMigrate(arguments, environment: db.environment)
        try await eventually(120, "four tenants waiting at the gate") {
            Int(
                try db.scalar(
                    "SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted "
                        + "WHERE a.datname = current_database() AND l.relation = 'gate.gate'::regclass") ?? "0")
                == 4
        }
        kill(running.processIdentifier, SIGKILL)
        let killed = await running.finish()
        #expect(killed.status == 137)
        try gate.open()
        let rerun = try await runMigrate(arguments, environment: db.environment)
        #expect(rerun.status == 0, "\(rerun.stderr.suffix(2_000))")
        try Self.expectEachTenantMigratedOnce(db, count: count)
    }

    @Test("three shards run separately cover every tenant exactly once and are disjoint")
    func shards() async throws {
        let db = try TestDatabase("fleetshards")
        let count = min(Self.schemaCount, 300)
        try Self.registry(db, count: count)
        let folder = try MigrationFolder(Self.migrations)
        var seen: [[String]] = []
        for index in 0..<3 {
            let output = try await runMigrate(
                [
                    "migrate", "--locations", folder.path, "--each-schema-query", Self.query, "--shard",
                    "\(index)/3", "--output", "json",
                ], environment: db.environment)
            #expect(output.status == 0, "\(output.stderr.suffix(2_000))")
            let document = try Self.json(output)
            #expect(document["shard"] as? String == "\(index)/3")
            seen.append(try Self.targets(document, outcome: "succeeded"))
        }
        let all = seen.flatMap { $0 }
        #expect(all.count == count && Set(all).count == count)
        #expect(seen.allSatisfy { $0.count > count / 6 }, "shards very uneven: \(seen.map(\.count))")
        try Self.expectEachTenantMigratedOnce(db, count: count)
    }

    @Test("validate across the fleet reports exactly the tenants that are behind")
    func validateReportsTenantsBehind() async throws {
        let db = try TestDatabase("fleetvalidate")
        try Self.registry(db, count: 50)
        var files = Self.migrations
        let folder = try MigrationFolder(files)
        let all = ["--each-schema-query", Self.query]
        #expect(
            try await runMigrate(["migrate", "--locations", folder.path] + all, environment: db.environment).status == 0
        )
        files["V3__second_item.sql"] = "INSERT INTO items VALUES (2, 'x');"
        let newer = try MigrationFolder(files)
        let ahead = (1...50).filter { $0 % 7 == 0 }.map { "tenant_\($0)" }
        let partial = try await runMigrate(
            ["migrate", "--locations", newer.path, "--each-schema", ahead.joined(separator: ",")],
            environment: db.environment)
        #expect(partial.status == 0, "\(partial.stderr)")
        let validate = try await runMigrate(
            ["validate", "--locations", newer.path, "--output", "json"] + all, environment: db.environment)
        #expect(validate.status == 1)
        let document = try Self.json(validate)
        let behind = Set((1...50).map { "tenant_\($0)" }).subtracting(ahead)
        #expect(Set(try Self.targets(document, outcome: "failed")) == behind)
        #expect(Set(try Self.targets(document, outcome: "succeeded")) == Set(ahead))
        let info = try await runMigrate(
            ["info", "--locations", newer.path, "--output", "json"] + all, environment: db.environment)
        #expect(info.status == 0)
    }

    @Test(
        "bad fleet input: a clear error naming the flag, exit 2, nothing changed",
        arguments: [
            (["--each-schema-query", "SELECT name, 1 FROM registry"], "exactly one column"),
            (["--each-schema-query", "SELECT NULL::text"], "NULL in row 1"),
            (["--each-schema-query", "CREATE TABLE hacked (x int)"], "--each-schema-query failed"),
            (["--each-schema-query", "SELECT 1; DROP TABLE registry"], "--each-schema-query failed"),
            (["--each-schema", "a,,b"], "empty name"),
            (["--each-schema", "a", "--each-database", "b"], "give one of them"),
            (["--each-schema", "a", "--shard", "3/3"], "is not a shard"),
            (["--each-schema", "a", "--shard", "x/3"], "is not K/N"),
            (["--each-schema", "a", "--parallel", "0"], "at least one target"),
            (["--shard", "0/2"], "--shard needs targets"),
            (["--each-schema-file", "/nonexistent/tenants.txt"], "cannot be read"),
        ])
    func hostileInput(_ flags: [String], _ expected: String) async throws {
        let db = try TestDatabase("fleetbad")
        try Self.registry(db, count: 3)
        let folder = try MigrationFolder(Self.migrations)
        let output = try await runMigrate(["migrate", "--locations", folder.path] + flags, environment: db.environment)
        #expect(output.status == 2, "\(output.stderr)")
        #expect(output.stderr.contains(expected), "\(output.stderr)")
        #expect(!output.stderr.contains(db.endpoint.password))
        #expect(try db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('a', 'b')") == "0")
        #expect(try db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'hacked'") == "0")
        #expect(try db.scalar("SELECT count(*) FROM registry") == "3")
    }

    @Test(
        "a parallelism above the server's free connections is lowered with a message; JSON log lines carry the target")
    func parallelLoweredAndJSONLogs() async throws {
        let db = try TestDatabase("fleetslots")
        let file = try MigrationFolder(["tenants.txt": "# tenants\ntenant_a\n\n  tenant_b  \ntenant_a\n"])
        let folder = try MigrationFolder(Self.migrations)
        let output = try await runMigrate(
            [
                "migrate", "--locations", folder.path, "--each-schema-file", file.path + "/tenants.txt", "--parallel",
                "100000", "--log-format", "json",
            ], environment: db.environment)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stderr.contains("--parallel 100000 needs up to 200000 connections but the server has"))
        let lines = output.stderr.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let finished = lines.filter { ($0["message"] as? String)?.hasSuffix(": ok") == true }
        #expect(Set(finished.compactMap { $0["target"] as? String }) == ["tenant_a", "tenant_b"])
        #expect(try db.scalar("SELECT count(*) FROM tenant_b.items") == "1")
    }

    @Test("a fleet dry run writes one section per tenant and changes nothing")
    func fleetDryRun() async throws {
        let db = try TestDatabase("fleetdry")
        let folder = try MigrationFolder(Self.migrations)
        let output = try MigrationFolder()
        let run = try await runMigrate(
            [
                "migrate", "--locations", folder.path, "--each-schema", "tenant_a,tenant_b", "--dry-run-output",
                output.path + "/fleet.sql",
            ], environment: db.environment)
        #expect(run.status == 0, "\(run.stderr)")
        let script = try output.text("fleet.sql")
        #expect(script.contains("-- ===== target tenant_a =====") && script.contains("-- ===== target tenant_b ====="))
        #expect(script.contains("CREATE SCHEMA \"tenant_b\";") && script.contains("VALUES (1, 'tenant_b')"))
        #expect(try db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'") == "0")
    }
}
