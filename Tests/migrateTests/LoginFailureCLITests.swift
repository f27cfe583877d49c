import Foundation
import Testing
import RunwayTestSupport

/// Which login failures a Job retries (exit 3) and which are permanent (exit 6): see the README's exit codes.
@Suite("login failures through the CLI: permanent ones exit 6 at once, transient ones exit 3 after retrying")
struct LoginFailureCLITests {
    @Test("a wrong password exits 6 without retrying")
    func wrongPassword() async throws {
        let db = try TestDatabase("loginpw")
        var environment = db.environment
        environment["DB_PASSWORD"] = "not-the-password"
        let output = try await runMigrate(["migrate", "--connect-retries", "5"], environment: environment)
        #expect(output.status == 6, "\(output.all)")
        #expect(output.stderr.contains("password authentication failed"))
        #expect(!output.stderr.contains("retrying"), "\(output.stderr)")
        #expect(!output.all.contains("not-the-password"))
    }

    /// A private cluster whose pg_hba.conf trusts the role `ghost` (which does not exist) and has no entry at all for
    /// the role `stranger`.
    func cluster() throws -> TestCluster {
        let cluster = try TestCluster()
        try cluster.initPrimary()
        let endpoint = try TestServer.endpoint()
        let hba = cluster.directory + "/data/pg_hba.conf"
        try """
        local all all trust
        host all ghost 127.0.0.1/32 trust
        host all \(endpoint.user) 127.0.0.1/32 scram-sha-256
        """.write(toFile: hba, atomically: true, encoding: .utf8)
        if TestCluster.isRoot { try TestCluster.shell("chown postgres '\(hba)'") }
        try cluster.start()
        return cluster
    }

    func environment(_ cluster: TestCluster, user: String) -> [String: String] {
        [
            "DB_HOST": "127.0.0.1", "DB_PORT": String(cluster.port), "DB_NAME": "postgres", "DB_USERNAME": user,
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
    }

    @Test("a role that does not exist (28000) exits 6 without retrying; no pg_hba.conf entry is retried (exit 3)")
    func roles() async throws {
        let cluster = try cluster()
        let ghost = try await runMigrate(
            ["migrate", "--connect-retries", "5"], environment: environment(cluster, user: "ghost"))
        #expect(ghost.status == 6, "\(ghost.all)")
        #expect(ghost.stderr.contains("role \"ghost\" does not exist"), "\(ghost.stderr)")
        #expect(!ghost.stderr.contains("retrying"), "\(ghost.stderr)")

        let stranger = try await runMigrate(
            ["migrate", "--connect-retries", "1"], environment: environment(cluster, user: "stranger"))
        #expect(stranger.status == 3, "\(stranger.all)")
        #expect(stranger.stderr.contains("no pg_hba.conf entry"), "\(stranger.stderr)")
        #expect(stranger.stderr.contains("retrying"), "\(stranger.stderr)")
    }
}
