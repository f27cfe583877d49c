import ArgumentParser
import Runway

/// `migrate clean`: drop everything in the managed schemas (refused unless cleanDisabled=false).
struct CleanCommand: RunwayCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Drop every object in the managed schemas. Refused unless --clean-disabled false.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func run(flywaySettings: [(String, String)]) async throws {
        try await CommandContext.run(
            output: output, flywaySettings: flywaySettings, operation: "clean", connection, migrations
        ) {
            (migrator: Migrator) throws(RunwayError) in
            let result = try await migrator.clean()
            return CommandOutput(json: JSONOutput.clean(result), text: TextOutput.clean(result), ok: true)
        }
    }
}
