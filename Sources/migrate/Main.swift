import ArgumentParser
import Foundation
import Runway

/// `migrate`: Flyway-compatible PostgreSQL migrations.
@main
struct Main: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Flyway-compatible PostgreSQL migrations through libpq.",
        discussion: """
            Connection settings come from DB_HOST, DB_PORT, DB_NAME, DB_USERNAME, DB_PASSWORD (or DB_PASSWORD_FILE) \
            and DB_SSLMODE, then libpq's PG* variables; flags override both.

            Exit codes: 0 success; 1 a migration or validation failed; 2 bad usage or configuration; 3 the \
            database could not be reached; 4 the migration lock was not acquired in time; 5 wait timed out; 130/143 stopped by \
            SIGINT/SIGTERM.
            """,
        version: RunwayVersion.current,
        subcommands: [
            MigrateCommand.self, InfoCommand.self, ValidateCommand.self, BaselineCommand.self, RepairCommand.self,
            CleanCommand.self, WaitCommand.self, LintCommand.self,
        ],
        defaultSubcommand: MigrateCommand.self
    )

    /// Parses argv (Flyway's `-key=value` settings first, then Runway's own flags), runs the command and maps every
    /// failure onto the documented exit codes.
    static func main() async {
        let flyway: FlywayArguments
        do {
            flyway = try FlywayArguments(splitting: Array(CommandLine.arguments.dropFirst()))
        } catch {
            FileHandle.standardError.write(Data(("ERROR: " + error.description + "\n").utf8))
            Foundation.exit(ExitStatus.usage)
        }
        FlywaySettingsArguments.settings = flyway.settings
        do {
            var command = try parseAsRoot(flyway.remaining)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            if exitCode(for: error) == .success { self.exit(withError: error) }  // --help, --version
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(ExitStatus.usage)
        }
        Foundation.exit(0)
    }
}

/// The Flyway-style `-key=value` settings from the command line, split off before ArgumentParser runs.
enum FlywaySettingsArguments {
    nonisolated(unsafe) static var settings: [(String, String)] = []
}

/// The documented exit codes.
enum ExitStatus {
    static let failed: Int32 = 1
    static let usage: Int32 = 2
    static let unreachable: Int32 = 3
    static let lockTimeout: Int32 = 4
    static let timeout: Int32 = 5

    static func code(for error: RunwayError) -> Int32 {
        switch error.code {
        case .configuration: usage
        case .connection: unreachable
        case .lockTimeout: lockTimeout
        case .timeout: timeout
        case .cancelled: 143
        default: failed
        }
    }
}
