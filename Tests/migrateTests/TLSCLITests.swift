import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

/// TLS through the built `migrate`: `DB_SSL*` variables and `--ssl*` flags, exit codes and messages.
@Suite("the migrate CLI over TLS", .timeLimit(.minutes(3)))
struct TLSCLITests {
    @Test("verify-full works with the CA from DB_SSLROOTCERT or --sslrootcert; failures exit 3 and say why")
    func verifyFull() async throws {
        let server = try await offPool { try TLSServer() }
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        var environment = server.environment()
        environment["DB_SSLMODE"] = "verify-full"
        environment["DB_SSLROOTCERT"] = server.caFile
        let migrate = try await runMigrate(["migrate", "--locations", folder.path], environment: environment)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(try server.admin().execute("SELECT to_regclass('public.a') IS NOT NULL").scalar == "t")

        // Flags instead of variables.
        let flags = try await runMigrate(
            [
                "info", "--locations", folder.path, "--sslmode", "verify-full", "--sslrootcert", server.caFile,
                "--host", "localhost",
            ],
            environment: server.environment(host: "127.0.0.1"))
        #expect(flags.status == 0, "\(flags.stderr)")

        // A CA that did not sign the server's certificate.
        let wrongCA = try await runMigrate(
            ["info", "--locations", folder.path, "--sslrootcert", server.otherCAFile], environment: environment)
        #expect(wrongCA.status == 3)
        #expect(wrongCA.stderr.contains("certificate verify failed"), "\(wrongCA.stderr)")
        #expect(wrongCA.stderr.contains("DB_SSLROOTCERT"), "\(wrongCA.stderr)")
        #expect(!wrongCA.all.contains(server.endpoint.password))

        // The address instead of the name the certificate is for.
        let address = try await runMigrate(
            ["info", "--locations", folder.path, "--host", "127.0.0.1"], environment: environment)
        #expect(address.status == 3)
        #expect(address.stderr.contains("does not match host name \"127.0.0.1\""), "\(address.stderr)")
        #expect(!address.all.contains(server.endpoint.password))

        // The same checks with JSON output: the error object says it too, still without the password.
        let json = try await runMigrate(
            ["info", "--locations", folder.path, "--host", "127.0.0.1", "--output", "json"], environment: environment)
        #expect(json.status == 3)
        #expect(json.stdout.contains("does not match host name"))
        #expect(!json.all.contains(server.endpoint.password))
        await server.stop()
    }
}
