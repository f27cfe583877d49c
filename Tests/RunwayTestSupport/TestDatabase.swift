import Foundation
import Logging
import Testing

@testable import Runway

/// The throwaway server started by `scripts/with-postgres.sh` (or `scripts/test.sh`).
///
/// Integration tests never skip: without the server's variables they fail and say how to start one.
package enum TestServer {
    package struct Endpoint {
        package var host: String
        package var port: String
        package var user: String
        package var password: String
        package var bin: String
    }

    package static func endpoint() throws -> Endpoint {
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

extension TestServer.Endpoint {
    /// The one builder of test connection settings: the test superuser on the main test server, or with `port` on
    /// 127.0.0.1:`port` (a private cluster, a standby, a TLS server or a PgBouncer, each with the same user and
    /// password).
    package func settings(database: String, port: Int? = nil) -> ConnectionSettings {
        var settings = ConnectionSettings()
        settings.host = port == nil ? host : "127.0.0.1"
        settings.port = port ?? Int(self.port)
        settings.user = user
        settings.password = password
        settings.database = database
        return settings
    }
}

package struct TestFailure: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// A fresh database for one test, dropped when the test is done.
package final class TestDatabase: @unchecked Sendable {
    package let name: String
    package let endpoint: TestServer.Endpoint

    package init(_ label: String = "t") throws {
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

    package static func connect(_ endpoint: TestServer.Endpoint, database: String) throws -> Connection {
        var settings = endpoint.settings(database: database)
        settings.applicationName = "runway-tests"
        return try Connection(parameters: settings.libpqParameters(), logger: Logger(label: "test-admin"))
    }

    /// Connection settings for this database.
    package var settings: ConnectionSettings { endpoint.settings(database: name) }

    /// A configuration for this database reading migrations from `locations`.
    package func configuration(_ locations: [String]) -> Configuration {
        var configuration = Configuration()
        configuration.connection = settings
        configuration.locations = locations
        configuration.lockRetryCount = 30
        return configuration
    }

    /// A migrator on this database.
    package func migrator(_ locations: [String], _ adjust: (inout Configuration) -> Void = { _ in }) -> Migrator {
        var configuration = configuration(locations)
        adjust(&configuration)
        return Migrator(configuration: configuration, logger: Logger(label: "runway-test"))
    }

    /// A new connection for assertions.
    package func connect() throws -> Connection { try Self.connect(endpoint, database: name) }

    /// Rows of a query, as text.
    package func rows(_ sql: String) throws -> [[String?]] { try connect().execute(sql).rows }

    /// The first value of a query.
    package func scalar(_ sql: String) throws -> String? { try connect().execute(sql).scalar }

    /// History rows as `rank|version|description|type|script|checksum|success`, the fixtures' format.
    package func history(schema: String = "public", table: String = "flyway_schema_history") throws -> [String] {
        try rows(
            """
            SELECT concat_ws('|', installed_rank, coalesce(version, ''), description, type, script,
                             coalesce(checksum::text, ''), CASE WHEN success THEN 't' ELSE 'f' END)
            FROM \(quoteIdentifier(schema)).\(quoteIdentifier(table)) ORDER BY installed_rank
            """
        ).map { $0[0] ?? "" }
    }

    /// Environment for running the `migrate` binary against this database.
    package var environment: [String: String] {
        [
            "DB_HOST": endpoint.host, "DB_PORT": endpoint.port, "DB_NAME": name, "DB_USERNAME": endpoint.user,
            "DB_PASSWORD": endpoint.password, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
    }
}

/// A temporary folder of migration files, removed on deinit.
package final class MigrationFolder: @unchecked Sendable {
    package let path: String

    package init(_ files: [String: String] = [:]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("runway-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, contents) in files { try write(name, contents) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The text of the file `name` in the folder.
    package func text(_ name: String) throws -> String {
        try String(contentsOfFile: path + "/" + name, encoding: .utf8)
    }

    package func write(_ name: String, _ contents: String) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
    }

    package func remove(_ name: String) throws {
        try FileManager.default.removeItem(atPath: path + "/" + name)
    }

    /// Copies every file of a fixture folder in.
    package func copy(from folder: URL) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let source = folder.appendingPathComponent(name)
            try? FileManager.default.removeItem(atPath: path + "/" + name)
            try FileManager.default.copyItem(atPath: source.path, toPath: path + "/" + name)
        }
    }
}

/// Runs `psql` against a test database (to restore the Flyway fixtures' pg_dump files).
package func psql(_ database: TestDatabase, file: URL) throws {
    let endpoint = database.endpoint
    try TestCluster.shell(
        "PGPASSWORD=\(TestCluster.singleQuoted(endpoint.password)) psql -X -q -v ON_ERROR_STOP=1 "
            + "-h \(endpoint.host) -p \(endpoint.port) -U \(endpoint.user) -d \(database.name) "
            + "-f \(TestCluster.singleQuoted(file.path))")
}
