import Foundation

/// Extra PostgreSQL servers a test starts itself: a late-starting primary, or a streaming standby of the main
/// test server (`pg_basebackup -R`). As root, the server runs as the `postgres` user (initdb refuses root).
final class TestCluster: @unchecked Sendable {
    let directory: String
    let port: Int
    let bin: String
    private(set) var running = false

    /// A free TCP port on 127.0.0.1.
    static func freePort() throws -> Int {
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

    init(port: Int? = nil) throws {
        let endpoint = try TestServer.endpoint()
        guard !endpoint.bin.isEmpty else { throw TestFailure("RUNWAY_TEST_PGBIN is not set (run scripts/test.sh)") }
        bin = endpoint.bin
        self.port = try port ?? Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("runway-cluster-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.shell("chmod 755 '\(directory)'" + (Self.isRoot ? " && chown postgres '\(directory)'" : ""))
    }

    deinit {
        if running { try? Self.shell(asServerUser("'\(bin)/pg_ctl' -D '\(directory)/data' -m immediate stop")) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    static var isRoot: Bool { getuid() == 0 }

    func asServerUser(_ command: String) -> String {
        Self.isRoot ? "runuser -u postgres -- sh -c \(Self.singleQuoted(command))" : command
    }

    static func singleQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// A new primary with the same superuser and password as the main test server.
    func initPrimary() throws {
        let endpoint = try TestServer.endpoint()
        try String(endpoint.password + "\n").write(toFile: directory + "/pw", atomically: true, encoding: .utf8)
        if Self.isRoot { try Self.shell("chown postgres '\(directory)/pw'") }
        try Self.shell(
            asServerUser(
                "'\(bin)/initdb' -D '\(directory)/data' -U \(endpoint.user) --pwfile='\(directory)/pw' "
                    + "--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >/dev/null"))
    }

    /// A streaming standby of the main test server.
    func initStandby() throws {
        let endpoint = try TestServer.endpoint()
        try Self.shell(
            asServerUser(
                "PGPASSWORD='\(endpoint.password)' '\(bin)/pg_basebackup' -h \(endpoint.host) -p \(endpoint.port) "
                    + "-U \(endpoint.user) -D '\(directory)/data' -R -X stream"))
    }

    func start() throws {
        try Self.shell(
            asServerUser(
                "'\(bin)/pg_ctl' -D '\(directory)/data' -l '\(directory)/log' -w -t 60 start "
                    + "-o \"-p \(port) -k '\(directory)' -c listen_addresses=127.0.0.1 -c fsync=off\" >/dev/null"))
        running = true
    }

    /// Runs a shell command, failing the test with its output when it fails.
    @discardableResult
    static func shell(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("command failed: \(command)\n\(output)") }
        return output
    }
}
