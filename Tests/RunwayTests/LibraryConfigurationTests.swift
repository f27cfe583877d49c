import Foundation
import Testing

@testable import Runway

/// The library's connection and configuration API: URLs in every form the CLI takes, an integer port, the builder.
@Suite("Configuration for library users: URLs, ports, builder")
struct LibraryConfigurationTests {
    @Test("ConnectionSettings(url:) maps a JDBC URL as -url= does: hosts, integer ports, database, pgjdbc parameters")
    func jdbcURL() throws {
        let settings = try ConnectionSettings(
            url: "jdbc:postgresql://pg-0:5433,pg-1/orders?user=app&sslmode=verify-full&currentSchema=app"
                + "&ApplicationName=orders-api&connectTimeout=3")
        #expect(settings.host == "pg-0,pg-1")
        #expect(settings.ports == [5433, 5432])
        #expect(settings.port == nil)  // one port per host
        #expect(settings.database == "orders")
        #expect(settings.user == "app")
        #expect(settings.sslMode == "verify-full")
        #expect(settings.options == "-c search_path=app")
        #expect(settings.applicationName == "orders-api")
        #expect(settings.connectTimeout == 3)
        #expect(settings.url == nil)

        let single = try ConnectionSettings(url: "jdbc:postgresql://db:6432/orders")
        #expect(single.port == 6432 && single.ports == [6432])
    }

    @Test("the CLI and the library read a URL the same way")
    func sameAsFlywayURL() throws {
        let url = "jdbc:postgresql://pg-0:5433,pg-1:5434/orders?user=app&ssl=true&targetServerType=primary"
        let empty = FileManager.default.temporaryDirectory.path
        let fromFlyway = try Configuration.load(
            ConfigurationSources(
                arguments: [("url", url)], environment: [:], workingDirectory: empty, homeDirectory: empty))
        #expect(try ConnectionSettings(url: url) == fromFlyway.connection)
    }

    @Test("postgresql:// URIs and conninfo strings stay for libpq; anything else is refused naming the url")
    func otherForms() throws {
        #expect(try ConnectionSettings(url: "postgresql://app@db:5432/orders").url == "postgresql://app@db:5432/orders")
        #expect(try ConnectionSettings(url: "host=db dbname=orders").url == "host=db dbname=orders")
        let error = #expect(throws: RunwayError.self) { try ConnectionSettings(url: "db.example.com/orders") }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("Invalid url") == true)
        var jdbcInField = ConnectionSettings()
        jdbcInField.url = "jdbc:postgresql://db/orders"
        let refused = #expect(throws: RunwayError.self) { try jdbcInField.validate() }
        #expect(refused?.message.contains("ConnectionSettings(url:)") == true)
    }

    @Test("port is an integer; ports out of range or not matching the hosts are refused")
    func ports() throws {
        var settings = ConnectionSettings()
        settings.port = 5433
        #expect(settings.libpqParameters().contains { $0 == ("port", "5433") })
        settings.port = 70000
        #expect(throws: RunwayError.self) { try settings.validate() }
        settings.host = "a,b,c"
        settings.ports = [5432, 5433]
        #expect(throws: RunwayError.self) { try settings.validate() }
        settings.ports = [5432, 5433, 5434]
        try settings.validate()
        #expect(settings.libpqParameters().contains { $0 == ("port", "5432,5433,5434") })
    }

    @Test("the builder reads as the settings it sets and leaves the original unchanged")
    func builder() throws {
        let base = try Configuration(url: "postgresql://app@db/orders")
        let configuration = base.migrations(in: "db/migrations", "db/seed").schemas("app", "audit")
            .placeholder("role", "orders_app").with { $0.connectRetries = 10 }
        #expect(configuration.locations == ["db/migrations", "db/seed"])
        #expect(configuration.schemas == ["app", "audit"])
        #expect(configuration.placeholders == ["role": "orders_app"])
        #expect(configuration.connectRetries == 10)
        #expect(configuration.connection.url == "postgresql://app@db/orders")
        #expect(base.locations == ["migrations"] && base.schemas.isEmpty)
    }

    @Test("a resources folder that the bundle does not have is a configuration error saying what to declare")
    func missingResources() throws {
        let error = #expect(throws: RunwayError.self) {
            try MigrationLocation.resources("NoSuchMigrations", in: Bundle.main)
        }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains(".copy(\"NoSuchMigrations\")") == true, "\(String(describing: error))")
    }
}
