import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// What Flyway 12.0.2 printed for the same inputs (`Tests/RunwayIntegrationTests/Fixtures/flyway-12`, recorded by
/// its `record.sh`), compared with what the built `migrate` prints: JSON field by field, text where it matters.
@Suite("the migrate CLI side by side with Flyway 12.0.2's recorded output")
struct FlywaySideBySideTests {
    /// A recorded file: the fixtures are resources of the integration tests; this target reads them from the tree.
    static func recorded(_ name: String) throws -> URL {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("RunwayIntegrationTests/Fixtures/flyway-12").appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw TestFailure("missing fixture \(url.path)") }
        return url
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    /// The top-level keys in document order (both tools pretty-print with two spaces of indentation).
    static func topLevelKeys(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  \""), !line.hasPrefix("   "), let end = line.dropFirst(3).firstIndex(of: "\"")
            else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: 3)..<end])
        }
    }

    /// Runway's documented extra fields (docs/flyway-compatibility.md, "JSON output").
    static let extraMigrationKeys: Set<String> = ["script", "transactional"]
    static let extraInfoKeys: Set<String> = ["historyTable"]
    static let extraInfoMigrationKeys: Set<String> = ["script", "localChecksum", "appliedChecksum", "installedRank"]

    @Test("a failed migrate prints Flyway's whole result: applied migrations, error code, line, null target")
    func failedMigrate() async throws {
        let db = try TestDatabase("sbsfail")
        let folder = try MigrationFolder()
        try folder.copy(from: try Self.recorded("failing"))
        let output = try await runMigrate(
            ["migrate", "--locations", folder.path, "--output", "json"], environment: db.environment)
        #expect(output.status == 1, "\(output.all)")
        let flywayText = try String(contentsOf: try Self.recorded("failed-migrate.json"), encoding: .utf8)
        #expect(Self.topLevelKeys(output.stdout) == Self.topLevelKeys(flywayText), "\(output.stdout)")
        let runway = try Self.object(output.stdout)
        let flyway = try Self.object(flywayText)
        for key in [
            "operation", "licenseFailed", "initialSchemaVersion", "targetSchemaVersion", "schemaName",
            "migrationsExecuted", "success", "warnings", "databaseType",
        ] {
            #expect("\(runway[key] ?? "absent")" == "\(flyway[key] ?? "absent")", "\(key)")
        }
        #expect(runway["exception"] is String)
        let runwayMigrations = try #require(runway["migrations"] as? [[String: Any]])
        let flywayMigrations = try #require(flyway["migrations"] as? [[String: Any]])
        #expect(runwayMigrations.count == flywayMigrations.count)
        for (ours, theirs) in zip(runwayMigrations, flywayMigrations) {
            #expect(Set(ours.keys).subtracting(Self.extraMigrationKeys) == Set(theirs.keys))
            for key in ["category", "version", "description", "type"] {
                #expect(ours[key] as? String == theirs[key] as? String, "\(key)")
            }
        }
        let ours = try #require(runway["error"] as? [String: Any])
        let theirs = try #require(flyway["error"] as? [String: Any])
        #expect(Set(ours.keys) == Set(theirs.keys))
        for key in ["errorCode", "sqlState"] { #expect(ours[key] as? String == theirs[key] as? String, "\(key)") }
        #expect(ours["lineNumber"] as? Int == theirs["lineNumber"] as? Int)
        #expect(ours["sqlErrorCode"] as? Int == 0)
        #expect(
            try db.scalar("SELECT string_agg(script, ',' ORDER BY installed_rank) FROM flyway_schema_history")
                == "V1__a.sql")
    }

    @Test("a migrate with nothing to do reports a null targetSchemaVersion and Flyway's schemaName")
    func noOpMigrate() async throws {
        let db = try TestDatabase("sbsnoop")
        let folder = try MigrationFolder()
        try folder.write("V1__a.sql", try String(contentsOf: try Self.recorded("failing/V1__a.sql"), encoding: .utf8))
        let arguments = ["migrate", "--locations", folder.path, "--output", "json"]
        #expect(try await runMigrate(arguments, environment: db.environment).status == 0)
        let output = try await runMigrate(arguments, environment: db.environment)
        #expect(output.status == 0, "\(output.all)")
        let flywayText = try String(contentsOf: try Self.recorded("noop-migrate.json"), encoding: .utf8)
        #expect(Self.topLevelKeys(output.stdout) == Self.topLevelKeys(flywayText))
        let runway = try Self.object(output.stdout)
        let flyway = try Self.object(flywayText)
        for key in ["initialSchemaVersion", "targetSchemaVersion", "schemaName", "migrationsExecuted", "success"] {
            #expect("\(runway[key] ?? "absent")" == "\(flyway[key] ?? "absent")", "\(key)")
        }
    }

    @Test("schemas with defaultSchema elsewhere: Flyway's creation row, info's schemaName, same fields")
    func schemasOrder() async throws {
        let db = try TestDatabase("sbsschemas")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n"])
        let expected = try String(contentsOf: try Self.recorded("schema-creation.txt"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: "|", maxSplits: 1).map(String.init) }
        for row in expected {
            let (defaultSchema, script) = (row[0], row[1])
            for schema in ["alpha", "beta", "gamma", "delta"] {
                _ = try db.connect().execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            }
            let output = try await runMigrate(
                [
                    "migrate", "--locations", folder.path, "-schemas=alpha,beta,gamma",
                    "-defaultSchema=\(defaultSchema)",
                ],
                environment: db.environment)
            #expect(output.status == 0, "\(output.all)")
            #expect(
                try db.scalar("SELECT script FROM \(defaultSchema).flyway_schema_history WHERE type = 'SCHEMA'")
                    == script, "defaultSchema=\(defaultSchema)")
        }
        // The database now has defaultSchema=delta, as the recorded info.
        let info = try await runMigrate(
            [
                "info", "--locations", folder.path, "-schemas=alpha,beta,gamma", "-defaultSchema=delta", "--output",
                "json",
            ],
            environment: db.environment)
        #expect(info.status == 0, "\(info.all)")
        let flywayText = try String(contentsOf: try Self.recorded("info-schemas.json"), encoding: .utf8)
        #expect(
            Self.topLevelKeys(info.stdout).filter { !Self.extraInfoKeys.contains($0) }
                == Self.topLevelKeys(flywayText))
        let runway = try Self.object(info.stdout)
        let flyway = try Self.object(flywayText)
        #expect(runway["schemaName"] as? String == flyway["schemaName"] as? String)
        let ours = try #require(runway["migrations"] as? [[String: Any]])
        let theirs = try #require(flyway["migrations"] as? [[String: Any]])
        #expect(ours.count == theirs.count)
        for (entry, recorded) in zip(ours, theirs) {
            #expect(Set(entry.keys).subtracting(Self.extraInfoMigrationKeys) == Set(recorded.keys))
            for key in ["category", "version", "description", "type", "state", "undoable"] {
                #expect(entry[key] as? String == recorded[key] as? String, "\(key)")
            }
        }
    }

    @Test("the BASELINE row shows Undoable No in the info table and in JSON, as Flyway")
    func baselineUndoable() async throws {
        let db = try TestDatabase("sbsbaseline")
        try db.connect().execute("CREATE TABLE existing (id int)")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n"])
        let base = ["--locations", folder.path, "-baselineVersion=0"]
        #expect(try await runMigrate(["baseline"] + base, environment: db.environment).status == 0)
        let text = try await runMigrate(["info"] + base, environment: db.environment)
        let recorded = try String(contentsOf: try Self.recorded("baseline-info.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let table = text.stdout.split(separator: "\n").map(String.init).filter {
            $0.hasPrefix("|") || $0.hasPrefix("+")
        }
        .map { $0.replacing(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, with: "<installed-on-time>") }
        #expect(table == recorded, "\(text.stdout)")
        let json = try Self.object(
            try await runMigrate(["info", "--output", "json"] + base, environment: db.environment).stdout)
        let entries = try #require(json["migrations"] as? [[String: Any]])
        #expect(entries.map { $0["undoable"] as? String } == ["No", "No"])
    }

    @Test("-q prints nothing on success; a failed validate still says why on stderr")
    func quiet() async throws {
        let db = try TestDatabase("sbsquiet")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);\n"])
        for command in ["migrate", "info", "validate"] {
            let output = try await runMigrate([command, "-q", "--locations", folder.path], environment: db.environment)
            #expect(output.status == 0, "\(output.all)")
            #expect(output.stdout.isEmpty, "\(command): \(output.stdout)")
        }
        try folder.write("V1__a.sql", "CREATE TABLE a (id bigint);\n")
        let failed = try await runMigrate(["validate", "-q", "--locations", folder.path], environment: db.environment)
        #expect(failed.status == 1)
        #expect(failed.stdout.isEmpty)
        #expect(failed.stderr.contains("checksum mismatch"), "\(failed.stderr)")
        let json = try await runMigrate(
            ["info", "-q", "--output", "json", "--locations", folder.path], environment: db.environment)
        #expect(json.stdout.contains("\"operation\" : \"info\""), "JSON is still printed with -q")
    }

    @Test("${flyway:environment} names the environment -environment= or flyway.toml selected")
    func environmentPlaceholder() async throws {
        let recorded = try String(contentsOf: try Self.recorded("environment.txt"), encoding: .utf8)
            .split(separator: "\n").map { String($0.split(separator: "|").last ?? "") }
        #expect(recorded == ["default", "prod", "prod"])
        let db = try TestDatabase("sbsenv")
        let folder = try MigrationFolder([
            "V1__env.sql": "CREATE TABLE env AS SELECT '${flyway:environment}'::text AS name;\n"
        ])
        let plain = try await runMigrate(["migrate", "--locations", folder.path], environment: db.environment)
        #expect(plain.status == 0, "\(plain.all)")
        #expect(try db.scalar("SELECT name FROM env") == recorded[0])

        let selected = try TestDatabase("sbsenv")
        let argument = try await runMigrate(
            ["migrate", "--locations", folder.path, "-environment=prod"], environment: selected.environment)
        #expect(argument.status == 0, "\(argument.all)")
        #expect(try selected.scalar("SELECT name FROM env") == recorded[1])

        let toml = try TestDatabase("sbsenv")
        let directory = try MigrationFolder()
        let endpoint = toml.endpoint
        try directory.write(
            "flyway.toml",
            """
            [environments.prod]
            url = "jdbc:postgresql://\(endpoint.host):\(endpoint.port)/\(toml.name)"
            user = "\(endpoint.user)"

            [flyway]
            environment = "prod"
            locations = ["filesystem:\(folder.path)"]
            """)
        let fromFile = try await runMigrate(
            ["migrate"], environment: ["PATH": toml.environment["PATH"] ?? "", "PGPASSWORD": endpoint.password],
            directory: directory.path)
        #expect(fromFile.status == 0, "\(fromFile.all)")
        #expect(try toml.scalar("SELECT name FROM env") == recorded[2])
    }

    @Test("FLYWAY_URL and DB_NAME naming different databases are refused, naming both; agreeing parts pass")
    func conflictingDatabase() async throws {
        let db = try TestDatabase("sbsconflict")
        let other = try TestDatabase("sbsconflictother")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);\n"])
        let endpoint = db.endpoint
        var environment = db.environment
        environment["FLYWAY_URL"] = "jdbc:postgresql://\(endpoint.host):\(endpoint.port)/\(other.name)"
        let refused = try await runMigrate(["migrate", "--locations", folder.path], environment: environment)
        #expect(refused.status == 2, "\(refused.all)")
        #expect(refused.stderr.contains("FLYWAY_URL") && refused.stderr.contains("DB_NAME"), "\(refused.stderr)")
        #expect(refused.stderr.contains(other.name) && refused.stderr.contains(db.name))
        #expect(!refused.all.contains(endpoint.password))
        for database in [db, other] {
            #expect(try database.scalar("SELECT to_regclass('public.flyway_schema_history') IS NULL") == "t")
        }
        environment["FLYWAY_URL"] = "jdbc:postgresql://\(endpoint.host):\(endpoint.port)/\(db.name)"
        let agreeing = try await runMigrate(["migrate", "--locations", folder.path], environment: environment)
        #expect(agreeing.status == 0, "\(agreeing.all)")
    }

    @Test("group: a COMMIT that fails names the group, not the last migration, and nothing is applied")
    func groupCommitFailure() async throws {
        let db = try TestDatabase("sbsgroup")
        let folder = try MigrationFolder()
        try folder.copy(from: try Self.recorded("group-commit"))
        let output = try await runMigrate(
            ["migrate", "--locations", folder.path, "-group=true"], environment: db.environment)
        #expect(output.status == 1, "\(output.all)")
        #expect(output.stderr.contains("Migration group failed at COMMIT"), "\(output.stderr)")
        #expect(output.stderr.contains("V1__deferred.sql, V2__z.sql"), "\(output.stderr)")
        #expect(!output.stderr.contains("Migration V2__z.sql failed"), "\(output.stderr)")
        #expect(output.stderr.contains("23503"))
        #expect(try db.scalar("SELECT count(*) FROM flyway_schema_history WHERE type = 'SQL'") == "0")
    }

    @Test("group: a failing statement names its file, line and statement")
    func groupStatementFailure() async throws {
        let db = try TestDatabase("sbsgroupline")
        let folder = try MigrationFolder()
        try folder.copy(from: try Self.recorded("failing"))
        let output = try await runMigrate(
            ["migrate", "--locations", folder.path, "-group=true", "--output", "json"], environment: db.environment)
        #expect(output.status == 1, "\(output.all)")
        let error = try #require(try Self.object(output.stdout)["error"] as? [String: Any])
        #expect(error["path"] as? String == "V2__b.sql")
        #expect(error["lineNumber"] as? Int == 2)
        #expect((error["message"] as? String)?.contains("Statement  : SELECT 1/0") == true)
        #expect(error["errorCode"] as? String == "FAILED_VERSIONED_MIGRATION")
    }

    @Test("B__ baseline migrations on an empty database: Flyway's history rows, byte for byte")
    func baselineMigrations() async throws {
        let recorded = try String(contentsOf: try Self.recorded("baseline-migrations-history.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let db = try TestDatabase("sbsbmig")
        let folder = try MigrationFolder([
            "B2__base.sql": "CREATE TABLE a (id int); CREATE TABLE b (id int);\n",
            "V1__a.sql": "CREATE TABLE a (id int);\n", "V2__b.sql": "CREATE TABLE b (id int);\n",
            "V3__c.sql": "CREATE TABLE c (id int);\n",
        ])
        let output = try await runMigrate(["migrate", "--locations", folder.path], environment: db.environment)
        #expect(output.status == 0, "\(output.all)")
        let rows = try db.rows(
            "SELECT concat_ws('|', installed_rank, version, description, type, script, checksum, success) "
                + "FROM flyway_schema_history ORDER BY installed_rank"
        ).map { $0[0] ?? "" }
        #expect(rows == recorded)
    }

    @Test("initSql's session settings are what the migrations see, as in Flyway")
    func initSql() async throws {
        let recorded = try String(contentsOf: try Self.recorded("initsql.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let db = try TestDatabase("sbsinitsql")
        let folder = try MigrationFolder([
            "V1__seen.sql": "CREATE TABLE seen AS SELECT current_setting('TimeZone') AS zone, "
                + "current_setting('application_name') AS app;\n"
        ])
        let output = try await runMigrate(
            ["migrate", "--locations", folder.path, "-initSql=SET TIME ZONE 'Asia/Tokyo'"], environment: db.environment)
        #expect(output.status == 0, "\(output.all)")
        #expect(try db.scalar("SELECT zone FROM seen") == recorded)
    }

    @Test("connectRetries: the same number of retries and the same capped waits as Flyway; exit 3 where Flyway exits 1")
    func connectRetries() async throws {
        let recorded = try String(contentsOf: try Self.recorded("connect-retries.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let waits = recorded.filter { $0.hasPrefix("Retrying in ") }.map { $0.split(separator: " ")[2] }
        #expect(waits == ["1", "1"] && recorded.last == "exit 1")
        let port = try TestCluster.freePort()
        let folder = try MigrationFolder()
        let output = try await runMigrate(
            [
                "info", "--locations", folder.path, "--host", "127.0.0.1", "--port", "\(port)",
                "-connectRetries=2", "-connectRetriesInterval=1", "--log-format", "json",
            ], environment: ["PATH": "/usr/bin:/bin", "DB_USERNAME": "x", "DB_PASSWORD": "y", "DB_NAME": "none"])
        let retries = output.stderr.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { ($0["message"] as? String) == "Connection error, retrying" }
        #expect(retries.map { "\($0["retry_in_seconds"] ?? "")" } == waits.map(String.init), "\(output.stderr)")
        // Exit codes are Runway's (README "Exit codes"): 3, unreachable and worth retrying; Flyway exits 1.
        #expect(output.status == 3, "\(output.stderr)")
    }

    @Test(
        "group with a statement-error callback: the same outcome as Flyway, and the real error instead of the callback's"
    )
    func groupStatementErrorCallback() async throws {
        let recorded = try String(contentsOf: try Self.recorded("group-callback.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(
            recorded == [
                "exit 1", "errorCode FAILED_VERSIONED_MIGRATION", "callbackFailed true",
                "history true rows 0 table_a false",
            ])
        let db = try TestDatabase("sbsgcb")
        let output = try await runMigrate(
            ["migrate", "--locations", try Self.recorded("group-callback").path, "--group", "--output", "json"],
            environment: db.environment)
        #expect("exit \(output.status)" == recorded[0])
        let error = try #require(try Self.object(output.stdout)["error"] as? [String: Any])
        #expect("errorCode \(error["errorCode"] ?? "")" == recorded[1])
        // Flyway's callback runs in the aborted transaction and its failure (25P02) replaces the error; Runway
        // reports the statement that failed (docs/flyway-compatibility.md, deliberate differences).
        #expect(error["sqlState"] as? String == "22012" && error["lineNumber"] as? Int == 2)
        #expect(
            try db.scalar(
                "SELECT 'history ' || (to_regclass('flyway_schema_history') IS NOT NULL) || ' rows ' || "
                    + "(SELECT count(*) FROM flyway_schema_history) || ' table_a ' || (to_regclass('a') IS NOT NULL)")
                == recorded[3])
    }
}
