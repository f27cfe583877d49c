import ArgumentParser
import Runway

/// `migrate repair`: fix the history table after a failure or an intended edit.
struct RepairCommand: RunwayCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Remove failed rows, mark missing migrations deleted, realign checksums with the files.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Fleets") var fleet: FleetArguments

    func run(flywaySettings: [(String, String)]) async throws {
        if fleet.isActive {
            try await FleetRun.run(
                .repair, name: "repair", fleet: fleet, output: output, flywaySettings: flywaySettings, connection,
                migrations)
            return
        }
        try await CommandContext.run(
            output: output, flywaySettings: flywaySettings, operation: "repair", connection, migrations
        ) {
            (migrator: Migrator) throws(RunwayError) in
            let result = try await migrator.repair()
            return CommandOutput(json: JSONOutput.repair(result), text: TextOutput.repair(result), ok: true)
        }
    }
}
