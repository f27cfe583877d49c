import ArgumentParser
import Runway

/// `migrate validate`: exit 0 only when every applied migration matches its file and nothing is pending; with
/// `--offline` or `--scratch`, the CI checks that need no live database.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check migrations; non-zero exit on any problem (also with --output json).",
        discussion: """
            Against the database (default): applied migrations must match the files and nothing may be pending.
            --offline: no database; naming, duplicates, encodings, unterminated SQL, undefined placeholders, mixed \
            transactionality, .sql.conf errors and the DDL lint (warnings unless --lint-error). With --base <rev>: \
            migrations on that git revision must be unchanged and new versions must sort above them.
            --scratch: apply everything from zero to a throwaway database (on the configured server, or a temporary \
            local cluster when none is configured).
            """)

    @Flag(help: "Check without a database.")
    var offline = false

    @Option(help: "With --offline: a git revision (origin/main) whose migrations must be unchanged.")
    var base: String?

    @Flag(help: "Apply every migration from zero to a throwaway database.")
    var scratch = false

    @OptionGroup var lint: LintOptions
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if base != nil && !offline { throw ValidationError("--base needs --offline") }
        if offline && scratch {
            throw ValidationError("--offline and --scratch are separate checks: run them as two steps")
        }
    }

    func run() async throws {
        let format = output.output
        let mode = offline ? "offline" : (scratch ? "scratch" : "online")
        let base = base
        let linter = try lint.linter()
        try await CommandContext.run(output: output, operation: "validate", ciFormats: true, connection, migrations) {
            (migrator: Migrator) throws(RunwayError) in
            switch mode {
            case "offline":
                let report = try await migrator.validateOffline(OfflineValidationOptions(base: base, linter: linter))
                return CommandOutput(
                    json: CIOutput.json(report, operation: "validate"),
                    text: CIOutput.render(report, format: format, operation: "validate"), ok: report.isValid)
            case "scratch":
                let report = try await migrator.validateOnScratch()
                return CommandOutput(
                    json: CIOutput.json(report, operation: "validate"),
                    text: CIOutput.render(report, format: format, operation: "validate"), ok: report.isValid)
            default:
                let result = try await migrator.validate()
                return CommandOutput(
                    json: JSONOutput.validate(result),
                    text: format == .text
                        ? TextOutput.validate(result)
                        : CIOutput.render(CIOutput.report(result), format: format, operation: "validate"),
                    ok: result.isValid)
            }
        }
    }
}

/// `migrate lint`: the DDL safety lint alone.
struct LintCommand: AsyncParsableCommand {
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

    func run() async throws {
        let format = output.output
        let linter = try lint.linter() ?? MigrationLinter()
        try await CommandContext.run(output: output, operation: "lint", ciFormats: true, connection, migrations) {
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
