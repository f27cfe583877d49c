import Foundation
import Testing

@testable import Runway

@Suite("JDBC URL onto ConnectionSettings (via Configuration.load)")
struct JDBCConnectionTests {
    private func connection(_ environment: [String: String]) throws -> ConnectionSettings {
        try ConfigSandbox().load(environment: environment).connection
    }

    @Test("two hosts become libpq host and port lists, 5432 filled in for a host without a port")
    func twoHosts() throws {
        let settings = try connection(["FLYWAY_URL": "jdbc:postgresql://pg-0:5433,pg-1/orders"])
        #expect(settings.host == "pg-0,pg-1")
        #expect(settings.ports == [5433, 5432])
        #expect(settings.database == "orders")
        #expect(settings.url == nil)
        let noPorts = try connection(["FLYWAY_URL": "jdbc:postgresql://pg-0,pg-1/orders"])
        #expect(noPorts.host == "pg-0,pg-1")
        #expect(noPorts.port == nil)
    }

    @Test(
        "currentSchema sets search_path through libpq options",
        arguments: [
            ("?currentSchema=app", "-c search_path=app"),
            ("?currentSchema=app,public", "-c search_path=app,public"),
            ("?currentSchema=my+schema", "-c search_path=my\\ schema"),
            ("?options=-c%20statement_timeout%3D5s&currentSchema=app", "-c statement_timeout=5s -c search_path=app"),
        ])
    func currentSchema(query: String, options: String) throws {
        let settings = try connection(["FLYWAY_URL": "jdbc:postgresql://db/x" + query])
        #expect(settings.options == options)
        #expect(settings.libpqParameters().contains { $0 == ("options", options) })
    }

    @Test(
        "ssl parameters",
        arguments: [
            ("?sslmode=verify-ca", "verify-ca"),
            ("?ssl=true", "verify-full"),
            ("?ssl", "verify-full"),
            ("?ssl=true&sslfactory=org.postgresql.ssl.NonValidatingFactory", "require"),
            ("?ssl=true&sslmode=disable", "disable"),
            ("?ssl=false", nil),
        ] as [(String, String?)])
    func ssl(query: String, mode: String?) throws {
        #expect(try connection(["FLYWAY_URL": "jdbc:postgresql://db/x" + query]).sslMode == mode)
    }

    @Test(
        "targetServerType",
        arguments: [
            ("primary", "read-write"), ("master", "read-write"), ("secondary", "standby"), ("standby", "standby"),
            ("preferSecondary", "prefer-standby"), ("any", nil),
        ] as [(String, String?)])
    func targetServerType(value: String, attributes: String?) throws {
        let settings = try connection(["FLYWAY_URL": "jdbc:postgresql://db/x?targetServerType=\(value)"])
        #expect(settings.targetSessionAttributes == attributes)
    }

    @Test("URL user and password beat jdbcProperties, which beat user and password (pgjdbc)")
    func urlParametersWin() throws {
        let settings = try connection([
            "FLYWAY_URL": "jdbc:postgresql://db/x?user=from_url&password=url_secret",
            "FLYWAY_USER": "flyway_user", "FLYWAY_PASSWORD": "flyway_secret",
            "FLYWAY_JDBC_PROPERTIES_USER": "prop_user",
        ])
        #expect(settings.user == "from_url")
        #expect(settings.password == "url_secret")
        let properties = try connection([
            "FLYWAY_URL": "jdbc:postgresql://db/x", "FLYWAY_USER": "flyway_user",
            "FLYWAY_JDBC_PROPERTIES_USER": "prop_user",
        ])
        #expect(properties.user == "prop_user")
    }

    @Test("ApplicationName, connectTimeout and certificate paths")
    func otherParameters() throws {
        let settings = try connection([
            "FLYWAY_URL":
                "jdbc:postgresql://db/x?ApplicationName=orders-migrations&connectTimeout=3"
                + "&sslmode=verify-full&sslrootcert=/certs/root%20ca.crt&sslcert=/certs/c.crt&sslkey=/certs/c.key"
        ])
        #expect(settings.applicationName == "orders-migrations")
        #expect(settings.connectTimeout == 3)
        #expect(settings.url == nil)
        #expect(settings.sslRootCert == "/certs/root ca.crt")
        #expect(settings.sslCert == "/certs/c.crt")
        #expect(settings.sslKey == "/certs/c.key")
        let parameters = settings.libpqParameters()
        #expect(parameters.contains { $0 == ("sslrootcert", "/certs/root ca.crt") })
        #expect(parameters.contains { $0 == ("sslcert", "/certs/c.crt") })
        #expect(parameters.contains { $0 == ("sslkey", "/certs/c.key") })
        #expect(settings.host == "db")
        try settings.validate()
    }

    @Test("a postgresql:// URI or conninfo string is passed to libpq as it is")
    func passThrough() throws {
        let uri = try connection(["FLYWAY_URL": "postgresql://app@db:5432/orders?sslmode=require"])
        #expect(uri.url == "postgresql://app@db:5432/orders?sslmode=require")
        #expect(uri.host == nil)
        let conninfo = try connection(["FLYWAY_URL": "host=db dbname=orders", "FLYWAY_USER": "app"])
        #expect(conninfo.url == "host=db dbname=orders")
        #expect(conninfo.user == "app")
    }

    @Test(
        "errors name the setting and never contain the password",
        arguments: [
            "jdbc:postgresql://db:0/x?password=TopSecret1",
            "jdbc:postgresql://db/x?password=TopSecret1&sslmode=sometimes",
            "jdbc:postgresql://db/x?password=TopSecret1&connectTimeout=soon",
            "jdbc:postgresql://db/x?password=TopSecret1&targetServerType=leader",
            "jdbc:sqlserver://db;password=TopSecret1",
            "mysql://root:TopSecret1@db/x",
            "postgresql://u:TopSecret1@db:99999/x",
        ])
    func errorsHidePasswords(url: String) throws {
        let error = try #require(
            try ConfigSandbox().loadError(environment: ["FLYWAY_URL": url, "FLYWAY_PASSWORD": "Other2"]))
        #expect(error.code == .configuration)
        #expect(!error.description.contains("TopSecret1"))
        #expect(!error.description.contains("Other2"))
        #expect(error.description.contains("FLYWAY_URL") || error.description.contains("url"))
    }
}
