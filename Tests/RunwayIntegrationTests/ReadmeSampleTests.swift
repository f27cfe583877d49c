import Foundation
import Logging
import Runway
import Testing
import RunwayTestSupport

/// The README's library sample, compiled with the tests. Never run: it would migrate the database the `DB_*`
/// variables name with migrations this target does not have.
enum ReadmeSample {
    static func startup() async throws {
        // README-SAMPLE-BEGIN
        // At application startup, before serving traffic. Several replicas may do this at once: the advisory lock
        // serialises them, the later ones re-read the history and find nothing to do.
        let logger = Logger(label: "migrations")
        let configuration = try Configuration.fromEnvironment()  // DB_HOST, DB_PORT, DB_NAME, DB_USERNAME, DB_PASSWORD
            .migrations(fromResources: "Migrations", in: .module)  // resources: [.copy("Migrations")] in Package.swift
            .placeholder("app_role", "orders_app")
        let migrator = Migrator(configuration: configuration, logger: logger)
        let result = try await migrator.migrate()
        logger.info("schema at version \(result.targetSchemaVersion ?? "none"), \(result.migrationsExecuted) applied")

        // In a readiness check or CI:
        let validation = try await migrator.validate()
        if !validation.isValid { for problem in validation.problems { logger.error("\(problem.message)") } }
        // README-SAMPLE-END
    }
}

@Suite("the README's library sample")
struct ReadmeSampleTests {
    @Test("the README shows exactly the sample this file compiles")
    func readmeShowsTheCompiledSample() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)

        let section = try #require(readme.range(of: "## The library\n"))
        let open = try #require(readme.range(of: "```swift\n", range: section.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "\n```\n", range: open.upperBound..<readme.endIndex))
        let shown = readme[open.upperBound..<close.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .drop { $0.hasPrefix("import ") || $0.isEmpty }

        let begin = try #require(source.range(of: "// README-SAMPLE-BEGIN\n"))
        let end = try #require(source.range(of: "\n        // README-SAMPLE-END"))
        let compiled = source[begin.upperBound..<end.lowerBound].split(
            separator: "\n", omittingEmptySubsequences: false
        )
        .map { $0.hasPrefix("        ") ? $0.dropFirst(8) : $0 }
        #expect(Array(shown.map(String.init)) == compiled.map(String.init))
    }
}
