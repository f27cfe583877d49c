import Foundation
import Testing

@testable import Runway

/// A temporary folder a run uses as its `TMPDIR`, so a test sees only what that run created there (other processes
/// on the machine may run `validate --scratch` at the same time). Traversable by every user: as root the cluster
/// runs as `postgres`.
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
}
