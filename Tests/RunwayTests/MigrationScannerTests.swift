import Foundation
import Logging
import Testing

@testable import Runway

@Suite("MigrationScanner and MigrationResolver (Flyway §1.5, §1.6)")
struct MigrationScannerTests {
    final class Folder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID().uuidString)").path
        init(_ files: [String: String]) throws {
            for (name, text) in files {
                let url = URL(fileURLWithPath: path + "/" + name)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    func resolve(_ locations: [String], placeholders: [String: String] = [:]) throws -> [ResolvedMigration] {
        let scan = try MigrationScanner(
            locations: locations, naming: NamingConvention(), failOnMissingLocations: false,
            logger: Logger(label: "test")
        ).scan()
        return try MigrationResolver(
            placeholders: PlaceholderReplacer(values: placeholders), placeholderReplacement: true
        ).resolve(scan.migrations)
    }

    @Test("sub-folders are scanned, hidden folders are not; script is relative to the location")
    func recursion() throws {
        let folder = try Folder([
            "V1__a.sql": "SELECT 1;", "sub/deeper/V2__b.sql": "SELECT 2;", ".hidden/V3__c.sql": "SELECT 3;",
            "notes.txt": "x",
        ])
        let resolved = try resolve([folder.path])
        #expect(resolved.map(\.script) == ["V1__a.sql", "sub/deeper/V2__b.sql"])
        #expect(resolved[1].path == folder.path + "/sub/deeper/V2__b.sql")
    }

    @Test("versions sort numerically, repeatables after versioned by UTF-16 description order")
    func ordering() throws {
        let folder = try Folder([
            "V1_10__x.sql": "a", "V1_9__x.sql": "b", "V2__x.sql": "c", "V10__x.sql": "d", "R__b.sql": "e",
            "R__B.sql": "f", "R__a.sql": "g",
        ])
        let resolved = try resolve([folder.path])
        #expect(
            resolved.map { $0.version?.text ?? "R:" + $0.description } == [
                "1.9", "1.10", "2", "10", "R:B", "R:a", "R:b",
            ])
    }

    @Test("several locations, filesystem: prefix, duplicates across locations name both files")
    func duplicatesAcrossLocations() throws {
        let one = try Folder(["V1__a.sql": "SELECT 1;"])
        let two = try Folder(["V1__other.sql": "SELECT 2;"])
        let error = #expect(throws: RunwayError.self) { try resolve(["filesystem:" + one.path, two.path]) }
        #expect(error?.message.contains(one.path + "/V1__a.sql") == true)
        #expect(error?.message.contains(two.path + "/V1__other.sql") == true)
    }

    @Test("identical files with the same relative path in two locations are merged")
    func identicalMerged() throws {
        let one = try Folder(["V1__a.sql": "SELECT 1;"])
        let two = try Folder(["V1__a.sql": "SELECT 1;"])
        #expect(try resolve([one.path, two.path]).count == 1)
    }

    @Test("duplicate repeatable descriptions are an error")
    func duplicateRepeatable() throws {
        let folder = try Folder(["R__view.sql": "a", "sub/R__view.sql": "b"])
        let error = #expect(throws: RunwayError.self) { try resolve([folder.path]) }
        #expect(error?.message.contains("Found more than one repeatable migration with description view") == true)
    }

    @Test("B and V migrations with the same version may coexist")
    func baselineAndVersioned() throws {
        let folder = try Folder(["B2__base.sql": "a", "V2__x.sql": "b"])
        #expect(try resolve([folder.path]).map(\.type) == ["SQL", "SQL_BASELINE"])
    }

    @Test("repeatable checksums are computed over the placeholder-replaced text, raw checksum kept as equivalent")
    func repeatablePlaceholders() throws {
        let folder = try Folder([
            "R__v.sql": "CREATE OR REPLACE VIEW v AS SELECT ${x} AS x;\n", "V1__a.sql": "SELECT ${x};",
        ])
        let resolved = try resolve([folder.path], placeholders: ["x": "42"])
        #expect(resolved[1].checksum.value == -946_010_551)
        #expect(resolved[1].equivalentChecksum?.value == 769_116_188)
        #expect(resolved[0].checksum == Checksum(text: "SELECT ${x};"))
    }

    @Test("an undefined placeholder in a repeatable fails resolution, naming it and the file")
    func undefinedPlaceholder() throws {
        let folder = try Folder(["R__v.sql": "SELECT ${missing};"])
        let error = #expect(throws: RunwayError.self) { try resolve([folder.path]) }
        #expect(error?.message.contains("${missing}") == true)
        #expect(error?.file == "R__v.sql")
    }

    @Test("classpath: locations are refused with a clear error")
    func classpathRefused() {
        let error = #expect(throws: RunwayError.self) { try resolve(["classpath:db/migration"]) }
        #expect(error?.code == .configuration)
    }

    @Test("a missing location beside an existing one is skipped, or an error with failOnMissingLocations")
    func missingLocation() throws {
        let folder = try Folder(["V1__a.sql": "SELECT 1;"])
        #expect(try resolve([folder.path, "/nonexistent-runway-dir"]).map(\.script) == ["V1__a.sql"])
        let scanner = MigrationScanner(
            locations: [folder.path, "/nonexistent-runway-dir"], naming: NamingConvention(),
            failOnMissingLocations: true, logger: Logger(label: "test"))
        let error = #expect(throws: RunwayError.self) { try scanner.scan() }
        #expect(error?.message.contains("/nonexistent-runway-dir (NOT_FOUND)") == true)
    }

    @Test(
        "no location at all, or none that exists, is an error naming locations and each resolved folder",
        arguments: [[], [""], [" ", ""], ["/nonexistent-runway-dir"], ["filesystem:nonexistent-runway-dir", "/nope"]])
    func noLocation(locations: [String]) {
        let error = #expect(throws: RunwayError.self) { try resolve(locations) }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("locations") == true, "\(error?.message ?? "")")
        for location in locations where !location.trimmingCharacters(in: .whitespaces).isEmpty {
            #expect(error?.message.contains("'\(location)'") == true, "\(error?.message ?? "")")
        }
    }

    @Test("relative locations, '..' included, are resolved against the working directory (Flyway's rule)")
    func relativeLocations() throws {
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let parent = current.deletingLastPathComponent().standardizedFileURL.path
        let logger = Logger(label: "test")
        #expect(try MigrationScanner.normalise(["../sql"], logger: logger) == [parent + "/sql"])
        #expect(try MigrationScanner.normalise(["filesystem:./a/../b"], logger: logger) == [current.path + "/b"])
        #expect(
            try MigrationScanner.normalise(["../../sql"], workingDirectory: "/srv/app/current", logger: logger)
                == ["/srv/sql"])
        #expect(
            try MigrationScanner.normalise(["../sql"], workingDirectory: "app", logger: logger)
                == [current.path + "/sql"])
    }

    @Test("sub-locations of another location are dropped")
    func subLocations() throws {
        let folder = try Folder(["V1__a.sql": "a", "sub/V2__b.sql": "b"])
        #expect(try resolve([folder.path, folder.path + "/sub"]).count == 2)
    }
}
