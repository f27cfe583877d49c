import ArgumentParser
import Runway

/// `migrate lint`: the DDL safety lint alone.
struct LintCommand: RunwayCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Flag risky DDL (locking index builds, table rewrites, unvalidated constraints...); no database.",
        discussion: """
            Findings are warnings unless promoted with --lint-error (or --lint-error all); the exit code is non-zero \
            only for errors. Disable a rule in a file with a comment: -- runway:lint-disable <rule>[, <rule>] \
            (or all), or for the next statement only: -- runway:lint-disable-next <rule>.
            """)

    @OptionGroup var lint: LintOptions
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func run(flywaySettings: [(String, String)]) async throws {
        let format = output.output
        let linter = try lint.linter() ?? MigrationLinter()
        try await CommandContext.run(
            output: output, flywaySettings: flywaySettings, operation: "lint", ciFormats: true, connection, migrations
        ) {
            (migrator: Migrator) throws(RunwayError) in
            var found = try await migrator.validateOffline(OfflineValidationOptions(linter: linter))
            let rules = Set(LintRule.all.map(\.id))
            found.findings = found.findings.filter { rules.contains($0.code) || $0.severity == .error }
            let report = found
            return CommandOutput(
                json: CIOutput.json(report, operation: "lint"),
                text: CIOutput.render(report, format: format, operation: "lint"), ok: report.isValid)
        }
    }
}

/// Lint configuration shared by `validate --offline` and `lint`.
struct LintOptions: ParsableArguments {
    @Option(name: .customLong("lint-error"), help: "Lint rule ids to treat as errors (comma-separated, or all).")
    var errors: String?

    @Option(name: .customLong("lint-disable"), help: "Lint rule ids to turn off (comma-separated, or all).")
    var disabled: String?

    func linter() throws(RunwayError) -> MigrationLinter? {
        func ids(_ text: String?) -> Set<String> {
            let items = Set(MigrationOptions.list(text ?? ""))
            return items.contains("all") ? Set(LintRule.all.map(\.id)) : items
        }
        let disabled = ids(disabled)
        if disabled.count == LintRule.all.count { return nil }
        return try MigrationLinter(errors: ids(errors), disabled: disabled)
    }
}
