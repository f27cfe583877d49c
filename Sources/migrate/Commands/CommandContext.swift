import ArgumentParser
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Runway

/// A command's result and its two renderings, made only when asked for: `info` with ten thousand migrations should
/// not build the JSON document when it prints the table.
struct CommandOutput: Sendable {
    let json: @Sendable () -> JSONValue
    let text: @Sendable () -> String
    /// `false` makes the command exit with status 1 after printing (validation failed).
    let ok: Bool

    init(
        json: @escaping @Sendable @autoclosure () -> JSONValue, text: @escaping @Sendable @autoclosure () -> String,
        ok: Bool
    ) {
        self.json = json
        self.text = text
        self.ok = ok
    }
}

/// What every subcommand shares: building the configuration, bootstrapping logging once, reporting errors.
struct CommandContext {
    let output: OutputOptions
    let logger: Logger

    /// Bootstraps logging (once per process) from the output options.
    init(output: OutputOptions) {
        self.output = output
        let level = output.logLevel
        let json = output.logFormat == .json
        LoggingSystem.bootstrap { _ in CLILogHandler(logLevel: level, json: json) }
        self.logger = Logger(label: "runway")
    }

    /// Flyway's layers (config files < `FLYWAY_*`/`DB_*` environment < `-key=value` arguments), then Runway's flags.
    func configuration(
        connection: ConnectionOptions, migrations: MigrationOptions, flywaySettings: [(String, String)]
    ) throws(RunwayError) -> Configuration {
        var configuration = try Configuration.load(ConfigurationSources(arguments: flywaySettings), logger: logger)
        try connection.apply(to: &configuration)
        try migrations.apply(to: &configuration)
        return configuration
    }

    /// The shape of every subcommand: build the configuration, run one migrator call (SIGINT/SIGTERM cancel it),
    /// print its result in the chosen format, and map failures onto exit codes.
    /// With `ciFormats`, `--output github|junit` are allowed and `text` must already hold that rendering.
    static func run(
        output: OutputOptions, flywaySettings: [(String, String)], operation: String, ciFormats: Bool = false,
        _ connection: ConnectionOptions,
        _ migrations: MigrationOptions,
        _ body: @escaping @Sendable (Migrator) async throws(RunwayError) -> CommandOutput
    ) async throws {
        let context = CommandContext(output: output)
        if !ciFormats, output.output == .github || output.output == .junit {
            throw context.fail(
                RunwayError(
                    .configuration, "--output \(output.output.rawValue) is only available for validate and lint"),
                operation: operation)
        }
        let rendered: CommandOutput
        var schemas: [String] = []
        do throws(RunwayError) {
            let configuration = try context.configuration(
                connection: connection, migrations: migrations, flywaySettings: flywaySettings)
            schemas = configuration.schemas
            let migrator = Migrator(configuration: configuration, logger: context.logger)
            let reporter = context.reporter(operation: operation)
            rendered = try await SignalCancellation.run(report: reporter.report) { () async throws(RunwayError) in
                try await body(migrator)
            }
        } catch {
            throw context.fail(error, operation: operation, schemas: schemas)
        }
        if output.output == .json {
            context.emit(rendered.json().pretty)
        } else if !output.quiet || output.output != .text {
            context.emit(rendered.text())
        } else if !rendered.ok {
            // `-q`: nothing on success, as Flyway; a failed check still says why, on stderr.
            StandardStream.error.write(rendered.text() + "\n")
        }
        if !rendered.ok { throw ExitCode(ExitStatus.failed) }
    }

    /// Writes a result to stdout.
    func emit(_ text: String) {
        StandardStream.output.write(text + "\n")
    }

    /// Reports an error (stderr, and a JSON error object on stdout with `--output json`) and returns the exit code
    /// to throw.
    func fail(_ error: RunwayError, operation: String, schemas: [String] = []) -> ExitCode {
        if output.output == .json {
            emit(JSONOutput.error(error, operation: operation, schemas: schemas).pretty)
        }
        reporter(operation: operation).report(error)
        return ExitCode(ExitStatus.code(for: error))
    }

    func reporter(operation: String) -> FailureReporter {
        FailureReporter(logger: logger, json: output.logFormat == .json, operation: operation)
    }
}

/// Writes a failure to stderr in the log format: with `--log-format json` one JSON object holding every field of
/// the error (code, message, file, line, sqlstate, detail, hint, statement, position); in text a log line followed
/// by Flyway's multi-line block.
struct FailureReporter: Sendable {
    let logger: Logger
    let json: Bool
    let operation: String

    @Sendable func report(_ error: RunwayError) {
        guard json else {
            logger.error("\(operation) failed", metadata: ["code": "\(error.code.rawValue)"])
            StandardStream.error.write("ERROR: " + error.description + "\n")
            return
        }
        logger.error("\(error.message)", metadata: Self.metadata(error, operation: operation))
    }

    /// The error's fields as log metadata; absent fields are left out.
    static func metadata(_ error: RunwayError, operation: String) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["operation": "\(operation)", "code": "\(error.code.rawValue)"]
        let text: [(String, String?)] = [
            ("file", error.file), ("sqlstate", error.sqlState?.rawValue), ("detail", error.detail),
            ("hint", error.hint), ("statement", error.statement),
        ]
        for case (let key, let value?) in text { metadata[key] = "\(value)" }
        if let line = error.line { metadata["line"] = .stringConvertible(line) }
        if let position = error.position { metadata["position"] = .stringConvertible(position) }
        return metadata
    }
}
