import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// A temporary folder a run uses as its `TMPDIR`, so a test sees only what that run created there (other processes
/// on the machine may run `validate --scratch` at the same time). Traversable by every user: as root the cluster
/// runs as `postgres`, and the test checks that another user is stopped by the cluster's own folder.
final class RunTemporaryDirectory: @unchecked Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("runway-tmpdir-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }
}

/// `validate --scratch` with no server configured: the temporary local cluster.
@Suite("validate --scratch: the temporary local cluster (ScratchCluster)")
struct ScratchClusterTests {
    func environment(_ temporary: RunTemporaryDirectory) -> [String: String] {
        ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "TMPDIR": temporary.path]
    }

    /// The cluster folder the run reports in its log (`Starting a temporary PostgreSQL cluster directory=...`).
    func reportedDirectory(_ log: String) -> String? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("Starting a temporary PostgreSQL") }),
            let range = line.range(of: "directory=")
        else { return nil }
        return String(line[range.upperBound...].prefix { $0 != " " })
    }

    @Test("starts and removes a temporary local cluster, leaving nothing behind", .timeLimit(.minutes(2)))
    func startsAndRemoves() async throws {
        let temporary = try RunTemporaryDirectory()
        let folder = try MigrationFolder([
            "V1__a.sql": "CREATE TABLE a (id int);", "R__v.sql": "CREATE VIEW v AS SELECT * FROM a;",
        ])
        let output = try await runMigrate(
            ["validate", "--scratch", "--locations", folder.path], environment: environment(temporary))
        #expect(output.status == 0, "\(output.all)")
        #expect(output.stdout.contains("applied R__v.sql in"))
        let directory = try #require(reportedDirectory(output.stderr), "\(output.stderr)")
        #expect(directory.hasPrefix(temporary.path + "/runway-scratch-"), "\(directory)")
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(temporary.contents == [], "left behind in TMPDIR: \(temporary.contents)")
    }

    @Test("a location that is no folder fails before a cluster is started")
    func missingLocationFirst() async throws {
        let temporary = try RunTemporaryDirectory()
        let missing = temporary.path + "-nowhere"
        let output = try await runMigrate(
            ["validate", "--scratch", "--locations", missing], environment: environment(temporary))
        #expect(output.status == 2, "\(output.all)")
        #expect(output.stderr.contains("'\(missing)' is \(missing) (NOT_FOUND)"), "\(output.stderr)")
        #expect(!output.stderr.contains("Starting a temporary PostgreSQL cluster"))
        #expect(temporary.contents == [], "left behind in TMPDIR: \(temporary.contents)")
    }

    @Test("while it runs, only the invoking user can connect to the cluster", .timeLimit(.minutes(5)))
    func onlyTheInvokingUserConnects() async throws {
        let temporary = try RunTemporaryDirectory()
        // Slow enough to be seen running on a loaded machine under AddressSanitizer (initdb alone can take a minute).
        let folder = try MigrationFolder(["V1__slow.sql": "SELECT pg_sleep(30);"])
        let run = try RunningMigrate(
            ["validate", "--scratch", "--locations", folder.path], environment: environment(temporary),
            directory: nil)
        // The server's socket appears once pg_ctl has started it; the migration then keeps it up for 30 s.
        var socketDirectory: String?
        let deadline = Date().addingTimeInterval(180)
        while socketDirectory == nil, Date() < deadline, !hasExited(run.processIdentifier) {
            socketDirectory = temporary.contents.filter { $0.hasPrefix("runway-scratch-") }
                .map { temporary.path + "/" + $0 }
                .first { FileManager.default.fileExists(atPath: $0 + "/.s.PGSQL.5432") }
            if socketDirectory == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let directory = try #require(socketDirectory, "no scratch cluster socket appeared in \(temporary.path)")
        let psql = ["psql", "-X", "-w", "-At", "-h", directory, "-p", "5432", "-U", "runway", "-d", "postgres"]
        let query = ["-c", "SELECT 'connected'"]

        var info = stat()
        #expect(stat(directory, &info) == 0)
        #expect(
            info.st_mode & 0o077 == 0, "the cluster folder is open to others: \(String(info.st_mode & 0o777, radix: 8))"
        )
        let hba = (try? String(contentsOfFile: directory + "/data/pg_hba.conf", encoding: .utf8)) ?? ""
        let rules = hba.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.allSatisfy(\.isWhitespace) }
        #expect(!rules.isEmpty && !rules.contains { $0.contains("trust") }, "pg_hba.conf rules: \(rules)")

        // The invoking user, without the run's one-time password.
        let withoutPassword = try Subprocess.run(
            ["env", "-i", "PATH=\(environment(temporary)["PATH"]!)"] + psql + query)
        #expect(!withoutPassword.succeeded, "connected without the password")
        #expect(!String(decoding: withoutPassword.standardOutput, as: UTF8.self).contains("connected"))
        if getuid() == 0 {
            // Another local user (the server itself runs as `postgres`; `nobody` is anyone else).
            let nobody = try Subprocess.run(
                ["runuser", "-u", "nobody", "--", "env", "-i", "PATH=/usr/bin:/bin"] + psql + query)
            #expect(!nobody.succeeded, "nobody connected")
            #expect(!String(decoding: nobody.standardOutput, as: UTF8.self).contains("connected"))
        }
        let output = await run.finish()
        #expect(output.status == 0, "\(output.all)")
        #expect(temporary.contents == [], "left behind in TMPDIR: \(temporary.contents)")
    }
}
