import ArgumentParser
import Runway

/// `migrate baseline`: take over an existing database at a version.
struct BaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Create the history table with a baseline row (baselineVersion) for an existing database.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await CommandContext.run(output: output, operation: "baseline", connection, migrations) {
            (migrator: Migrator) throws(RunwayError) in
            let result = try await migrator.baseline()
            return CommandOutput(json: JSONOutput.baseline(result), text: TextOutput.baseline(result), ok: true)
        }
    }
}

/// `migrate repair`: fix the history table after a failure or an intended edit.
struct RepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Remove failed rows, mark missing migrations deleted, realign checksums with the files.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await CommandContext.run(output: output, operation: "repair", connection, migrations) {
            (migrator: Migrator) throws(RunwayError) in
            let result = try await migrator.repair()
            return CommandOutput(json: JSONOutput.repair(result), text: TextOutput.repair(result), ok: true)
        }
    }
}

/// `migrate clean`: drop everything in the managed schemas (refused unless cleanDisabled=false).
struct CleanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Drop every object in the managed schemas. Refused unless --clean-disabled false.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await CommandContext.run(output: output, operation: "clean", connection, migrations) {
            (migrator: Migrator) throws(RunwayError) in
            let result = try await migrator.clean()
            return CommandOutput(json: JSONOutput.clean(result), text: TextOutput.clean(result), ok: true)
        }
    }
}
