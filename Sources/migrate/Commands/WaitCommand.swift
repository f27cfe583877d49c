import ArgumentParser
import Runway

/// `migrate wait`: block until the schema is migrated (for init containers).
struct WaitCommand: RunwayCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: """
            Wait until the database is reachable, every migration here is applied and the history passes migrate's \
            validation (exit 5 on timeout).
            """)

    @Option(help: "Give up after this many seconds.")
    var timeout: Double = 300

    @Option(help: "Only wait until the schema is at least at this version.")
    var until: String?

    @Option(help: "Seconds between checks.")
    var interval: Double = 2

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Fleets") var fleet: FleetArguments

    func run(flywaySettings: [(String, String)]) async throws {
        let until = try self.until.map { text throws(RunwayError) in
            do { return try MigrationVersion(text) } catch {
                throw RunwayError(.configuration, "--until '\(text)' is not a valid version")
            }
        }
        let timeout = timeout
        let interval = interval
        if fleet.isActive {
            guard until == nil else {
                throw RunwayError(.configuration, "--until applies to one schema: leave it out with the fleet flags")
            }
            guard timeout > 0, interval > 0 else {
                throw RunwayError(.configuration, "--timeout and --interval must be positive")
            }
            try await FleetRun.run(
                .wait(timeout: timeout, interval: interval), name: "wait", fleet: fleet, output: output,
                flywaySettings: flywaySettings, connection, migrations)
            return
        }
        try await CommandContext.run(
            output: output, flywaySettings: flywaySettings, operation: "wait", connection, migrations
        ) {
            (migrator: Migrator) throws(RunwayError) in
            guard timeout > 0, interval > 0 else {
                throw RunwayError(.configuration, "--timeout and --interval must be positive")
            }
            let result = try await migrator.waitUntilMigrated(timeout: timeout, until: until, interval: interval)
            let version = result.schemaVersion ?? "<< Empty Schema >>"
            return CommandOutput(
                json: .object([
                    ("operation", .string("wait")), ("success", .bool(true)),
                    ("schemaVersion", .optional(result.schemaVersion)),
                    ("attempts", .int(result.attempts)),
                ]),
                text: "Schema is migrated (version \(version))", ok: true)
        }
    }
}
