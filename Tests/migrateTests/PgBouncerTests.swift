import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// Session advisory locks need a real server session: through PgBouncer in transaction mode `migrate` refuses and
/// leaves the database untouched; in session mode it works.
@Suite("migrate through PgBouncer", .serialized, .timeLimit(.minutes(3)))
struct PgBouncerTests {
    /// The environment pointing `migrate` at PgBouncer instead of the server.
    func environment(_ db: TestDatabase, _ bouncer: PgBouncer) -> [String: String] {
        db.environment.merging(["DB_HOST": "127.0.0.1", "DB_PORT": String(bouncer.port)]) { $1 }
    }

    /// Whether anyone holds Runway's lock for "public"."flyway_schema_history" in `db`.
    func lockHeld(_ db: TestDatabase) throws -> Bool {
        try db.scalar(
            """
            SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4163491309
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """) != "0"
    }

    /// Opens `count` clients through PgBouncer and has each hold a server connection at the same time, so the pool
    /// has that many idle server connections afterwards.
    func warmPool(_ bouncer: PgBouncer, _ db: TestDatabase, count: Int) throws {
        let clients = try (0..<count).map { _ in
            try Connection(
                parameters: try bouncer.settings(database: db.name).libpqParameters(), logger: .init(label: "warm"))
        }
        for client in clients { try client.execute("BEGIN; SELECT 1") }
        for client in clients { try client.execute("COMMIT") }
    }

    @Test(
        "transaction pooling is refused with advice to connect directly, and the database is left untouched",
        arguments: [
            // FIFO: consecutive statements of one client run on different server connections.
            ("server_round_robin = 1", "consecutive statements on one connection ran in different server sessions"),
            // LIFO (the default): one client keeps getting the same server connection, but so does the next one.
            ("server_round_robin = 0", "a second connection was granted the same advisory lock"),
        ])
    func transactionPoolingRefused(roundRobin: String, evidence: String) async throws {
        let db = try await offPool { try TestDatabase("bouncertx") }
        let bouncer = try await offPool {
            try PgBouncer(database: db.name, poolMode: "transaction", settings: [roundRobin, "default_pool_size = 4"])
        }
        try warmPool(bouncer, db, count: 3)
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let output = try await runMigrate(
            ["migrate", "--locations", folder.path, "--lock-retry-count", "0"], environment: environment(db, bouncer))
        #expect(output.status == 2, "\(output.stderr)\n\(bouncer.log)")
        #expect(output.stderr.contains("PgBouncer pool_mode = transaction"), "\(output.stderr)")
        #expect(output.stderr.contains("Use a direct connection to PostgreSQL"), "\(output.stderr)")
        #expect(output.stderr.contains(evidence), "\(output.stderr)")
        #expect(!output.all.contains(db.endpoint.password))
        #expect(try db.scalar("SELECT to_regclass('public.flyway_schema_history') IS NULL") == "t")
        #expect(try db.scalar("SELECT to_regclass('public.a') IS NULL") == "t")
        #expect(try !lockHeld(db), "the refused run left the lock held by a pooled server connection")
        // A direct connection then works.
        let direct = try await runMigrate(["migrate", "--locations", folder.path], environment: db.environment)
        #expect(direct.status == 0, "\(direct.stderr)")
        await bouncer.stop()
    }

    @Test("session pooling works: the lock is held on the client's own server connection")
    func sessionPoolingWorks() async throws {
        let db = try await offPool { try TestDatabase("bouncersession") }
        let bouncer = try await offPool { try PgBouncer(database: db.name, poolMode: "session") }
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);", "V2__b.sql": "CREATE TABLE b (id int);",
        ])
        let runs = try (0..<3).map { _ in
            try startMigrate(["migrate", "--locations", folder.path], environment: environment(db, bouncer))
        }
        for run in runs {
            let output = await run.finish()
            #expect(output.status == 0, "\(output.stderr)\n\(bouncer.log)")
        }
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE success") == "2")
        #expect(try db.scalar("SELECT to_regclass('public.b') IS NOT NULL") == "t")
        #expect(try !lockHeld(db))
        await bouncer.stop()
    }
}
