import Foundation
import Logging
import Testing

@testable import Runway

@Suite("Walking migration folders")
struct FolderWalkTests {
    final class Tree {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("walk-\(UUID().uuidString)").path
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        func file(_ name: String, _ text: String = "SELECT 1;\n") throws {
            let url = URL(fileURLWithPath: path + "/" + name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        func link(_ name: String, to target: String) throws {
            try FileManager.default.createSymbolicLink(atPath: path + "/" + name, withDestinationPath: target)
        }
        func scan() throws -> (ScanResult, [RunwayError]) {
            try MigrationScanner(
                locations: [path], naming: NamingConvention(), failOnMissingLocations: true,
                logger: Logger(label: "test")
            ).scanCollectingErrors()
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test("links to a folder being walked are reported, not followed; other folder links are followed")
    func loops() throws {
        let tree = try Tree()
        let shared = try Tree()
        try tree.file("V1__a.sql")
        try tree.file("sub/V2__b.sql")
        try shared.file("V3__c.sql")
        try tree.link("self", to: ".")
        try tree.link("sub/up", to: "..")
        try tree.link("shared", to: shared.path)
        let (result, errors) = try tree.scan()
        #expect(result.migrations.map(\.relativePath).sorted() == ["V1__a.sql", "shared/V3__c.sql", "sub/V2__b.sql"])
        #expect(errors.compactMap(\.file).sorted() == ["self", "sub/up"])
        #expect(errors.allSatisfy { $0.message.hasPrefix("Folder loop: \(tree.path)/") })
    }

    @Test("a broken link named like a migration is an error; one named otherwise is ignored")
    func brokenLinks() throws {
        let tree = try Tree()
        try tree.file("V1__a.sql")
        try tree.link("V2__gone.sql", to: tree.path + "/missing.sql")
        try tree.link("notes.txt", to: tree.path + "/missing.txt")
        let (result, errors) = try tree.scan()
        #expect(result.migrations.map(\.relativePath) == ["V1__a.sql"])
        #expect(errors.map(\.file) == ["V2__gone.sql"])
        #expect(errors.first?.message.contains("symbolic link whose target does not exist") == true)
    }

    @Test("a folder named like a migration is reported as an invalid name, and still walked")
    func folderNamedLikeMigration() throws {
        let tree = try Tree()
        try tree.file("V2__x.sql/V3__inside.sql")
        let (result, errors) = try tree.scan()
        #expect(errors.isEmpty)
        #expect(result.migrations.map(\.relativePath) == ["V2__x.sql/V3__inside.sql"])
        #expect(
            result.invalidNames == [
                "\(tree.path)/V2__x.sql is a folder, not a migration file (its name looks like a migration)"
            ])
    }
}
