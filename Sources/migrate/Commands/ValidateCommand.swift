import ArgumentParser
import Runway

/// `migrate validate`: exit 0 only when every applied migration matches its file and nothing is pending.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check applied migrations against the files; non-zero exit on any problem (also with --output json).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await CommandContext.run(output: output, operation: "validate", connection, migrations) { (migrator: Migrator) throws(RunwayError) in
            let result = try await migrator.validate()
            return (JSONOutput.validate(result), TextOutput.validate(result), result.isValid)
        }
    }
}
