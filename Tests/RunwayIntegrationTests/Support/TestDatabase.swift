import Foundation
import Logging
import Testing

@testable import Runway

/// The throwaway server started by `scripts/with-postgres.sh` (or `scripts/test.sh`).
///
/// Integration tests never skip: without the server's variables they fail and say how to start one.
enum TestServer {
    struct Endpoint {
        var host: String
        var port: String
        var user: String
        var password: String
        var bin: String
    }

    static func endpoint() throws -> Endpoint {
        let env = ProcessInfo.processInfo.environment
        guard let host = env["RUNWAY_TEST_PGHOST"], let port = env["RUNWAY_TEST_PGPORT"],
            let user = env["RUNWAY_TEST_PGUSER"], let password = env["RUNWAY_TEST_PGPASSWORD"]
        else {
            throw TestFailure(
                "No PostgreSQL test server: run the suite with `bash scripts/test.sh`, which starts a throwaway "
                    + "cluster and sets RUNWAY_TEST_PGHOST/PGPORT/PGUSER/PGPASSWORD")
        }
        return Endpoint(host: host, port: port, user: user, password: password, bin: env["RUNWAY_TEST_PGBIN"] ?? "")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh database for one test, dropped when the test is done.
final class TestDatabase: @unchecked Sendable {
    let name: String
    let endpoint: TestServer.Endpoint

    init(_ label: String = "t") throws {
        endpoint = try TestServer.endpoint()
        let suffix = UUID().uuidString.prefix(8).lowercased()
        name = "rw_\(label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(30))_\(suffix)"
        let admin = try Self.connect(endpoint, database: "postgres")
        try admin.execute("CREATE DATABASE \(quoteIdentifier(name))")
    }

    deinit {
        if let admin = try? Self.connect(endpoint, database: "postgres") {
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
        }
    }

    static func connect(_ endpoint: TestServer.Endpoint, database: String) throws -> Connection {
        var settings = ConnectionSettings()
        settings.host = endpoint.host
        settings.port = Int(endpoint.port)
        settings.user = endpoint.user
        settings.password = endpoint.password
        settings.database = database
        settings.applicationName = "runway-tests"
        return try Connection(parameters: settings.libpqParameters(), logger: Logger(label: "test-admin"))
    }

    /// Connection settings for this database.
    var settings: ConnectionSettings {
        var settings = ConnectionSettings()
        settings.host = endpoint.host
        settings.port = Int(endpoint.port)
        settings.user = endpoint.user
        settings.password = endpoint.password
        settings.database = name
        return settings
    }

    /// A configuration for this database reading migrations from `locations`.
    func configuration(_ locations: [String]) -> Configuration {
        var configuration = Configuration()
        configuration.connection = settings
        configuration.locations = locations
        configuration.lockRetryCount = 30
        return configuration
    }

    /// A migrator on this database.
    func migrator(_ locations: [String], _ adjust: (inout Configuration) -> Void = { _ in }) -> Migrator {
        var configuration = configuration(locations)
        adjust(&configuration)
        return Migrator(configuration: configuration, logger: Logger(label: "runway-test"))
    }

    /// A new connection for assertions.
    func connect() throws -> Connection { try Self.connect(endpoint, database: name) }

    /// Rows of a query, as text.
    func rows(_ sql: String) throws -> [[String?]] { try connect().execute(sql).rows }

    /// The first value of a query.
    func scalar(_ sql: String) throws -> String? { try connect().execute(sql).scalar }

    /// History rows as `rank|version|description|type|script|checksum|success`, the fixtures' format.
    func history(schema: String = "public", table: String = "flyway_schema_history") throws -> [String] {
        try rows(
            """
            SELECT concat_ws('|', installed_rank, coalesce(version, ''), description, type, script,
                             coalesce(checksum::text, ''), CASE WHEN success THEN 't' ELSE 'f' END)
            FROM \(quoteIdentifier(schema)).\(quoteIdentifier(table)) ORDER BY installed_rank
            """
        ).map { $0[0] ?? "" }
    }

    /// Environment for running the `migrate` binary against this database.
    var environment: [String: String] {
        [
            "DB_HOST": endpoint.host, "DB_PORT": endpoint.port, "DB_NAME": name, "DB_USERNAME": endpoint.user,
            "DB_PASSWORD": endpoint.password, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
    }
}

/// A temporary folder of migration files, removed on deinit.
final class MigrationFolder: @unchecked Sendable {
    let path: String

    init(_ files: [String: String] = [:]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("runway-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, contents) in files { try write(name, contents) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ contents: String) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
    }

    func remove(_ name: String) throws {
        try FileManager.default.removeItem(atPath: path + "/" + name)
    }

    /// Copies every file of a fixture folder in.
    func copy(from folder: URL) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let source = folder.appendingPathComponent(name)
            try? FileManager.default.removeItem(atPath: path + "/" + name)
            try FileManager.default.copyItem(atPath: source.path, toPath: path + "/" + name)
        }
    }
}

/// Runs `psql` against a test database (to restore the Flyway fixtures' pg_dump files).
func psql(_ database: TestDatabase, file: URL) throws {
    let endpoint = database.endpoint
    try TestCluster.shell(
        "PGPASSWORD=\(TestCluster.singleQuoted(endpoint.password)) psql -X -q -v ON_ERROR_STOP=1 "
            + "-h \(endpoint.host) -p \(endpoint.port) -U \(endpoint.user) -d \(database.name) "
            + "-f \(TestCluster.singleQuoted(file.path))")
}
