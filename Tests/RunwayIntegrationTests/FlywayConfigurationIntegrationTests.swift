import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("Flyway configuration against a real PostgreSQL")
struct FlywayConfigurationIntegrationTests {
    /// `Configuration.load` with only `environment`, and empty home and current directories.
    private func load(
        _ environment: [String: String], arguments: [(String, String)] = [], files: [String: String] = [:]
    ) throws -> Configuration {
        let folder = try MigrationFolder(files)
        return try Configuration.load(
            ConfigurationSources(
                arguments: arguments, environment: environment, workingDirectory: folder.path,
                homeDirectory: folder.path + "/home-that-does-not-exist"))
    }

    private func connect(_ settings: ConnectionSettings) throws -> Connection {
        try Connection(parameters: settings.libpqParameters(), logger: Logger(label: "test"))
    }

    @Test("a JDBC URL's currentSchema and ApplicationName reach the session through libpq")
    func jdbcParametersReachTheSession() throws {
        let db = try TestDatabase("jdbc")
        let endpoint = db.endpoint
        let configuration = try load([
            "FLYWAY_URL":
                "jdbc:postgresql://\(endpoint.host):\(endpoint.port)/\(db.name)"
                + "?currentSchema=app,public&ApplicationName=orders-migrations&connectTimeout=5",
            "FLYWAY_USER": endpoint.user, "FLYWAY_PASSWORD": endpoint.password,
        ])
        let connection = try connect(configuration.connection)
        #expect(try connection.execute("SHOW search_path").scalar == "app,public")
        #expect(try connection.execute("SELECT current_setting('application_name')").scalar == "orders-migrations")
        #expect(try connection.execute("SELECT current_database()").scalar == db.name)
    }

    @Test("certificate paths become libpq settings (unused with sslmode=disable)")
    func passedThroughParameters() throws {
        let db = try TestDatabase("certs")
        let endpoint = db.endpoint
        let configuration = try load([
            "FLYWAY_URL":
                "jdbc:postgresql://\(endpoint.host):\(endpoint.port)/\(db.name)"
                + "?sslmode=disable&sslrootcert=/no/such/root.crt&sslcert=/no/such/client.crt",
            "FLYWAY_USER": endpoint.user, "FLYWAY_PASSWORD": endpoint.password,
        ])
        #expect(configuration.connection.url == nil)
        #expect(configuration.connection.sslRootCert == "/no/such/root.crt")
        #expect(configuration.connection.sslCert == "/no/such/client.crt")
        #expect(try connect(configuration.connection).execute("SELECT current_database()").scalar == db.name)
    }

    @Test("two hosts: libpq skips one that refuses connections")
    func secondHost() throws {
        let db = try TestDatabase("hosts")
        let endpoint = db.endpoint
        let closedPort = try TestCluster.freePort()
        let configuration = try load(
            ["FLYWAY_USER": endpoint.user, "FLYWAY_PASSWORD": endpoint.password],
            arguments: [
                ("url", "jdbc:postgresql://127.0.0.1:\(closedPort),\(endpoint.host):\(endpoint.port)/\(db.name)")
            ])
        #expect(configuration.connection.ports == [closedPort, Int(endpoint.port)])
        #expect(try connect(configuration.connection).execute("SELECT 1").scalar == "1")
    }

    @Test("migrate with a flyway.conf: currentSchema decides where unqualified tables go, placeholders apply")
    func migrateWithConf() async throws {
        let db = try TestDatabase("conf")
        let endpoint = db.endpoint
        let project = try MigrationFolder([
            "sql/V1__t.sql": "CREATE TABLE t (id int);\nCREATE TABLE ${name} (id int);\n",
            "flyway.conf": """
            flyway.url=jdbc:postgresql://\(endpoint.host):\(endpoint.port)/\(db.name)?currentSchema=app
            flyway.user=${PG_TEST_USER}
            flyway.schemas=app
            flyway.locations=filesystem:sql
            flyway.placeholders.name=named
            flyway.driver=org.postgresql.Driver
            """,
        ])
        let configuration = try Configuration.load(
            ConfigurationSources(
                arguments: [("workingDirectory", project.path)],
                environment: ["PG_TEST_USER": endpoint.user, "FLYWAY_PASSWORD": endpoint.password],
                workingDirectory: "/", homeDirectory: project.path + "/no-home"))
        let result = try await Migrator(configuration: configuration, logger: Logger(label: "test")).migrate()
        #expect(result.migrationsExecuted == 1)
        #expect(try db.scalar("SELECT to_regclass('app.t') IS NOT NULL") == "t")
        #expect(try db.scalar("SELECT to_regclass('app.named') IS NOT NULL") == "t")
        #expect(try db.history(schema: "app").count == 2)  // the schema marker and V1
    }
}
