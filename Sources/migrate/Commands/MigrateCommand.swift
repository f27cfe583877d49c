import ArgumentParser
import Runway

/// `migrate migrate`: apply pending migrations.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending migrations under Flyway's advisory lock.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let context = CommandContext(output: output)
        do {
            let configuration = try context.configuration(connection: connection, migrations: migrations)
            let migrator = Migrator(configuration: configuration, logger: context.logger)
            let result = try await SignalCancellation.run { () async throws(RunwayError) in try await migrator.migrate() }
            switch output.output {
            case .json: context.emit(JSONOutput.migrate(result).pretty)
            case .text: context.emit(TextOutput.migrate(result))
            }
        } catch {
            throw context.fail(error, operation: "migrate")
        }
    }
}
