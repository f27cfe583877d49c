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
        if output.output == .json, migrations.dryRun || migrations.dryRunOutput == "-" {
            throw ValidationError("--output json and a dry run on stdout would mix: write the dry run to a file")
        }
        try await CommandContext.run(
            output: output, flywaySettings: flywaySettings, operation: "migrate", connection, migrations
        ) {
            (migrator: Migrator) throws(RunwayError) in
            if let path = migrator.configuration.dryRunOutput {
                let sink = try ScriptSink(path: path)
                let result = try await migrator.dryRun { (text) throws(RunwayError) in try sink.write(text) }
                let count = result.migrations.count
                let summary =
                    "Dry run: \(count) migration\(count == 1 ? "" : "s") would be applied; the SQL is in \(sink.name)"
                return CommandOutput(
                    json: .object([
                        ("operation", .string("migrate")), ("dryRun", .bool(true)), ("success", .bool(true)),
                        ("dryRunOutput", .string(sink.name)),
                        ("initialSchemaVersion", .optional(result.initialSchemaVersion)),
                        ("migrations", .array(result.migrations.map { .string($0.script) })),
                    ]),
                    // With the script on stdout, the summary goes to the log only.
                    text: path == "-" ? "" : summary, ok: true)
            }
            let result = try await migrator.migrate()
            let schemas = migrator.configuration.schemas
            return CommandOutput(
                json: JSONOutput.migrate(result, schemas: schemas), text: TextOutput.migrate(result), ok: true)
        }
    }
}
