import Testing

@testable import Runway

@Suite struct SchemaDriftTests {
    static func table(_ name: String, _ attributes: [(String, String?)] = [("kind", "ordinary")]) -> CatalogObject {
        CatalogObject(
            kind: .table, name: name, parent: .init(kind: .schema, name: "public"), attributes: attributes)
    }

    static func column(_ table: String, _ name: String, type: String) -> CatalogObject {
        CatalogObject(
            kind: .column, name: table + "." + name, parent: .init(kind: .table, name: table),
            attributes: [("type", type)])
    }

    static let schema = CatalogObject(kind: .schema, name: "public", parent: nil, attributes: [])

    @Test func sameObjectsInAnotherOrderAreNoDrift() {
        let objects = [Self.schema, Self.table("public.a"), Self.column("public.a", "id", type: "integer")]
        #expect(SchemaComparison(expected: objects, actual: objects.reversed()).differences() == [])
    }

    @Test func eachDifferenceIsReportedOnceWithBothSides() {
        let expected = [
            Self.schema, Self.table("public.a"), Self.column("public.a", "id", type: "integer"),
            Self.table("public.gone"), Self.column("public.gone", "x", type: "text"),
        ]
        let actual = [
            Self.schema, Self.table("public.a"), Self.column("public.a", "id", type: "bigint"),
            Self.table("public.new"), Self.column("public.new", "y", type: "text"),
        ]
        let differences = SchemaComparison(expected: expected, actual: actual).differences()
        #expect(
            differences.map { "\($0.change.rawValue) \($0.kind.rawValue) \($0.name)" } == [
                "changed column public.a.id", "removed table public.gone", "added table public.new",
            ])
        #expect(differences[0].attributes == [DriftAttribute(name: "type", expected: "integer", actual: "bigint")])
        #expect(differences[2].attributes == [DriftAttribute(name: "kind", expected: nil, actual: "ordinary")])
    }

    @Test(arguments: [
        ("public.audit_*", "public.audit_log", true), ("public.audit_*", "other.audit_log", false),
        ("tmp_*", "other.tmp_x", true), ("tmp_?", "public.tmp_xy", false), ("*_log", "public.audit_log", true),
        ("a*b*c", "public.aXbYbZc", true), ("a*b*c", "public.aXbYbZ", false),
    ])
    func ignorePatterns(pattern: String, name: String, ignored: Bool) throws {
        let ignore = [try DriftIgnorePattern(pattern)]
        let differences = SchemaComparison(
            expected: [Self.schema], actual: [Self.schema, Self.table(name)], ignore: ignore
        )
        .differences()
        #expect(differences.isEmpty == ignored)
    }

    @Test func anIgnoredTableTakesItsColumnsAlong() throws {
        let ignore = try DriftIgnorePattern.parseList("public.audit_*")
        let expected = [Self.schema, Self.table("public.audit_log"), Self.column("public.audit_log", "a", type: "int")]
        let actual = [Self.schema, Self.table("public.audit_log"), Self.column("public.audit_log", "a", type: "text")]
        #expect(SchemaComparison(expected: expected, actual: actual, ignore: ignore).differences() == [])
    }

    @Test(arguments: ["", "*", "*.*", "a,,b"])
    func patternsThatCannotBeRightAreRefused(_ text: String) {
        let error = #expect(throws: RunwayError.self) { try DriftIgnorePattern.parseList(text) }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("--drift-ignore") == true)
    }

    @Test func replayTakesSuccessfulRowsInRankOrderAndEachRepeatableAtItsLastRun() throws {
        func file(_ version: String?, _ description: String, _ checksum: Int32) throws -> ResolvedMigration {
            ResolvedMigration(
                kind: version == nil ? .repeatable : .versioned, version: try version.map { try MigrationVersion($0) },
                description: description, script: (version.map { "V\($0)__" } ?? "R__") + description + ".sql",
                path: "/m/" + description, checksum: Checksum(checksum))
        }
        let files = [try file("1", "a", 1), try file("2", "b", 2), try file("3", "c", 3), try file(nil, "r", 9)]
        let rows = [
            AppliedMigration(
                installedRank: 1, versionText: nil, description: "r", type: .sql, script: "R__r.sql", checksum: 8),
            AppliedMigration(
                installedRank: 2, versionText: "2", description: "b", type: .sql, script: "V2__b.sql", checksum: 2),
            AppliedMigration(
                installedRank: 3, versionText: "1", description: "a", type: .sql, script: "V1__a.sql", checksum: 1),
            AppliedMigration(
                installedRank: 4, versionText: "3", description: "c", type: .sql, script: "V3__c.sql", checksum: 3,
                success: false),
            AppliedMigration(
                installedRank: 5, versionText: nil, description: "r", type: .sql, script: "R__r.sql", checksum: 9),
        ]
        #expect(
            try DriftReplay.plan(applied: rows, resolved: files).map(\.script) == [
                "V2__b.sql", "V1__a.sql", "R__r.sql",
            ])
        let baselined = [
            AppliedMigration(
                installedRank: 1, versionText: "1", description: "b", type: .baseline, script: "b", checksum: nil)
        ]
        #expect(throws: RunwayError.self) { try DriftReplay.plan(applied: baselined, resolved: files) }
    }
}
