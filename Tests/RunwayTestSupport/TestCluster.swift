import Foundation

@testable import Runway

/// Extra PostgreSQL servers a test starts itself: a late-starting primary, or a streaming standby of the main
/// test server (`pg_basebackup -R`). As root, the server runs as the `postgres` user (initdb refuses root).
package final class TestCluster: @unchecked Sendable {
    package let directory: String
    package let port: Int
    package let bin: String
    private(set) var running = false

    /// A free TCP port on 127.0.0.1.
    package static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    package init(port: Int? = nil) throws {
        let endpoint = try TestServer.endpoint()
        guard !endpoint.bin.isEmpty else { throw TestFailure("RUNWAY_TEST_PGBIN is not set (run scripts/test.sh)") }
        bin = endpoint.bin
        self.port = try port ?? Self.freePort()
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("runway-cluster-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.shell("chmod 755 '\(directory)'" + (Self.isRoot ? " && chown postgres '\(directory)'" : ""))
    }

    deinit {
        if running { _ = try? Self.shell(asServerUser("'\(bin)/pg_ctl' -D '\(directory)/data' -m immediate stop")) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    package static var isRoot: Bool { getuid() == 0 }

    package func asServerUser(_ command: String) -> String {
        Self.isRoot ? "runuser -u postgres -- sh -c \(Self.singleQuoted(command))" : command
    }

    package static func singleQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Connection settings for the test superuser on 127.0.0.1:`port`: a private cluster, a standby, a TLS server
    /// or a PgBouncer (each has the main test server's user and password).
    package static func settings(port: Int, database: String = "postgres") throws -> ConnectionSettings {
        try TestServer.endpoint().settings(database: database, port: port)
    }

    /// ``settings(port:database:)`` for this cluster.
    package func settings(database: String = "postgres") throws -> ConnectionSettings {
        try Self.settings(port: port, database: database)
    }

    /// A new primary with the same superuser and password as the main test server.
    package func initPrimary() throws {
        let endpoint = try TestServer.endpoint()
        try String(endpoint.password + "\n").write(toFile: directory + "/pw", atomically: true, encoding: .utf8)
        if Self.isRoot { try Self.shell("chown postgres '\(directory)/pw'") }
        try Self.shell(
            asServerUser(
                "'\(bin)/initdb' -D '\(directory)/data' -U \(endpoint.user) --pwfile='\(directory)/pw' "
                    + "--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >/dev/null"))
    }

    /// A streaming standby of the primary listening on `port` (on 127.0.0.1).
    package func initStandby(from port: Int) throws {
        let endpoint = try TestServer.endpoint()
        try Self.shell(
            asServerUser(
                "PGPASSWORD='\(endpoint.password)' '\(bin)/pg_basebackup' -h 127.0.0.1 -p \(port) "
                    + "-U \(endpoint.user) -D '\(directory)/data' -R -X stream"))
    }

    package func start() throws {
        // Both output streams go to a file: the server inherits pg_ctl's descriptors, and a pipe it keeps open would
        // never reach end-of-file.
        do {
            try Self.shell(
                asServerUser(
                    "'\(bin)/pg_ctl' -D '\(directory)/data' -l '\(directory)/log' -w -t 60 start "
                        + "-o \"-p \(port) -k '\(directory)' -c listen_addresses=127.0.0.1 -c fsync=off "
                        + "-c max_connections=300\" >'\(directory)/pg_ctl.out' 2>&1"))
        } catch {
            let log = (try? String(contentsOfFile: directory + "/log", encoding: .utf8)) ?? ""
            throw TestFailure("\(error)\nserver log:\n\(log)")
        }
        running = true
    }

    /// Runs a shell command with `posix_spawn` and `waitpid`, failing the test with its output when it fails.
    ///
    /// Not Foundation's `Process`: its wait hung here when the command (`pg_ctl start` under `runuser`) left a
    /// daemon behind while other tests ran processes concurrently.
    @discardableResult
    package static func shell(_ command: String) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("sh-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let wrapped = "exec </dev/null >'\(outputPath)' 2>&1; " + command
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", wrapped]
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, cArguments, environ)
        guard spawned == 0 else { throw TestFailure("posix_spawn failed (\(spawned)) for: \(command)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED && WEXITSTATUS == 0
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw TestFailure("command failed: \(command)\n\(output)")
        }
        return output
    }
}
