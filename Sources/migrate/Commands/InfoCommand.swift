import ArgumentParser
import Runway

/// `migrate info`: show every migration and its state.
struct InfoCommand: RunwayCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Show every migration with its Flyway state; changes nothing.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Fleets") var fleet: FleetArguments

    func run(flywaySettings: [(String, String)]) async throws {
        if fleet.isActive {
            try await FleetRun.run(
                .info, name: "info", fleet: fleet, output: output, flywaySettings: flywaySettings, connection,
                migrations)
            return
        }
        try await CommandContext.run(
            output: output, flywaySettings: flywaySettings, operation: "info", connection, migrations
        ) {
            (migrator: Migrator) throws(RunwayError) in
            let result = try await migrator.info()
            let schemas = migrator.configuration.schemas
            return CommandOutput(
                json: JSONOutput.info(result, schemas: schemas), text: TextOutput.info(result), ok: true)
        }
    }
}
