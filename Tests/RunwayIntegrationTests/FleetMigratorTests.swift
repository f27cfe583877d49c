import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

/// The library's fleet API: plans, shards, the stream of results, and connections handed from one tenant to the
/// next only after a reset.
@Suite("FleetMigrator (library, real PostgreSQL)")
struct FleetMigratorTests {
    @Test("a connection handed to the next tenant carries nothing over: temporary tables, session settings")
    func pooledConnectionsAreReset() async throws {
        let db = try TestDatabase("fleetpool")
        let folder = try MigrationFolder([
            "V1__leaky.sql": """
            DO $$ BEGIN
                IF coalesce(current_setting('app.leak', true), '') <> '' THEN RAISE 'a setting leaked in'; END IF;
            END $$;
            CREATE TABLE t (id int);
            CREATE TEMP TABLE leak (x int);
            SET SESSION app.leak = 'yes';
            """,
            "V2__check.sql": "INSERT INTO t VALUES (1);",
        ])
        let configuration = db.configuration([folder.path])
        let names = (1...24).map { "tenant_\($0)" }
        let fleet = FleetMigrator(
            configuration: configuration, targets: .schemas(names), options: FleetOptions(parallel: 2),
            logger: Logger(label: "fleet-test"))
        let plan = try await fleet.plan()
        #expect(plan.targets == names && plan.parallel == 2)
        var results: [FleetTargetResult] = []
        for await result in fleet.run(.migrate, plan: plan) { results.append(result) }
        #expect(results.count == names.count)
        let failures = results.filter { $0.outcome != .succeeded }.map { "\($0.target): \($0.error?.message ?? "")" }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(results.allSatisfy { $0.migrationsExecuted == 2 && $0.schemaVersionAfter == "2" })
        for name in names { #expect(try db.scalar("SELECT count(*) FROM \(name).t") == "1") }
    }

    @Test("shards partition the targets by name alone: adding a tenant moves no other")
    func stableShards() throws {
        let names = (1...500).map { "tenant_\($0)" }
        let before = names.map { FleetShard.shard(of: $0, count: 7) }
        let after = (names + ["tenant_new"]).map { FleetShard.shard(of: $0, count: 7) }
        #expect(Array(after.prefix(names.count)) == before)
        let sizes = (0..<7).map { shard in before.filter { $0 == shard }.count }
        #expect(sizes.allSatisfy { $0 > 40 }, "\(sizes)")
        let shards = try (0..<7).map { try FleetShard(index: $0, count: 7) }
        for name in names { #expect(shards.filter { $0.contains(name) }.count == 1) }
    }

    @Test(
        "--shard accepts K/N only",
        arguments: ["", "1", "1/", "/2", "a/2", "2/2", "-1/2", "0/0", "1/2/3", "99999999999999999999/2"])
    func rejectsBadShards(_ text: String) {
        #expect(throws: RunwayError.self) { try FleetShard(parsing: text) }
    }

    @Test func parsesShards() throws {
        #expect(try FleetShard(parsing: "0/1").description == "0/1")
        #expect(try FleetShard(parsing: " 3 / 4 ").index == 3)
    }

    @Test("target files: one a line, # comments and blank lines skipped, whitespace trimmed")
    func targetFiles() {
        #expect(
            FleetTargets.entries(fromFileText: "# tenants\r\nacme\n\n  globex \n#old\npostgresql://h/db\n")
                == ["acme", "globex", "postgresql://h/db"])
    }

    @Test("fail-fast stops starting targets; the rest are reported as not started")
    func failFastStream() async throws {
        let db = try TestDatabase("fleetstream")
        let folder = try MigrationFolder(["V1__boom.sql": "SELECT 1/0;"])
        let fleet = FleetMigrator(
            configuration: db.configuration([folder.path]), targets: .schemas((1...10).map { "s\($0)" }),
            options: FleetOptions(parallel: 1, failFast: true), logger: Logger(label: "fleet-test"))
        var outcomes: [FleetTargetResult.Outcome] = []
        for await result in try await fleet.migrate() { outcomes.append(result.outcome) }
        #expect(outcomes == [.failed] + Array(repeating: .notStarted, count: 9))
    }

    @Test("a pooled connection that died while idle is replaced by a fresh one")
    func deadPooledConnectionIsReplaced() async throws {
        let db = try TestDatabase("fleetdead")
        let configuration = db.configuration([])
        let pool = ConnectionPool(capacity: 2)
        let logger = Logger(label: "fleet-test")
        var first: Session? = try Session(
            configuration: configuration, logger: logger, cancellation: Cancellation(), readWrite: false, pool: pool)
        let pid = try #require(try first?.work.execute("SELECT pg_backend_pid()").scalar)
        first = nil  // back to the pool
        _ = try db.scalar("SELECT pg_terminate_backend(\(pid))")
        try await eventually(30, "the backend gone") {
            try db.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid)") == "0"
        }
        let second = try Session(
            configuration: configuration, logger: logger, cancellation: Cancellation(), readWrite: false, pool: pool)
        let newPid = try #require(try second.work.execute("SELECT pg_backend_pid()").scalar)
        #expect(newPid != pid)
        #expect(second.database == db.name)
    }
}
