import Foundation
import Testing
import RunwayTestSupport

@testable import Runway
@testable import migrate

/// A login role with a distinctive password that owns a fresh database; both dropped when the value goes away.
final class SecretRole: @unchecked Sendable {
    let endpoint: TestServer.Endpoint
    let name: String
    let password: String
    let database: String

    init(_ label: String) throws {
        endpoint = try TestServer.endpoint()
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        name = "scan_\(label)_\(suffix)"
        database = "rw_scan_\(label)_\(suffix)"
        // Unreserved URI characters only, so the password reads the same raw and percent-encoded.
        password = "Pw-\(label)-\(suffix)-Z9"
        let admin = try TestDatabase.connect(endpoint, database: "postgres")
        try admin.execute("CREATE ROLE \(quoteIdentifier(name)) LOGIN PASSWORD '\(password)'")
        try admin.execute("CREATE DATABASE \(quoteIdentifier(database)) OWNER \(quoteIdentifier(name))")
    }

    deinit {
        guard let admin = try? TestDatabase.connect(endpoint, database: "postgres") else { return }
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(database)) WITH (FORCE)")
        _ = try? admin.execute("DROP ROLE IF EXISTS \(quoteIdentifier(name))")
    }

    /// A query in the role's database, as the superuser.
    func scalar(_ sql: String) throws -> String? {
        try TestDatabase.connect(endpoint, database: database).execute(sql).scalar
    }
}

/// The ways a password reaches `migrate`.
enum PasswordWay: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case dbPassword, dbPasswordFile, urlFlag, flywayConf, passwordArgument, flywayPasswordVariable
    case jdbcURLArgument, jdbcURLVariable

    var testDescription: String { rawValue }

    /// Whether the password is on the command line (and must be hidden from `ps`).
    var onCommandLine: Bool { [.urlFlag, .passwordArgument, .jdbcURLArgument].contains(self) }

    /// Arguments, environment and working directory that give `password` this way, for `database` on `port`.
    func invocation(
        _ role: SecretRole, password: String, port: String? = nil, database: String? = nil, files: MigrationFolder
    ) throws -> (arguments: [String], environment: [String: String], directory: String?) {
        let host = role.endpoint.host
        let port = port ?? role.endpoint.port
        let database = database ?? role.database
        let path = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        let variables = path.merging(
            ["DB_HOST": host, "DB_PORT": port, "DB_NAME": database, "DB_USERNAME": role.name]) { $1 }
        let jdbc = "jdbc:postgresql://\(host):\(port)/\(database)?user=\(role.name)&password=\(password)"
        switch self {
        case .dbPassword:
            return ([], variables.merging(["DB_PASSWORD": password]) { $1 }, nil)
        case .dbPasswordFile:
            try files.write("secret/password", password + "\n")
            return ([], variables.merging(["DB_PASSWORD_FILE": files.path + "/secret/password"]) { $1 }, nil)
        case .urlFlag:
            return (["--url", "postgresql://\(role.name):\(password)@\(host):\(port)/\(database)"], path, nil)
        case .flywayConf:
            try files.write(
                "project/flyway.conf",
                """
                flyway.url=jdbc:postgresql://\(host):\(port)/\(database)
                flyway.user=\(role.name)
                flyway.password=\(password)

                """)
            return ([], path, files.path + "/project")
        case .passwordArgument:
            return (["-password=\(password)"], variables, nil)
        case .flywayPasswordVariable:
            return ([], variables.merging(["FLYWAY_PASSWORD": password]) { $1 }, nil)
        case .jdbcURLArgument:
            return (["-url=\(jdbc)"], path, nil)
        case .jdbcURLVariable:
            return ([], path.merging(["FLYWAY_URL": jdbc]) { $1 }, nil)
        }
    }
}

@Suite("no password in any output, whichever way it was given", .serialized, .timeLimit(.minutes(5)))
struct SecretScanTests {
    /// One run: what it was, its expected exit status and its output.
    struct Run {
        var label: String
        var expected: Int32
        var output: RunOutput
    }

    /// Runs `migrate` with `command`, then the way's arguments (Runway's flags follow the subcommand).
    func run(
        _ label: String, expect: Int32, _ way: PasswordWay, _ role: SecretRole, password: String,
        port: String? = nil, database: String? = nil, files: MigrationFolder, _ command: [String]
    ) async throws -> Run {
        let invocation = try way.invocation(role, password: password, port: port, database: database, files: files)
        let output = try await runMigrate(
            command + invocation.arguments, environment: invocation.environment, directory: invocation.directory)
        return Run(label: label, expected: expect, output: output)
    }

    @Test(
        "success, verbose, JSON, failing and invalid migrations, wrong password, no server, no database",
        arguments: PasswordWay.allCases)
    func passwordNeverPrinted(way: PasswordWay) async throws {
        let role = try await offPool { try SecretRole(String(way.rawValue.prefix(12)).lowercased()) }
        let wrong = "Wr0ng-\(UUID().uuidString.prefix(8))-Secret"
        let files = try MigrationFolder(["migrations/V1__a.sql": "CREATE TABLE a (id int);"])
        let locations = ["--locations", files.path + "/migrations"]
        let closedPort = String(try TestCluster.freePort())
        let missingDatabase = "rw_no_such_\(UUID().uuidString.prefix(8).lowercased())"
        let json = ["--output", "json", "--log-format", "json"]
        let p = role.password
        var runs: [Run] = []
        // Text output on success; every failure with --output json --log-format json -X, which also writes the
        // error to stderr (one JSON object with every field).
        runs.append(try await run("migrate", expect: 0, way, role, password: p, files: files, ["migrate"] + locations))
        runs.append(
            try await run(
                "info json", expect: 0, way, role, password: p, files: files, ["info", "-X"] + locations + json))
        try files.write("migrations/V2__bad.sql", "SELECT * FROM no_such_table;")
        runs.append(
            try await run(
                "failing json", expect: 1, way, role, password: p, files: files, ["migrate", "-X"] + locations + json))
        try files.remove("migrations/V2__bad.sql")
        try files.write("migrations/V1__a.sql", "CREATE TABLE a (id bigint);")
        runs.append(
            try await run("invalid", expect: 1, way, role, password: p, files: files, ["validate", "-X"] + locations))
        runs.append(
            try await run(
                "invalid json", expect: 1, way, role, password: p, files: files, ["migrate", "-X"] + locations + json))
        let failing = ["migrate", "-X"] + locations + json
        runs.append(
            try await run("wrong password", expect: 6, way, role, password: wrong, files: files, failing))
        runs.append(
            try await run("no server", expect: 3, way, role, password: p, port: closedPort, files: files, failing))
        runs.append(
            try await run(
                "no database", expect: 3, way, role, password: p, database: missingDatabase, files: files, failing))
        runs.append(
            try await run(
                "wait, wrong password", expect: 6, way, role, password: wrong, files: files,
                ["wait", "-X", "--timeout", "1", "--interval", "0.2"] + locations))

        for run in runs {
            #expect(run.output.status == run.expected, "\(way) \(run.label): \(run.output.stderr)")
            for secret in [role.password, wrong] {
                #expect(!run.output.stdout.contains(secret), "\(way) \(run.label): stdout shows the password")
                #expect(!run.output.stderr.contains(secret), "\(way) \(run.label): stderr shows the password")
            }
        }
        // The runs did what their labels say.
        #expect(runs[0].output.stdout.contains("Successfully applied 1 migration"))
        #expect(runs.first { $0.label == "wrong password" }?.output.stderr.contains("password authentication") == true)
        #expect(runs.first { $0.label == "no database" }?.output.stderr.contains(missingDatabase) == true)
        #expect(try role.scalar("SELECT count(*) FROM flyway_schema_history") == "1")
        let object = try JSONSerialization.jsonObject(
            with: Data((runs.first { $0.label == "failing json" }?.output.stdout ?? "").utf8))
        #expect((object as? [String: Any])?["error"] != nil)
    }

    @Test(
        "a password on the command line is hidden from /proc/<pid>/cmdline while migrate runs",
        arguments: PasswordWay.allCases.filter(\.onCommandLine))
    func processTitle(way: PasswordWay) async throws {
        let role = try await offPool { try SecretRole("ps_" + String(way.rawValue.prefix(8)).lowercased()) }
        let files = try MigrationFolder(["migrations/V1__a.sql": "CREATE TABLE a (id int);"])
        let holder = try TestDatabase.connect(role.endpoint, database: role.database)
        try holder.execute("SELECT pg_advisory_lock(77433833903597)")  // "public"."flyway_schema_history"
        let invocation = try way.invocation(role, password: role.password, files: files)
        let running = try startMigrate(
            ["migrate", "--locations", files.path + "/migrations"] + invocation.arguments,
            environment: invocation.environment, directory: invocation.directory)
        // Waiting for the lock means it parsed its arguments and connected (its work connection polls for the lock).
        try await eventually(120, "migrate waiting for the lock") {
            try holder.query(
                """
                SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'runway'
                  AND query LIKE 'SELECT pg_try_advisory_lock%'
                """,
                [role.database]
            ).scalar == "1"
        }
        let pid = running.processIdentifier
        let cmdline = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
        let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        try holder.execute("SELECT pg_advisory_unlock(77433833903597)")
        let output = await running.finish()
        #expect(output.status == 0, "\(output.stderr)")
        #expect(arguments.contains("migrate"), "\(arguments)")
        #expect(!arguments.joined(separator: " ").contains(role.password), "\(arguments)")
        let stars = String(repeating: "*", count: role.password.count)
        #expect(arguments.contains { $0.contains(stars) }, "\(arguments)")
        #expect(!output.all.contains(role.password))
    }

    @Test(
        "the argv scrubber finds passwords in Flyway settings, URIs, JDBC URLs and conninfo strings",
        arguments: [
            ("-password=s3cret", ["s3cret"]),
            ("-environments.prod.password=a=b", ["a=b"]),
            ("-jdbcProperties.sslpassword=pp", ["pp"]),
            ("-user=app", []),
            ("postgresql://app:s3cret@db:5432/x", ["s3cret"]),
            ("postgres://app@db/x?sslmode=require", []),
            ("postgresql://app:p%40ss@db/x?password=other&sslmode=require", ["p%40ss", "other"]),
            ("-url=jdbc:postgresql://db/x?user=u&password=s3cret&ssl=true", ["s3cret"]),
            ("host=db password=s3cret dbname=x", ["s3cret"]),
            ("host=db password = 'two words' dbname=x", ["'two words'"]),
            ("--locations=migrations", []),
        ] as [(String, [String])])
    func scrubber(argument: String, secrets: [String]) {
        let bytes = Array(argument.utf8)
        let found = ProcessTitle.secretRanges(in: bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
        #expect(found == secrets)
    }

    @Test(
        "an argument the parser rejects is quoted without its password",
        arguments: [
            ["migrate", "postgresql://u:Usage-Secret-77@db/x"],
            ["info", "--lock-retry-count", "host=db password=Usage-Secret-77"],
        ])
    func usageErrorScrubbed(arguments: [String]) async throws {
        let output = try await runMigrate(arguments, environment: [:])
        #expect(output.status == 2)
        #expect(output.stderr.contains("********"), "\(output.stderr)")
        #expect(!output.all.contains("Usage-Secret-77"), "\(output.stderr)")
    }
}
