import ArgumentParser
import Runway

/// `migrate undo`: revert the latest applied versioned migration (or down to `--target`) with its undo file.
struct UndoCommand: RunwayCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Revert the latest applied migration (or every one down to --target) with its U file (Teams).",
        discussion: """
            Runs U<version>__<description>.sql for the latest applied versioned migration, or with --target for \
            every applied one at or above that version (latest applied first), each in one transaction with its \
            UNDO_SQL history row. Refused, with nothing changed, for a failed or non-transactional migration, a \
            missing undo file, an undo file that cannot run in a transaction, or a failed validation (an edited \
            undo file). Flyway Community refuses a history holding UNDO_SQL rows: see docs/undo.md.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func run(flywaySettings: [(String, String)]) async throws {
        try await CommandContext.run(
            output: output, flywaySettings: flywaySettings, operation: "undo", connection, migrations
        ) {
            (migrator: Migrator) throws(RunwayError) in
            let result = try await migrator.undo()
            let schemas = migrator.configuration.schemas
            return CommandOutput(
                json: JSONOutput.undo(result, schemas: schemas), text: TextOutput.undo(result), ok: true)
        }
    }
}
