#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif
import Logging

/// A temporary PostgreSQL cluster for `validate --scratch` when no server is configured: `initdb` and `pg_ctl`
/// from `PATH` or Debian's `/usr/lib/postgresql/<version>/bin`. As root it runs as the `postgres` user, because
/// `initdb` refuses root.
///
/// Only the invoking user can reach it: it listens on no TCP address, only on a Unix socket in its own temporary
/// folder, which is mode 0700 and owned by the server's user (the invoking user, or `postgres` when root, whom root
/// reaches anyway); the socket itself is 0700; and every login needs a random one-time password (SCRAM) that
/// exists only in this process's memory and, while `initdb` reads it, in a 0600 file inside that folder.
struct ScratchCluster {
    let directory: String
    let bin: String
    let runAs: [String]
    let password: String
    let logger: Logger

    /// libpq settings that reach the cluster through its socket.
    var settings: ConnectionSettings {
        var settings = ConnectionSettings()
        settings.host = directory
        settings.port = 5432
        settings.user = "runway"
        settings.password = password
        settings.database = "postgres"
        return settings
    }

    static func start(logger: Logger) throws(RunwayError) -> ScratchCluster {
        guard let bin = findBin() else {
            throw RunwayError(
                .configuration,
                "validate --scratch needs a PostgreSQL server: configure one (DB_HOST/--url) or install PostgreSQL "
                    + "so that initdb and pg_ctl are on PATH or in /usr/lib/postgresql/<version>/bin")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "runway-scratch-\(UUID().uuidString.prefix(8))"
        ).path
        let passwordFile = directory + "/password"
        var random = SystemRandomNumberGenerator()
        let password = (0..<32).map { _ in
            let byte = String(UInt8.random(in: 0...255, using: &random), radix: 16)
            return byte.count == 1 ? "0" + byte : byte
        }.joined()
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            guard
                FileManager.default.createFile(
                    atPath: passwordFile, contents: Data((password + "\n").utf8),
                    attributes: [.posixPermissions: 0o600])
            else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw RunwayError(.configuration, "Unable to create \(directory): \(error)")
        }
        let isRoot = getuid() == 0
        let cluster = ScratchCluster(
            directory: directory, bin: bin, runAs: isRoot ? ["runuser", "-u", "postgres", "--"] : [],
            password: password, logger: logger)
        do throws(RunwayError) {
            if isRoot { try cluster.run(["chown", "-R", "postgres", directory], step: "chown", asServer: false) }
            logger.info(
                "Starting a temporary PostgreSQL cluster", metadata: ["directory": "\(directory)", "bin": "\(bin)"])
            try cluster.run(
                [
                    bin + "/initdb", "-D", directory + "/data", "-U", "runway", "--auth=scram-sha-256",
                    "--pwfile=" + passwordFile, "-E", "UTF8", "--locale=C",
                ], step: "initdb")
            try? FileManager.default.removeItem(atPath: passwordFile)
            try cluster.run(
                [
                    bin + "/pg_ctl", "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60",
                    "start", "-o",
                    "-c listen_addresses= -k \(Subprocess.quote(directory)) -c unix_socket_permissions=0700 -p 5432 "
                        + "-c fsync=off",
                ], step: "pg_ctl start")
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    func stop() {
        _ = try? run([bin + "/pg_ctl", "-D", directory + "/data", "-m", "immediate", "stop"], step: "pg_ctl stop")
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func run(_ arguments: [String], step: String, asServer: Bool = true) throws(RunwayError) {
        let output = try Subprocess.run((asServer ? runAs : []) + arguments)
        guard output.succeeded else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw RunwayError(
                .configuration,
                "Unable to start the scratch PostgreSQL (\(step) failed): \(output.standardError)\(log)")
        }
    }

    private static func findBin() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb")
        {
            if FileManager.default.isExecutableFile(atPath: "\(folder)/pg_ctl") {
                return URL(fileURLWithPath: "\(folder)/initdb").resolvingSymlinksInPath().deletingLastPathComponent()
                    .path
            }
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let sorted = versions.compactMap(Int.init).sorted(by: >)
        return sorted.map { "/usr/lib/postgresql/\($0)/bin" }.first {
            FileManager.default.isExecutableFile(atPath: $0 + "/initdb")
        }
    }
}
