import ArgumentParser
import Runway

/// `migrate migrate`: apply pending migrations.
struct MigrateCommand: RunwayCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending migrations under Flyway's advisory lock.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Fleets") var fleet: FleetArguments

    func run(flywaySettings: [(String, String)]) async throws {
        if fleet.isActive {
            try await FleetRun.run(
                .migrate, name: "migrate", fleet: fleet, output: output, flywaySettings: flywaySettings, connection,
                migrations)
            return
        }
        try await CommandContext.run(
            output: output, flywaySettings: flywaySettings, operation: "migrate", connection, migrations
        ) {
            (migrator: Migrator) throws(RunwayError) in
            let result = try await migrator.migrate()
            let schemas = migrator.configuration.schemas
            return CommandOutput(
                json: JSONOutput.migrate(result, schemas: schemas), text: TextOutput.migrate(result), ok: true)
        }
    }
}
