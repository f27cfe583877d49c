import Foundation
import Testing

@testable import Runway

/// TLS files, `application_name` and their sources (`DB_*`, JDBC URL parameters, `jdbcProperties.*`), no database.
@Suite("ConnectionSettings: TLS files and application_name")
struct ConnectionSecurityTests {
    func load(_ environment: [String: String], arguments: [(String, String)] = []) throws -> ConnectionSettings {
        try ConfigSandbox().load(arguments, environment: environment).connection
    }

    @Test("DB_SSLROOTCERT, DB_SSLCERT, DB_SSLKEY, DB_SSLPASSWORD and DB_APPLICATION_NAME become libpq keywords")
    func environmentVariables() throws {
        let settings = try Configuration.fromEnvironment([
            "DB_SSLMODE": "verify-full", "DB_SSLROOTCERT": "/certs/ca.crt", "DB_SSLCERT": "/certs/c.crt",
            "DB_SSLKEY": "/certs/c.key", "DB_SSLPASSWORD": "key-secret", "DB_APPLICATION_NAME": "orders-migrate",
        ]).connection
        #expect(settings.sslRootCert == "/certs/ca.crt")
        #expect(settings.sslCert == "/certs/c.crt")
        #expect(settings.sslKey == "/certs/c.key")
        #expect(settings.sslPassword == "key-secret")
        #expect(settings.applicationName == "orders-migrate")
        let parameters = settings.libpqParameters()
        for expected in [
            ("sslmode", "verify-full"), ("sslrootcert", "/certs/ca.crt"), ("sslcert", "/certs/c.crt"),
            ("sslkey", "/certs/c.key"), ("sslpassword", "key-secret"), ("application_name", "orders-migrate"),
        ] {
            #expect(parameters.contains { $0 == expected }, "\(expected.0)")
        }
        #expect(!settings.redactedDescription.contains("key-secret"))
        #expect(settings.redactedDescription.contains("sslrootcert=/certs/ca.crt"))
        #expect(ConnectionSettings.redact("host=db sslpassword=key-secret") == "host=db sslpassword=***")
    }

    @Test("an empty DB_APPLICATION_NAME is an error naming the variable; unset keeps runway")
    func applicationNameVariable() throws {
        #expect(try Configuration.fromEnvironment([:]).connection.applicationName == "runway")
        #expect(throws: RunwayError.self) { try Configuration.fromEnvironment(["DB_APPLICATION_NAME": ""]) }
        let error = try ConfigSandbox().loadError(environment: ["DB_APPLICATION_NAME": " "])
        #expect(error?.message.contains("DB_APPLICATION_NAME") == true)
    }

    @Test("JDBC URL parameters and jdbcProperties set the TLS fields (no postgresql://? URI any more)")
    func jdbcParameters() throws {
        let url = try load([
            "FLYWAY_URL":
                "jdbc:postgresql://db/x?sslmode=verify-ca&sslrootcert=/a/ca.crt&sslcert=/a/c.crt&sslkey=/a/c.key"
                + "&sslpassword=pp&gssEncMode=allow"
        ])
        #expect(url.url == nil)
        #expect(url.sslRootCert == "/a/ca.crt" && url.sslCert == "/a/c.crt" && url.sslKey == "/a/c.key")
        #expect(url.sslPassword == "pp")
        #expect(url.gssEncMode == "prefer")
        let properties = try load([
            "FLYWAY_URL": "postgresql://db/x", "FLYWAY_JDBC_PROPERTIES_SSLROOTCERT": "/p/ca.crt",
        ])
        #expect(properties.url == "postgresql://db/x")
        #expect(properties.sslRootCert == "/p/ca.crt")
        let invalid = try ConfigSandbox().loadError(environment: ["FLYWAY_URL": "jdbc:postgresql://db/x?gssEncMode=on"])
        #expect(invalid?.message.contains("gssEncMode") == true)
    }

    @Test("DB_SSL* override FLYWAY_URL's parameters but not a -url argument's")
    func precedence() throws {
        let url = "jdbc:postgresql://db/x?sslrootcert=/url/ca.crt&ApplicationName=from-url"
        let variables = ["DB_SSLROOTCERT": "/env/ca.crt", "DB_APPLICATION_NAME": "from-env"]
        let fromVariable = try load(variables.merging(["FLYWAY_URL": url]) { $1 })
        #expect(fromVariable.sslRootCert == "/env/ca.crt")
        #expect(fromVariable.applicationName == "from-env")
        let fromArgument = try load(variables, arguments: [("url", url)])
        #expect(fromArgument.sslRootCert == "/url/ca.crt")
        #expect(fromArgument.applicationName == "from-url")
    }

    @Test("certificate files are checked just before connecting, where libpq would use them")
    func certificateFiles() throws {
        let sandbox = try ConfigSandbox()
        let ca = try sandbox.write("ca.crt", "-----BEGIN CERTIFICATE-----\n")
        let missing = sandbox.root + "/missing.crt"
        func check(_ pairs: [(String, String)]) -> RunwayError? {
            do {
                try ConnInfo.checkCertificateFiles(pairs)
                return nil
            } catch { return error }
        }
        #expect(check([("sslmode", "verify-full"), ("sslrootcert", ca)]) == nil)
        #expect(check([("sslmode", "verify-full"), ("sslrootcert", "system")]) == nil)
        let error = check([("sslmode", "verify-ca"), ("sslrootcert", missing)])
        #expect(error?.code == .configuration)
        #expect(error?.message == "sslrootcert '\(missing)': the file does not exist")
        #expect(check([("sslmode", "require"), ("sslrootcert", missing)]) == nil)  // libpq does not use it
        #expect(check([("sslcert", missing)])?.message.contains("sslcert") == true)
        #expect(check([("sslmode", "disable"), ("sslcert", missing), ("sslkey", missing)]) == nil)
        #expect(check([("sslmode", "require"), ("sslkey", sandbox.root)])?.message.contains("sslkey") == true)
    }
}
