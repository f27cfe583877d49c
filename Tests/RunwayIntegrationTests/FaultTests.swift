import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("faults: half-applied non-transactional migrations, killed backends, server restarts")
struct FaultTests {
    @Test("a non-transactional migration failing half-way reports what committed and the INVALID index to drop")
    func nonTransactionalHalfWay() async throws {
        let db = try TestDatabase("halfway")
        let folder = try MigrationFolder([
            "V1__t.sql": "CREATE TABLE t (id int, v int);\nINSERT INTO t VALUES (1, 1), (2, 1);",
            "V2__indexes.sql":
                "CREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n\nCREATE UNIQUE INDEX CONCURRENTLY t_v_key ON t (v);\n",
        ])
        let migrator = db.migrator([folder.path])
        let error = await #expect(throws: RunwayError.self) { try await migrator.migrate() }
        #expect(error?.sqlState == "23505")
        #expect(error?.line == 3)
        let detail = error?.detail ?? ""
        #expect(detail.contains("Committed before the failure (not rolled back): 1 of 2 statements (line 1)."))
        #expect(detail.contains("INVALID index left behind: public.t_v_key"))
        #expect(detail.contains("DROP INDEX CONCURRENTLY IF EXISTS public.t_v_key;"))
        #expect(try db.history().last?.hasSuffix("|f") == true)
        // The operator follows the advice, fixes the file and repairs; migrate then completes.
        try db.connect().execute("DROP INDEX CONCURRENTLY IF EXISTS public.t_v_key")
        try db.connect().execute("DROP INDEX CONCURRENTLY IF EXISTS public.t_id_idx")
        try folder.write("V2__indexes.sql", "CREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n")
        _ = try await migrator.repair()
        #expect(try await migrator.migrate().migrations.map(\.version) == ["2"])
    }

    /// A migration that waits on advisory lock 4242, which the test holds: the run stays in progress until the
    /// test acts.
    static let gated = "CREATE TABLE gated (id int);\nSELECT pg_advisory_xact_lock(4242);"

    func waitUntilGated(_ connection: Connection) async throws -> String {
        var pid = ""
        try await eventually {
            pid =
                try connection.execute(
                    "SELECT pid::text FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted "
                        + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ).scalar ?? ""
            return !pid.isEmpty
        }
        return pid
    }

    @Test(
        "the runner's backend terminated (pg_terminate_backend): clear error, rolled back, lock free, re-run completes")
    func terminatedBackend() async throws {
        let db = try TestDatabase("terminated")
        let folder = try MigrationFolder(["V1__gated.sql": Self.gated, "V2__next.sql": "CREATE TABLE next (id int);"])
        let gate = try db.connect()
        try gate.execute("SELECT pg_advisory_lock(4242)")
        let run = Task { try await db.migrator([folder.path]).migrate() }
        let pid = try await waitUntilGated(gate)
        try gate.execute("SELECT pg_terminate_backend(\(pid))")
        let error = await #expect(throws: RunwayError.self) { try await run.value }
        #expect(error?.file == "V1__gated.sql")
        #expect(error?.message.contains("terminating connection due to administrator command") == true)
        try gate.execute("SELECT pg_advisory_unlock(4242)")
        #expect(try db.scalar("SELECT to_regclass('public.gated') IS NULL") == "t")
        let probe = try db.connect()
        try await eventually { try probe.execute("SELECT pg_try_advisory_lock(77433833903597)").scalar == "t" }
        try probe.execute("SELECT pg_advisory_unlock(77433833903597)")
        #expect(try await db.migrator([folder.path]).migrate().migrationsExecuted == 2)
    }

    func privateServer() throws -> (TestCluster, Configuration) {
        let cluster = try TestCluster()
        try cluster.initPrimary()
        try cluster.start()
        var configuration = Configuration()
        configuration.connection = try cluster.settings()
        return (cluster, configuration)
    }

    @Test(
        "PostgreSQL restarted, or gone, mid-run: clear error and non-zero result; a re-run completes",
        .timeLimit(.minutes(3)), arguments: ["restart", "stop"])
    func serverFault(kind: String) async throws {
        let (cluster, base) = try privateServer()
        let folder = try MigrationFolder(["V1__gated.sql": Self.gated, "V2__next.sql": "CREATE TABLE next (id int);"])
        var configuration = base
        configuration.locations = [folder.path]
        let gate = try Connection(parameters: configuration.connection.libpqParameters(), logger: Logger(label: "t"))
        try gate.execute("SELECT pg_advisory_lock(4242)")
        let run = Task { try await Migrator(configuration: configuration, logger: Logger(label: "t")).migrate() }
        _ = try await waitUntilGated(gate)
        let mode = kind == "restart" ? "restart -m fast" : "stop -m immediate"
        try TestCluster.shell(
            cluster.asServerUser(
                "'\(cluster.bin)/pg_ctl' -D '\(cluster.directory)/data' -w \(mode) -l '\(cluster.directory)/log' >/dev/null 2>&1"
            ))
        let error = await #expect(throws: RunwayError.self) { try await run.value }
        #expect(error?.code == .connection || error?.code == .migrationFailed)
        #expect(error?.message.isEmpty == false)
        if kind == "stop" { try cluster.start() }
        let check = try Connection(parameters: configuration.connection.libpqParameters(), logger: Logger(label: "t"))
        #expect(try check.execute("SELECT to_regclass('public.gated') IS NULL").scalar == "t")
        let rerun = try await Migrator(configuration: configuration, logger: Logger(label: "t")).migrate()
        #expect(rerun.migrationsExecuted == 2)
    }
}
