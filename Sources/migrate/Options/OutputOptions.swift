import ArgumentParser
import Logging

/// How results and logs are written: results to stdout, logs to stderr.
struct OutputOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, github, junit
    }

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "Result format on stdout: text or json; validate and lint also github (annotations) and junit.")
    var output: Format = .text

    @Option(help: "Log format on stderr: text or json (one object per line, for log pipelines).")
    var logFormat: LogFormat = .text

    @Flag(name: .shortAndLong, help: "Log debug details.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Log warnings and errors only.")
    var quiet = false

    var logLevel: Logger.Level { verbose ? .debug : (quiet ? .warning : .info) }
}
