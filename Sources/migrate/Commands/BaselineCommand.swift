import ArgumentParser
import Runway

/// `migrate baseline`: take over an existing database at a version.
struct BaselineCommand: RunwayCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Create the history table with a baseline row (baselineVersion) for an existing database.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Fleets") var fleet: FleetArguments

    func run(flywaySettings: [(String, String)]) async throws {
        if fleet.isActive {
            try await FleetRun.run(
                .baseline, name: "baseline", fleet: fleet, output: output, flywaySettings: flywaySettings, connection,
                migrations)
            return
        }
        try await CommandContext.run(
            output: output, flywaySettings: flywaySettings, operation: "baseline", connection, migrations
        ) {
            (migrator: Migrator) throws(RunwayError) in
            let result = try await migrator.baseline()
            return CommandOutput(json: JSONOutput.baseline(result), text: TextOutput.baseline(result), ok: true)
        }
    }
}
