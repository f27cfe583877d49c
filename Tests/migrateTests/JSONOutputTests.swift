import Foundation
import Testing
import RunwayTestSupport

@testable import Runway

@Suite("JSON output of every command")
struct JSONOutputTests {
    func json(_ output: RunOutput) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)")
    }

    @Test("migrate, baseline, repair, clean and errors print Flyway's JSON shapes")
    func shapes() async throws {
        let db = try TestDatabase("clijsonall")
        let folder = try MigrationFolder(["V1__first.sql": "CREATE TABLE a (id int);", "R__r.sql": "SELECT 1;"])
        let env = db.environment
        let base = ["--locations", folder.path, "--output", "json"]

        let migrate = try json(try await runMigrate(["migrate"] + base, environment: env))
        #expect(migrate["operation"] as? String == "migrate")
        #expect(migrate["success"] as? Bool == true)
        #expect(migrate["initialSchemaVersion"] is NSNull)
        #expect(migrate["targetSchemaVersion"] as? String == "1")
        #expect(migrate["schemaName"] as? String == "")  // Flyway's: the configured schemas, none here
        #expect(migrate["migrationsExecuted"] as? Int == 2)
        #expect(migrate["databaseType"] as? String == "PostgreSQL")
        #expect(migrate["database"] as? String == db.name)
        let applied = try #require(migrate["migrations"] as? [[String: Any]])
        #expect(applied.map { $0["category"] as? String } == ["Versioned", "Repeatable"])
        #expect(applied.map { $0["version"] as? String } == ["1", ""])
        #expect(applied.map { $0["description"] as? String } == ["first", "r"])
        #expect(applied.allSatisfy { $0["type"] as? String == "SQL" && $0["executionTime"] is Int })
        #expect((applied[0]["filepath"] as? String)?.hasSuffix("/V1__first.sql") == true)

        try folder.remove("R__r.sql")
        let repair = try json(try await runMigrate(["repair"] + base, environment: env))
        #expect(repair["operation"] as? String == "repair")
        #expect(repair["repairActions"] as? [String] == ["Marked missing migrations as deleted"])
        let deleted = try #require(repair["migrationsDeleted"] as? [[String: Any]])
        #expect(deleted.map { $0["description"] as? String } == ["r"])
        #expect((repair["migrationsRemoved"] as? [Any])?.isEmpty == true)
        #expect((repair["migrationsAligned"] as? [Any])?.isEmpty == true)

        let refused = try await runMigrate(["clean"] + base, environment: env)
        #expect(refused.status == 2)
        let error = try #require(try json(refused)["error"] as? [String: Any])
        #expect(error["errorCode"] as? String == "CONFIGURATION")
        #expect((error["message"] as? String)?.contains("Unable to execute clean") == true)

        let clean = try json(try await runMigrate(["clean", "--clean-disabled", "false"] + base, environment: env))
        #expect(clean["operation"] as? String == "clean")
        #expect(clean["schemasCleaned"] as? [String] == ["public"])
        #expect(clean["schemasDropped"] as? [String] == [])

        try db.connect().execute("CREATE TABLE legacy (id int)")
        let baseline = try json(
            try await runMigrate(["baseline", "--baseline-version", "3"] + base, environment: env))
        #expect(baseline["operation"] as? String == "baseline")
        #expect(baseline["successfullyBaselined"] as? Bool == true)
        #expect(baseline["baselineVersion"] as? String == "3")

        try folder.write("V4__bad.sql", "SELECT * FROM nope;")
        let failed = try await runMigrate(["migrate"] + base, environment: env)
        #expect(failed.status == 1)
        let failure = try #require(try json(failed)["error"] as? [String: Any])
        #expect(failure["errorCode"] as? String == "FAILED_VERSIONED_MIGRATION")
        #expect(failure["sqlState"] as? String == "42P01")
        #expect(failure["lineNumber"] as? Int == 1)
        #expect(failure["path"] as? String == "V4__bad.sql")
    }
}
