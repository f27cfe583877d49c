import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("Flyway's configuration surface through the CLI")
struct FlywayCLITests {
    @Test("Flyway-style -key=value arguments work before and after the command, with a jdbc URL")
    func flywayArguments() async throws {
        let db = try TestDatabase("cliflyway")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let url = "jdbc:postgresql://\(db.endpoint.host):\(db.endpoint.port)/\(db.name)"
        let env = ["PATH": "/usr/bin:/bin", "FLYWAY_PASSWORD": db.endpoint.password]
        let migrate = try await runMigrate(
            ["-url=\(url)", "-user=\(db.endpoint.user)", "migrate", "-locations=filesystem:\(folder.path)"],
            environment: env)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        let info = try await runMigrate(
            [
                "info", "-url=\(url)", "-user=\(db.endpoint.user)", "-locations=filesystem:\(folder.path)",
                "-outputType=json",
            ],
            environment: env)
        #expect(info.status == 0, "\(info.stderr)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(object["schemaVersion"] as? String == "1")
        #expect(!info.all.contains(db.endpoint.password))
    }

    @Test("a flyway.conf in the working directory and FLYWAY_* variables configure a run unchanged")
    func flywayConfFile() async throws {
        let db = try TestDatabase("cliconf")
        let project = try MigrationFolder([
            "sql/V1__a.sql": "CREATE TABLE ${table_name} (id int);",
            "flyway.conf": """
            flyway.url=jdbc:postgresql://\(db.endpoint.host):\(db.endpoint.port)/\(db.name)
            flyway.user=\(db.endpoint.user)
            flyway.password=${RUNWAY_TEST_SECRET}
            flyway.locations=filesystem:sql
            flyway.placeholders.table_name=from_file
            flyway.schemas=app
            """,
        ])
        let env = [
            "PATH": "/usr/bin:/bin", "RUNWAY_TEST_SECRET": db.endpoint.password,
            "FLYWAY_PLACEHOLDERS_TABLE_NAME": "from_env",
        ]
        let output = try await runMigrate(["migrate"], environment: env, directory: project.path)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(try db.scalar("SELECT to_regclass('app.from_env') IS NOT NULL") == "t")
        #expect(try db.history(schema: "app").count == 2)
        let unknown = try await runMigrate(["info", "-noSuchSetting=1"], environment: env, directory: project.path)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("noSuchSetting"))
    }
}
