import Foundation
import RunwayTestSupport
import Testing

@testable import Runway

@Suite("migrate check --drift")
struct DriftCLITests {
    @Test("exit 0 without drift, 1 with it; text, JSON and GitHub output; no password in any of them")
    func exitCodesAndFormats() async throws {
        let db = try TestDatabase("clidrift")
        let folder = try MigrationFolder([
            "V1__users.sql": "CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);"
        ])
        let env = db.environment
        let base = ["--locations", folder.path]
        #expect(try await runMigrate(["migrate"] + base, environment: env).status == 0)

        let clean = try await runMigrate(["check", "--drift"] + base, environment: env)
        #expect(clean.status == 0, "\(clean.all)")
        #expect(clean.stdout.contains("check --drift: no drift"))

        try db.connect().execute("ALTER TABLE users ALTER COLUMN name DROP NOT NULL; CREATE TABLE stray (id int)")
        let text = try await runMigrate(["check", "--drift"] + base, environment: env)
        #expect(text.status == 1, "\(text.all)")
        #expect(text.stdout.contains("changed column public.users.name"))
        #expect(text.stdout.contains("    nullability: expected \"not null\", actual \"null\""))
        #expect(text.stdout.contains("added table public.stray"))

        let json = try await runMigrate(["check", "--drift", "--output", "json"] + base, environment: env)
        #expect(json.status == 1)
        let object = try #require(
            JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stdout)")
        #expect(object["operation"] as? String == "check")
        #expect(object["drift"] as? Bool == true)
        let differences = try #require(object["differences"] as? [[String: Any]])
        #expect(differences.map { $0["change"] as? String } == ["added", "changed"])
        #expect(differences.map { $0["name"] as? String } == ["public.stray", "public.users.name"])
        let attribute = try #require((differences[1]["attributes"] as? [[String: Any]])?.first)
        #expect(attribute["name"] as? String == "nullability")
        #expect(attribute["expected"] as? String == "not null")
        #expect(attribute["actual"] as? String == "null")

        let github = try await runMigrate(["check", "--drift", "--output", "github"] + base, environment: env)
        #expect(github.status == 1)
        #expect(github.stdout.contains("::error title=drift (changed column)::public.users.name%0A"))

        let ignored = try await runMigrate(
            ["check", "--drift", "--drift-ignore", "stray,public.users"] + base, environment: env)
        #expect(ignored.status == 0, "\(ignored.all)")

        for output in [clean, text, json, github, ignored] {
            #expect(!output.all.contains(db.endpoint.password))
        }
        withExtendedLifetime(folder) {}
    }

    @Test("a fleet of tenant schemas: exit 1 naming exactly the drifted tenant and its differences")
    func fleet() async throws {
        let db = try TestDatabase("clidriftfleet")
        let folder = try MigrationFolder(["V1__users.sql": "CREATE TABLE users (id int PRIMARY KEY, name text);"])
        let env = db.environment
        let fleet = ["--locations", folder.path, "--each-schema", "tenant_a,tenant_b,tenant_c", "--parallel", "2"]
        #expect(try await runMigrate(["migrate"] + fleet, environment: env).status == 0)
        let clean = try await runMigrate(["check", "--drift"] + fleet, environment: env)
        #expect(clean.status == 0, "\(clean.all)")
        try db.connect().execute("CREATE INDEX users_name ON tenant_b.users (name)")
        let drifted = try await runMigrate(["check", "--drift"] + fleet, environment: env)
        #expect(drifted.status == 1, "\(drifted.all)")
        let lines = drifted.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("tenant_b  failed") && $0.contains("added index tenant_b.users_name") })
        #expect(lines.contains { $0.hasPrefix("tenant_a  succeeded") })
        #expect(lines.contains { $0.hasPrefix("tenant_c  succeeded") })
        #expect(drifted.stdout.contains("1 failed"))
        withExtendedLifetime(folder) {}
    }

    @Test("--drift-local-cluster builds the expected schema in a temporary local cluster", .timeLimit(.minutes(2)))
    func localCluster() async throws {
        let db = try TestDatabase("clidriftlocal")
        let temporary = try RunTemporaryDirectory()
        let folder = try MigrationFolder([
            "V1__users.sql": "CREATE TABLE users (id int PRIMARY KEY, name text DEFAULT '${flyway:database}');"
        ])
        var env = db.environment
        env["TMPDIR"] = temporary.path
        let base = ["--locations", folder.path]
        #expect(try await runMigrate(["migrate"] + base, environment: env).status == 0)
        let clean = try await runMigrate(["check", "--drift", "--drift-local-cluster"] + base, environment: env)
        #expect(clean.status == 0, "\(clean.all)")
        #expect(clean.stderr.contains("Starting a temporary PostgreSQL"))
        try db.connect().execute("ALTER TABLE users ADD COLUMN extra int")
        let drifted = try await runMigrate(["check", "--drift", "--drift-local-cluster"] + base, environment: env)
        #expect(drifted.status == 1, "\(drifted.all)")
        #expect(drifted.stdout.contains("added column public.users.extra"))
        #expect(temporary.contents == [], "the cluster is removed")
        withExtendedLifetime(folder) {}
    }

    @Test("bad input exits 2 naming the flag, before the database is touched")
    func badInput() async throws {
        let db = try TestDatabase("clidriftbad")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let env = db.environment
        let base = ["--locations", folder.path]
        let noMode = try await runMigrate(["check"] + base, environment: env)
        #expect(noMode.status == 2)
        #expect(noMode.stderr.contains("--drift"))
        let badPattern = try await runMigrate(["check", "--drift", "--drift-ignore", "*.*"] + base, environment: env)
        #expect(badPattern.status == 2)
        #expect(badPattern.stderr.contains("--drift-ignore"))
        let empty = try await runMigrate(["check", "--drift", "--drift-ignore", "a,,b"] + base, environment: env)
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("--drift-ignore"))
        #expect(try db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") == "0")
        withExtendedLifetime(folder) {}
    }
}
