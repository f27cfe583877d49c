import Foundation
import Logging
import Testing

@testable import Runway

@Suite("Configuration from DB_* variables")
struct ConfigurationTests {
    @Test("reads the five variables")
    func reads() throws {
        let configuration = try Configuration.fromEnvironment([
            "DB_HOST": "pg-0.pg,pg-1.pg", "DB_PORT": "5433", "DB_NAME": "orders", "DB_USERNAME": "app",
            "DB_PASSWORD": "pw", "DB_SSLMODE": "require",
        ])
        let connection = configuration.connection
        #expect(connection.host == "pg-0.pg,pg-1.pg")
        #expect(connection.port == 5433)
        #expect(connection.database == "orders")
        #expect(connection.user == "app")
        #expect(connection.password == "pw")
        #expect(connection.sslMode == "require")
    }

    @Test("unset variables are left to libpq's PG* variables")
    func unsetLeftToLibpq() throws {
        let connection = try Configuration.fromEnvironment([:]).connection
        #expect(connection.host == nil && connection.port == nil && connection.database == nil)
        #expect(!connection.libpqParameters().contains { $0.0 == "host" || $0.0 == "password" })
    }

    @Test(
        "bad values are rejected naming the variable",
        arguments: [
            (["DB_PORT": "abc"], "DB_PORT"), (["DB_PORT": "0"], "DB_PORT"), (["DB_PORT": "65536"], "DB_PORT"),
            (["DB_NAME": ""], "DB_NAME"), (["DB_HOST": " "], "DB_HOST"), (["DB_SSLMODE": "maybe"], "DB_SSLMODE"),
            (["DB_PASSWORD": "x", "DB_PASSWORD_FILE": "/tmp/x"], "DB_PASSWORD_FILE"),
            (["DB_PASSWORD_FILE": "/nonexistent/secret"], "DB_PASSWORD_FILE"),
        ] as [([String: String], String)])
    func rejected(environment: [String: String], variable: String) {
        let error = #expect(throws: RunwayError.self) { try Configuration.fromEnvironment(environment) }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains(variable) == true)
    }

    @Test("an empty DB_USERNAME is rejected naming it, unless PGUSER gives libpq a user", arguments: ["", " "])
    func emptyUsername(value: String) throws {
        let error = #expect(throws: RunwayError.self) { try Configuration.fromEnvironment(["DB_USERNAME": value]) }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("DB_USERNAME") == true)
        #expect(try Configuration.fromEnvironment(["DB_USERNAME": value, "PGUSER": "app"]).connection.user == nil)
    }

    @Test("an empty DB_PASSWORD counts as unset: DB_PASSWORD_FILE may stand beside it")
    func emptyPassword() throws {
        #expect(try Configuration.fromEnvironment(["DB_PASSWORD": ""]).connection.password == nil)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)").path
        try Data("from-secret\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let environment = ["DB_PASSWORD": "", "DB_PASSWORD_FILE": path]
        #expect(try Configuration.fromEnvironment(environment).connection.password == "from-secret")
    }

    @Test("an empty DB_NAME is accepted when PGDATABASE gives libpq a database")
    func emptyNameWithFallback() throws {
        #expect(try Configuration.fromEnvironment(["DB_NAME": "", "PGDATABASE": "x"]).connection.database == nil)
    }

    @Test("DB_PASSWORD_FILE is read and its trailing newline dropped")
    func passwordFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)").path
        try Data("from-secret\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Configuration.fromEnvironment(["DB_PASSWORD_FILE": path]).connection.password == "from-secret")
    }

    @Test("a DB_PASSWORD_FILE holding a NUL byte is refused, naming the file and not the password")
    func passwordFileWithNul() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)").path
        try Data("from-\0secret\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try Configuration.fromEnvironment(["DB_PASSWORD_FILE": path])
            Issue.record("accepted a password with a NUL byte")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("DB_PASSWORD_FILE='\(path)'") && error.message.contains("NUL byte"))
            #expect(!error.message.contains("secret") && !error.message.contains("from-"))
        }
    }

    @Test(
        "passwords are redacted from URLs and conninfo strings",
        arguments: [
            ("postgresql://app:hunter2@db:5432/orders", "postgresql://app:***@db:5432/orders"),
            (
                "postgresql://db/orders?password=hunter2&sslmode=require",
                "postgresql://db/orders?password=***&sslmode=require"
            ),
            ("host=db password=hunter2 dbname=orders", "host=db password=*** dbname=orders"),
            ("host=db password='hun ter2' dbname=orders", "host=db password=*** dbname=orders"),
        ])
    func redaction(input: String, expected: String) {
        #expect(ConnectionSettings.redact(input) == expected)
    }
}
