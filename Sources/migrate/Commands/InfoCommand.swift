import ArgumentParser
import Runway

/// `migrate info`: show every migration and its state.
struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Show every migration with its Flyway state; changes nothing.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let context = CommandContext(output: output)
        do {
            let configuration = try context.configuration(connection: connection, migrations: migrations)
            let migrator = Migrator(configuration: configuration, logger: context.logger)
            let result = try await SignalCancellation.run { () async throws(RunwayError) in try await migrator.info() }
            switch output.output {
            case .json: context.emit(JSONOutput.info(result).pretty)
            case .text: context.emit(TextOutput.info(result))
            }
        } catch {
            throw context.fail(error, operation: "info")
        }
    }
}
