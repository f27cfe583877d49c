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
        let context = CommandContext(output: output)
        do {
            let configuration = try context.configuration(connection: connection, migrations: migrations)
            let migrator = Migrator(configuration: configuration, logger: context.logger)
            let result = try await SignalCancellation.run { () async throws(RunwayError) in
                try await migrator.validate()
            }
            switch output.output {
            case .json: context.emit(JSONOutput.validate(result).pretty)
            case .text: context.emit(TextOutput.validate(result))
            }
            if !result.isValid { throw ExitCode(ExitStatus.failed) }
        } catch let error as RunwayError {
            throw context.fail(error, operation: "validate")
        }
    }
}
