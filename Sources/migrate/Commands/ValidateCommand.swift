import ArgumentParser
import Runway

/// `migrate validate`: exit 0 only when every applied migration matches its file and nothing is pending; with
/// `--offline` or `--scratch`, the CI checks that need no live database.
struct ValidateCommand: RunwayCommand {
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
    @OptionGroup(title: "Fleets") var fleet: FleetArguments

    func validate() throws {
        if base != nil && !offline { throw ValidationError("--base needs --offline") }
        if offline && scratch {
            throw ValidationError("--offline and --scratch are separate checks: run them as two steps")
        }
    }

    func run(flywaySettings: [(String, String)]) async throws {
        if fleet.isActive {
            guard !offline, !scratch else {
                throw RunwayError(
                    .configuration, "--offline and --scratch check files, not a fleet: leave out the fleet flags")
            }
            try await FleetRun.run(
                .validate, name: "validate", fleet: fleet, output: output, flywaySettings: flywaySettings, connection,
                migrations)
            return
        }
        let format = output.output
        let mode = offline ? "offline" : (scratch ? "scratch" : "online")
        let base = base
        let linter = try lint.linter()
        try await CommandContext.run(
            output: output, flywaySettings: flywaySettings, operation: "validate", ciFormats: true, connection,
            migrations
        ) {
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
