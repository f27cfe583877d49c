import Foundation
import Logging
import Testing
import RunwayTestSupport

@testable import Runway

/// What an application that depends on the library writes (Strategy A), against a real server.
@Suite("the library as an application uses it: package resources, URLs (real PostgreSQL)")
struct LibraryTests {
    /// The test database as a JDBC URL and as a postgresql:// URI, password included.
    func urls(_ db: TestDatabase) -> (jdbc: String, uri: String) {
        let e = db.endpoint
        let password = e.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return (
            "jdbc:postgresql://\(e.host):\(e.port)/\(db.name)?user=\(e.user)&password=\(password)",
            "postgresql://\(e.user):\(password)@\(e.host):\(e.port)/\(db.name)"
        )
    }

    @Test("migrations shipped as package resources (Bundle.module) apply, recorded by their path in the folder")
    func packageResources() async throws {
        let db = try TestDatabase("resources")
        let configuration = try Configuration(url: urls(db).jdbc)
            .migrations(fromResources: "Fixtures/basic/step1", in: .module)
            .placeholder("greeting", "'hello'")
        let result = try await Migrator(configuration: configuration).migrate()
        #expect(result.migrationsExecuted == 4)
        #expect(
            try db.rows("SELECT script FROM flyway_schema_history ORDER BY installed_rank").map { $0[0] ?? "" }
                == ["V1__create_customer.sql", "V1_1__add_email.sql", "V2__orders.sql", "R__customer_summary.sql"])
    }

    @Test("a JDBC URL and a postgresql:// URI both connect the library, as they connect the CLI")
    func urlForms() async throws {
        let db = try TestDatabase("liburl")
        let folder = try MigrationFolder(["V1__a.sql": "CREATE TABLE a (id int);"])
        let (jdbc, uri) = urls(db)
        #expect(
            try await Migrator(configuration: Configuration(url: jdbc).migrations(in: folder.path)).migrate()
                .migrationsExecuted == 1)
        #expect(
            try await Migrator(configuration: Configuration(url: uri).migrations(in: folder.path)).info()
                .schemaVersion == "1")
    }
}
