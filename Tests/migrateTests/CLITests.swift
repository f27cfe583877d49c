import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// The built `migrate` binary, next to the test bundle.
enum Binary {
    static var url: URL {
        if let override = ProcessInfo.processInfo.environment["RUNWAY_MIGRATE_BIN"] {
            return URL(fileURLWithPath: override)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("migrate")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/migrate")
    }
}

struct RunOutput {
    var status: Int32
    var stdout: String
    var stderr: String
    var all: String { stdout + stderr }
}

/// Runs `migrate` with arguments and an environment; returns exit status and output. Waits off Swift's cooperative
/// pool so that parallel tests are not starved while the process runs.
func runMigrate(
    _ arguments: [String], environment: [String: String], directory: String? = nil
) async throws -> RunOutput {
    let process = try startMigrate(arguments, environment: environment, directory: directory)
    return await process.finish()
}

/// A running `migrate` process, started with `posix_spawn` (its output goes to temporary files) and reaped with
/// `waitpid` on a Dispatch thread: Foundation's `Process` wait was seen to hang here when many tests spawned
/// processes at once. A `wrapper` command (`setpriv ...`) runs `migrate` when given.
final class RunningMigrate: @unchecked Sendable {
    let processIdentifier: pid_t
    private let outPath: String
    private let errPath: String

    init(
        _ arguments: [String], environment: [String: String], directory: String?, wrapper: [String] = []
    ) throws {
        let temporary = FileManager.default.temporaryDirectory
        outPath = temporary.appendingPathComponent("migrate-out-\(UUID().uuidString)").path
        errPath = temporary.appendingPathComponent("migrate-err-\(UUID().uuidString)").path
        processIdentifier = try spawnMigrate(
            arguments, environment: environment, directory: directory, wrapper: wrapper, stdout: outPath,
            stderr: errPath)
    }

    /// Sends SIGTERM.
    func terminate() { kill(processIdentifier, SIGTERM) }

    /// Waits for the process on a Dispatch thread, not on the cooperative pool.
    func finish() async -> RunOutput {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.finishBlocking()) }
        }
    }

    private func finishBlocking() -> RunOutput {
        var status: Int32 = 0
        while waitpid(processIdentifier, &status, 0) == -1 && errno == EINTR {}
        let exit: Int32 = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        return RunOutput(
            status: exit, stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

/// Starts the built `migrate` with `posix_spawn` through `/bin/sh` (which `exec`s it, so the pid is migrate's own and
/// `kill -9` reaches it), standard input from /dev/null, output to the two files. A `wrapper` command (`setpriv ...`)
/// runs `migrate` when given.
func spawnMigrate(
    _ arguments: [String], environment: [String: String], directory: String? = nil, wrapper: [String] = [],
    stdout: String, stderr: String
) throws -> pid_t {
    let quote = { (text: String) in "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let script =
        (directory.map { "cd \(quote($0)) || exit 127; " } ?? "")
        + "exec </dev/null >\(quote(stdout)) 2>\(quote(stderr)); exec \"$@\""
    let argv = ["/bin/sh", "-c", script, "sh"] + wrapper + [Binary.url.path] + arguments
    let cArguments = argv.map { strdup($0) } + [nil]
    let cEnvironment =
        environment.merging(sanitizerEnvironment) { given, _ in given }
        .map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        cArguments.forEach { free($0) }
        cEnvironment.forEach { free($0) }
    }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, "/bin/sh", nil, nil, cArguments, cEnvironment)
    guard result == 0 else { throw TestFailure("posix_spawn failed: \(result)") }
    return pid
}

func startMigrate(_ arguments: [String], environment: [String: String], directory: String? = nil) throws
    -> RunningMigrate
{
    try RunningMigrate(arguments, environment: environment, directory: directory)
}

@Suite("the migrate CLI (built binary, real PostgreSQL)")
struct CLITests {
    @Test("eight migrate processes started together apply every migration exactly once", .timeLimit(.minutes(3)))
    func eightConcurrentProcesses() async throws {
        let db = try TestDatabase("eight")
        var files: [String: String] = ["V1__counter.sql": "CREATE TABLE applied (name text NOT NULL);"]
        for i in 2...12 {
            files["V\(i)__step_\(i).sql"] =
                "INSERT INTO applied VALUES ('V\(i)');\nCREATE TABLE step_\(i) (id int);\nSELECT pg_sleep(0.1);"
        }
        files["R__view.sql"] = "CREATE OR REPLACE VIEW applied_count AS SELECT count(*) AS n FROM applied;"
        let folder = try MigrationFolder(files)
        let runs = try (0..<8).map { _ in
            try startMigrate(["migrate", "--locations", folder.path], environment: db.environment)
        }
        var outputs: [RunOutput] = []
        for run in runs { outputs.append(await run.finish()) }
        for output in outputs { #expect(output.status == 0, "\(output.stderr)") }
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history") == "13")
        #expect(try db.scalar("SELECT count(*) FROM applied") == "11")
        #expect(try db.scalar("SELECT count(DISTINCT name) FROM applied") == "11")
        let appliedCounts = outputs.map { output in
            output.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("Applied ") }.count
        }
        #expect(appliedCounts.reduce(0, +) == 13)
        #expect(appliedCounts.filter { $0 == 0 }.count == 7)
    }

    @Test("a wrong password is a clear login error (exit 6) that never echoes the password")
    func wrongPassword() async throws {
        let db = try TestDatabase("badpw")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;"])
        var env = db.environment
        env["DB_PASSWORD"] = "s3cret-Wrong-Pa55"
        let output = try await runMigrate(["migrate", "--locations", folder.path], environment: env)
        #expect(output.status == 6)
        #expect(output.stderr.contains("password authentication failed"))
        #expect(!output.all.contains("s3cret-Wrong-Pa55"))
        #expect(!output.all.contains(db.endpoint.password))
    }

    @Test("a password in --url is redacted from errors")
    func passwordInURLRedacted() async throws {
        let db = try TestDatabase("urlpw")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;"])
        let url = "postgresql://\(db.endpoint.user):Url-Secret-99@\(db.endpoint.host):1/\(db.name)"
        let output = try await runMigrate(
            ["migrate", "--locations", folder.path, "--url", url], environment: ["PATH": "/usr/bin:/bin"])
        #expect(output.status == 3)
        #expect(!output.all.contains("Url-Secret-99"))
    }

    @Test("bad DB_PORT is rejected before connecting, naming the variable", arguments: ["abc", "0", "70000", ""])
    func badPort(port: String) async throws {
        let db = try TestDatabase("badport")
        var env = db.environment
        env["DB_PORT"] = port
        let output = try await runMigrate(["migrate", "--locations", "/nonexistent"], environment: env)
        #expect(output.status == 2)
        #expect(output.stderr.contains("DB_PORT"))
        #expect(!output.all.contains(db.endpoint.password))
        #expect(try db.scalar("SELECT to_regclass('public.flyway_schema_history') IS NULL") == "t")
    }

    @Test("an empty DB_NAME with nothing to fall back on is rejected, naming the variable")
    func emptyDatabaseName() async throws {
        let db = try TestDatabase("emptyname")
        var env = db.environment
        env["DB_NAME"] = ""
        let output = try await runMigrate(["info"], environment: env)
        #expect(output.status == 2)
        #expect(output.stderr.contains("DB_NAME"))
    }

    @Test("an empty DB_PASSWORD counts as unset beside DB_PASSWORD_FILE, which then gives the password")
    func emptyPasswordBesidePasswordFile() async throws {
        let db = try TestDatabase("emptypw")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        try folder.write("secret/password", db.endpoint.password + "\n")
        var env = db.environment
        env["DB_PASSWORD"] = ""
        env["DB_PASSWORD_FILE"] = folder.path + "/secret/password"
        let output = try await runMigrate(["migrate", "--locations", folder.path], environment: env)
        #expect(output.status == 0, "\(output.all)")
        #expect(!output.all.contains(db.endpoint.password))
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE success") == "1")
    }

    @Test(
        "a relative location with '..' is resolved against the working directory, however it is given",
        arguments: [
            (["migrate", "--locations", "../sql"], [:], nil),
            (["migrate", "-locations=filesystem:../sql"], [:], nil),
            (["migrate"], ["FLYWAY_LOCATIONS": "../sql"], nil),
            // Flyway resolves a config file's relative locations against the working directory, not the file's folder.
            (["migrate"], [:], "flyway.locations=filesystem:../sql\n"),
            (["migrate", "-configFiles=../conf/deep/flyway.conf"], [:], nil),
        ] as [([String], [String: String], String?)])
    func parentRelativeLocation(arguments: [String], variables: [String: String], conf: String?) async throws {
        let db = try TestDatabase("dotdot")
        let project = try MigrationFolder([
            "sql/V1__a.sql": "CREATE TABLE a (id int);", "app/README": "the folder migrate runs in",
            "conf/deep/flyway.conf": "flyway.locations=filesystem:../sql\n",
        ])
        if let conf { try project.write("app/flyway.conf", conf) }
        let output = try await runMigrate(
            arguments, environment: db.environment.merging(variables) { $1 }, directory: project.path + "/app")
        #expect(output.status == 0, "\(output.all)")
        #expect(try db.history() == ["1|1|a|SQL|V1__a.sql|\(Checksum(text: "CREATE TABLE a (id int);").value)|t"])
    }

    @Test("unknown flags are usage errors with exit code 2")
    func usageError() async throws {
        let output = try await runMigrate(["migrate", "--no-such-flag"], environment: [:])
        #expect(output.status == 2)
        #expect(output.stderr.contains("no-such-flag"))
    }

    @Test("validate exits 1 after an applied file is edited, also with --output json")
    func validateExitCodes() async throws {
        let db = try TestDatabase("clivalidate")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        #expect(try await runMigrate(["migrate", "--locations", folder.path], environment: db.environment).status == 0)
        #expect(
            try await runMigrate(["validate", "--locations", folder.path], environment: db.environment).status == 0)
        try folder.write("V1__a.sql", "CREATE TABLE a (id bigint);")
        let text = try await runMigrate(["validate", "--locations", folder.path], environment: db.environment)
        #expect(text.status == 1)
        #expect(text.stdout.contains("Migration checksum mismatch for migration version 1"))
        let json = try await runMigrate(
            ["validate", "--locations", folder.path, "--output", "json"], environment: db.environment)
        #expect(json.status == 1)
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["validationSuccessful"] as? Bool == false)
        #expect(object["operation"] as? String == "validate")
        let invalid = try #require(object["invalidMigrations"] as? [[String: Any]])
        #expect(invalid.count == 1)
        #expect(invalid.first?["version"] as? String == "1")
        let details = invalid.first?["errorDetails"] as? [String: Any]
        #expect(details?["errorCode"] as? String == "CHECKSUM_MISMATCH")
    }

    @Test("info --output json uses Flyway's field names plus local and applied checksums")
    func infoJSON() async throws {
        let db = try TestDatabase("clijson")
        let folder = try MigrationFolder(["V1__first_one.sql": "SELECT 1;", "V2__second.sql": "SELECT 2;"])
        #expect(
            try await runMigrate(["migrate", "--locations", folder.path, "--target", "1"], environment: db.environment)
                .status == 0)
        let output = try await runMigrate(
            ["info", "--locations", folder.path, "--output", "json"], environment: db.environment)
        #expect(output.status == 0)
        let object = try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(object["operation"] as? String == "info")
        #expect(object["schemaVersion"] as? String == "1")
        #expect(object["schemaName"] as? String == "")  // Flyway's: the configured schemas, none here
        #expect(object["database"] as? String == db.name)
        let migrations = try #require(object["migrations"] as? [[String: Any]])
        #expect(migrations.count == 2)
        let first = migrations[0]
        #expect(first["category"] as? String == "Versioned")
        #expect(first["version"] as? String == "1")
        #expect(first["description"] as? String == "first one")
        #expect(first["type"] as? String == "SQL")
        #expect(first["state"] as? String == "Success")
        #expect(first["installedBy"] as? String == db.endpoint.user)
        #expect((first["installedOnUTC"] as? String)?.hasSuffix("Z") == true)
        #expect((first["filepath"] as? String)?.hasSuffix("/V1__first_one.sql") == true)
        #expect(first["localChecksum"] as? Int == Int(Checksum(text: "SELECT 1;").value))
        #expect(first["appliedChecksum"] as? Int == Int(Checksum(text: "SELECT 1;").value))
        #expect(migrations[1]["state"] as? String == "Pending")
        #expect(migrations[1]["appliedChecksum"] is NSNull)
    }

    @Test("info prints Flyway's table")
    func infoTable() async throws {
        let db = try TestDatabase("clitable")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;"])
        let output = try await runMigrate(["info", "--locations", folder.path], environment: db.environment)
        #expect(output.status == 0)
        #expect(output.stdout.contains("Schema version: << Empty Schema >>"))
        #expect(
            output.stdout.contains("| Category  | Version | Description | Type | Installed On | State   | Undoable |"))
        #expect(
            output.stdout.contains("| Versioned | 1       | a           | SQL  |              | Pending | No       |"))
    }

    @Test("history types Runway never writes (SPRING_JDBC, CUSTOM) are printed and kept as stored")
    func unknownHistoryTypes() async throws {
        let db = try TestDatabase("clitypes")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;"])
        #expect(try await runMigrate(["migrate", "--locations", folder.path], environment: db.environment).status == 0)
        _ = try db.rows(
            """
            INSERT INTO flyway_schema_history ("installed_rank", "version", "description", "type", "script",
                "checksum", "installed_by", "execution_time", "success")
            VALUES (2, '2', 'java', 'SPRING_JDBC', 'db.migration.V2__java', NULL, 'flyway', 3, true),
                   (3, NULL, 'custom', 'CUSTOM', 'custom.R__custom', 7, 'flyway', 1, true)
            """)
        let table = try await runMigrate(["info", "--locations", folder.path], environment: db.environment)
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("| Versioned  | 2       | java        | SPRING_JDBC |") })
        #expect(lines.contains { $0.hasPrefix("| Repeatable |         | custom      | CUSTOM      |") })
        let json = try await runMigrate(
            ["info", "--locations", folder.path, "--output", "json"], environment: db.environment)
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let migrations = try #require(object["migrations"] as? [[String: Any]])
        #expect(migrations.map { $0["type"] as? String } == ["SQL", "SPRING_JDBC", "CUSTOM"])
        // repair marks them deleted with DELETE rows and leaves the stored rows as they were.
        let repair = try await runMigrate(["repair", "--locations", folder.path], environment: db.environment)
        #expect(repair.status == 0)
        let history = try db.history()
        #expect(history[1] == "2|2|java|SPRING_JDBC|db.migration.V2__java||t")
        #expect(history[2] == "3||custom|CUSTOM|custom.R__custom|7|t")
        #expect(history.dropFirst(3).allSatisfy { $0.contains("|DELETE|") })
    }

    @Test("a failing migration exits 1 naming the file, line and SQLSTATE")
    func failingMigrationExitCode() async throws {
        let db = try TestDatabase("clifail")
        let folder = try MigrationFolder(["V1__bad.sql": "SELECT 1;\nSELECT * FROM missing_table;"])
        let output = try await runMigrate(["migrate", "--locations", folder.path], environment: db.environment)
        #expect(output.status == 1)
        #expect(output.stderr.contains("V1__bad.sql line 2"))
        #expect(output.stderr.contains("42P01"))
    }

    @Test("invalid names are skipped with a log line, or rejected with --validate-migration-naming")
    func namingValidation() async throws {
        let db = try TestDatabase("clinaming")
        let folder = try MigrationFolder(["V1__a.sql": "SELECT 1;", "v2__lower.sql": "SELECT 2;"])
        let lenient = try await runMigrate(["migrate", "--locations", folder.path], environment: db.environment)
        #expect(lenient.status == 0)
        #expect(lenient.stderr.contains("Unrecognised migration name format: v2__lower.sql"))
        let strict = try await runMigrate(
            ["validate", "--locations", folder.path, "--validate-migration-naming"], environment: db.environment)
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("Invalid SQL filenames found"))
        #expect(strict.stderr.contains("v2__lower.sql"))
    }
}
