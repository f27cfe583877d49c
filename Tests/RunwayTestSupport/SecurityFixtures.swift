import Foundation
import Logging

@testable import Runway

/// Runs blocking set-up (initdb, pg_ctl, openssl, pgbouncer) on a Dispatch thread, so that Swift's cooperative pool
/// (two threads on a two-core machine) stays free for the tests running in parallel.
package func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

// MARK: - TLS

/// A PostgreSQL server with `ssl=on`, and the throwaway certificates it and its clients use, made with `openssl`:
///
/// - `ca.crt`: the CA that signed every certificate below; `other-ca.crt`: an unrelated CA.
/// - the server's certificate, for `localhost` (or `serverName`).
/// - `client.crt` / `client.key` (encrypted with ``clientKeyPassphrase``): certificate login as ``certUser``,
///   whom `pg_hba.conf` lets in with a client certificate only.
///
/// Password logins (the main test server's superuser and password) are accepted with and without TLS.
package final class TLSServer: @unchecked Sendable {
    package let cluster: TestCluster
    package let endpoint: TestServer.Endpoint
    /// Where the certificates are.
    package let directory: String
    /// The role that logs in with a client certificate (no password).
    package static let certUser = "certuser"
    /// The passphrase of `client.key`.
    package let clientKeyPassphrase = "Key-Passphrase-\(UUID().uuidString.prefix(8))"

    package var port: Int { cluster.port }
    package var caFile: String { directory + "/ca.crt" }
    package var otherCAFile: String { directory + "/other-ca.crt" }
    package var clientCertFile: String { directory + "/client.crt" }
    package var clientKeyFile: String { directory + "/client.key" }

    /// Generates the certificates, starts the server with the certificate for `serverName`.
    package init(serverName: String = "localhost") throws {
        endpoint = try TestServer.endpoint()
        cluster = try TestCluster()
        try cluster.initPrimary()
        directory = cluster.directory + "/tls"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let quoted = TestCluster.singleQuoted(directory)
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        try TestCluster.shell(
            """
            set -e
            cd \(quoted)
            for ca in ca other-ca; do
              openssl req -x509 -new \(ec) -keyout $ca.key -out $ca.crt -days 2 -subj "/CN=Runway test $ca" \\
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
            done
            issue() {
              openssl req -new \(ec) -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
              printf '%b\\n' "$3" > "$1.ext"
              openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 2 \\
                -extfile "$1.ext"
            }
            issue server \(TestCluster.singleQuoted(serverName)) \
              "subjectAltName=DNS:\(serverName)\\nextendedKeyUsage=serverAuth"
            issue client-plain \(Self.certUser) "extendedKeyUsage=clientAuth"
            mv client-plain.crt client.crt
            openssl pkey -in client-plain.key -out client.key -aes256 \\
              -passout pass:\(TestCluster.singleQuoted(clientKeyPassphrase))
            rm -f client-plain.key ./*.csr ./*.ext
            chmod 600 ./*.key
            """)
        if TestCluster.isRoot {
            try TestCluster.shell("chown postgres \(quoted) \(quoted)/server.key \(quoted)/server.crt")
        }
        try TestCluster.shell("chmod 755 \(quoted)")
        let data = cluster.directory + "/data"
        try Self.append(
            """
            ssl = on
            ssl_cert_file = '\(directory)/server.crt'
            ssl_key_file = '\(directory)/server.key'
            ssl_ca_file = '\(directory)/ca.crt'
            """, to: data + "/postgresql.conf")
        // First match wins: the certificate user only with a client certificate, everyone else with a password.
        try """
        local all all trust
        hostssl all \(Self.certUser) 127.0.0.1/32 cert
        hostssl all \(Self.certUser) ::1/128 cert
        host all all 127.0.0.1/32 scram-sha-256
        host all all ::1/128 scram-sha-256

        """.write(toFile: data + "/pg_hba.conf", atomically: true, encoding: .utf8)
        if TestCluster.isRoot { try TestCluster.shell("chown postgres '\(data)/pg_hba.conf'") }
        try cluster.start()
        try admin().execute("CREATE ROLE \(Self.certUser) LOGIN")
    }

    /// Stops the server off Swift's cooperative pool (`pg_ctl` waits for the shutdown); `deinit` would otherwise
    /// do it on whichever thread drops the last reference.
    package func stop() async {
        let command = cluster.asServerUser("'\(cluster.bin)/pg_ctl' -D '\(cluster.directory)/data' -m fast stop")
        _ = try? await offPool { try TestCluster.shell(command) }
    }

    private static func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(("\n" + text + "\n").utf8))
    }

    /// A superuser connection without TLS, for setting up and checking.
    package func admin() throws -> Connection {
        var settings = try cluster.settings()
        settings.sslMode = "disable"
        settings.applicationName = "runway-tests"
        return try Connection(parameters: settings.libpqParameters(), logger: Logger(label: "tls-admin"))
    }

    /// `DB_*` variables for this server: the superuser with its password, TLS settings to be added by the test.
    package func environment(host: String = "localhost", database: String = "postgres") -> [String: String] {
        [
            "DB_HOST": host, "DB_PORT": String(port), "DB_NAME": database, "DB_USERNAME": endpoint.user,
            "DB_PASSWORD": endpoint.password, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
    }
}

// MARK: - PgBouncer

/// A PgBouncer (Debian's `pgbouncer`, run as `postgres` when the tests run as root: it refuses root) on 127.0.0.1
/// in front of the main test server, for one database, with SCRAM authentication from a userlist holding the test
/// password. Stopped (by its pid) when the value goes away.
package final class PgBouncer: @unchecked Sendable {
    package let directory: String
    package let port: Int
    private var pid: Int32?

    /// Where Debian installs it.
    package static let executable = "/usr/sbin/pgbouncer"

    /// Starts PgBouncer in `poolMode` (`session` or `transaction`) for `database`, with `settings` added to
    /// `[pgbouncer]` (for example `server_round_robin = 1`).
    package init(database: String, poolMode: String, settings: [String] = []) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw TestFailure("\(Self.executable) is missing: install Debian's pgbouncer package (scripts/setup.sh)")
        }
        let endpoint = try TestServer.endpoint()
        port = try TestCluster.freePort()
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("runway-pgbouncer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
        [databases]
        \(database) = host=\(endpoint.host) port=\(endpoint.port) dbname=\(database)

        [pgbouncer]
        listen_addr = 127.0.0.1
        listen_port = \(port)
        unix_socket_dir =
        auth_type = scram-sha-256
        auth_file = \(directory)/userlist.txt
        pool_mode = \(poolMode)
        logfile = \(directory)/pgbouncer.log
        pidfile = \(directory)/pgbouncer.pid
        ignore_startup_parameters = extra_float_digits,options
        \(settings.joined(separator: "\n"))

        """.write(toFile: directory + "/pgbouncer.ini", atomically: true, encoding: .utf8)
        try "\"\(endpoint.user)\" \"\(endpoint.password)\"\n".write(
            toFile: directory + "/userlist.txt", atomically: true, encoding: .utf8)
        let quoted = TestCluster.singleQuoted(directory)
        try TestCluster.shell(
            "chmod 700 \(quoted) && chmod 600 \(quoted)/userlist.txt"
                + (TestCluster.isRoot ? " && chown -R postgres \(quoted)" : ""))
        let start = "\(Self.executable) -d '\(directory)/pgbouncer.ini'"
        do {
            try TestCluster.shell(
                TestCluster.isRoot ? "runuser -u postgres -- sh -c \(TestCluster.singleQuoted(start))" : start)
        } catch {
            throw TestFailure("\(error)\npgbouncer log:\n\(log)")
        }
        // Generous: with the suite in parallel on two loaded cores, a daemon's start can take many seconds.
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline, pid == nil {
            if let text = try? String(contentsOfFile: directory + "/pgbouncer.pid", encoding: .utf8),
                let value = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                pid = value
            } else {
                usleep(50_000)
            }
        }
        guard pid != nil else { throw TestFailure("pgbouncer did not start; its log:\n\(log)") }
    }

    deinit {
        terminate()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops PgBouncer (the process this object started, by its pid) and waits up to 5 s for it to exit.
    private func terminate() {
        guard let pid else { return }
        kill(pid, SIGTERM)
        let deadline = Date(timeIntervalSinceNow: 5)
        while kill(pid, 0) == 0, Date() < deadline { usleep(20_000) }
        self.pid = nil
    }

    /// ``terminate()`` off Swift's cooperative pool.
    package func stop() async {
        _ = try? await offPool { [self] in terminate() }
    }

    /// PgBouncer's log (for failure messages).
    package var log: String { (try? String(contentsOfFile: directory + "/pgbouncer.log", encoding: .utf8)) ?? "" }

    /// Connection settings for `database` through PgBouncer.
    package func settings(database: String) throws -> ConnectionSettings {
        var settings = try TestCluster.settings(port: port, database: database)
        settings.applicationName = "runway-tests"
        return settings
    }
}
