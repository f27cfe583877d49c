import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

/// TLS settings reach libpq and are enforced, against a local server with `ssl=on` and throwaway certificates.
@Suite(
    "TLS: sslmode, sslrootcert, sslcert, sslkey, sslpassword against a real server", .serialized,
    .timeLimit(.minutes(3)))
struct TLSTests {
    func connect(_ environment: [String: String]) throws -> Connection {
        let configuration = try Configuration.load(
            ConfigurationSources(environment: environment, workingDirectory: "/", homeDirectory: "/nonexistent"))
        return try Connection(parameters: configuration.connection.libpqParameters(), logger: Logger(label: "tls"))
    }

    /// The error connecting with `environment` throws.
    func connectionError(_ environment: [String: String]) throws -> RunwayError {
        do {
            _ = try connect(environment)
        } catch let error as RunwayError {
            return error
        }
        throw TestFailure("connected, but the connection should have been refused")
    }

    func encrypted(_ connection: Connection) throws -> Bool {
        try connection.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar == "t"
    }

    /// verify-full: the right CA and host `localhost` connect, encrypted; a wrong CA, the address `127.0.0.1` and a
    /// missing CA file are refused with clear errors that never contain the password.
    @Test("verify-full: right CA and name connect encrypted; wrong CA, address, missing file refused clearly")
    func serverVerification() async throws {
        let server = try await offPool { try TLSServer() }
        var environment = server.environment()
        environment["DB_SSLMODE"] = "verify-full"
        environment["DB_SSLROOTCERT"] = server.caFile
        #expect(try encrypted(try connect(environment)))

        // The whole migrator over TLS, the certificate given as a JDBC URL parameter instead.
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE over_tls (id int);"])
        var configuration = try Configuration.load(
            ConfigurationSources(
                environment: [
                    "FLYWAY_URL":
                        "jdbc:postgresql://localhost:\(server.port)/postgres?sslmode=verify-full"
                        + "&sslrootcert=\(server.caFile)",
                    "FLYWAY_USER": server.endpoint.user, "FLYWAY_PASSWORD": server.endpoint.password,
                ], workingDirectory: "/", homeDirectory: "/nonexistent"))
        #expect(configuration.connection.sslRootCert == server.caFile)
        #expect(configuration.connection.url == nil)
        configuration.locations = [folder.path]
        let result = try await Migrator(configuration: configuration, logger: Logger(label: "tls")).migrate()
        #expect(result.migrationsExecuted == 1)
        #expect(try server.admin().execute("SELECT to_regclass('public.over_tls') IS NOT NULL").scalar == "t")

        // A CA that did not sign the server's certificate: refused by verify-full and verify-ca.
        var wrongCA = environment
        wrongCA["DB_SSLROOTCERT"] = server.otherCAFile
        let untrusted = try connectionError(wrongCA)
        #expect(untrusted.code == .connection)
        #expect(untrusted.message.contains("certificate verify failed"), "\(untrusted.message)")
        #expect(untrusted.message.contains("sslrootcert '\(server.otherCAFile)'"), "\(untrusted.message)")
        #expect(!untrusted.description.contains(server.endpoint.password))
        wrongCA["DB_SSLMODE"] = "verify-ca"
        #expect(try connectionError(wrongCA).message.contains("certificate verify failed"))

        // The address instead of the name on the certificate: refused by verify-full, accepted by verify-ca.
        var address = environment
        address["DB_HOST"] = "127.0.0.1"
        let mismatch = try connectionError(address)
        #expect(mismatch.code == .connection)
        #expect(mismatch.message.contains("does not match host name \"127.0.0.1\""), "\(mismatch.message)")
        #expect(mismatch.message.contains("verify-full"), "\(mismatch.message)")
        #expect(!mismatch.description.contains(server.endpoint.password))
        address["DB_SSLMODE"] = "verify-ca"
        #expect(try encrypted(try connect(address)))

        // A CA file that is not there: a configuration error naming the setting, before any handshake.
        var missing = environment
        missing["DB_SSLROOTCERT"] = server.directory + "/no-such-ca.crt"
        let notThere = try connectionError(missing)
        #expect(notThere.code == .configuration)
        #expect(notThere.message.contains("sslrootcert"), "\(notThere.message)")
        #expect(notThere.message.contains("does not exist"), "\(notThere.message)")
        missing["DB_SSLROOTCERT"] = server.caFile
        missing["DB_SSLCERT"] = server.directory + "/no-such-client.crt"
        #expect(try connectionError(missing).message.contains("sslcert"))
        await server.stop()
    }

    @Test("a server certificate issued for another name is refused under verify-full")
    func wrongNameCertificate() async throws {
        let server = try await offPool { try TLSServer(serverName: "db.invalid") }
        var environment = server.environment(host: "localhost")
        environment["DB_SSLMODE"] = "verify-full"
        environment["DB_SSLROOTCERT"] = server.caFile
        let error = try connectionError(environment)
        #expect(error.message.contains("\"db.invalid\" does not match host name \"localhost\""), "\(error.message)")
        environment["DB_SSLMODE"] = "verify-ca"
        #expect(try encrypted(try connect(environment)))
        await server.stop()
    }

    @Test("client certificate login: DB_SSLCERT, DB_SSLKEY and DB_SSLPASSWORD, or the same as JDBC URL parameters")
    func clientCertificate() async throws {
        let server = try await offPool { try TLSServer() }
        var environment = server.environment()
        environment["DB_USERNAME"] = TLSServer.certUser
        environment["DB_PASSWORD"] = nil
        environment["DB_SSLMODE"] = "verify-full"
        environment["DB_SSLROOTCERT"] = server.caFile
        environment["DB_SSLCERT"] = server.clientCertFile
        environment["DB_SSLKEY"] = server.clientKeyFile
        environment["DB_SSLPASSWORD"] = server.clientKeyPassphrase
        let connection = try connect(environment)
        #expect(try connection.execute("SELECT current_user").scalar == TLSServer.certUser)
        #expect(
            try connection.execute("SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar
                == "/CN=\(TLSServer.certUser)")

        // With a wrong passphrase libpq cannot use the key, and the server accepts this role only with a certificate.
        environment["DB_SSLPASSWORD"] = "wrong-passphrase"
        let error = try connectionError(environment)
        #expect(error.code == .connection)
        #expect(!error.description.contains(server.clientKeyPassphrase))
        #expect(!error.description.contains("wrong-passphrase"))

        // pgjdbc's parameter names on a JDBC URL reach the same libpq settings.
        let url =
            "jdbc:postgresql://localhost:\(server.port)/postgres?user=\(TLSServer.certUser)&sslmode=verify-full"
            + "&sslrootcert=\(server.caFile)&sslcert=\(server.clientCertFile)&sslkey=\(server.clientKeyFile)"
            + "&sslpassword=\(server.clientKeyPassphrase)"
        let viaURL = try connect(["FLYWAY_URL": url])
        #expect(try viaURL.execute("SELECT current_user").scalar == TLSServer.certUser)
        await server.stop()
    }
}
