import ArgumentParser
#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif
import Logging
import Runway

/// `migrate`: Flyway-compatible PostgreSQL migrations.
@main
struct Main: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Flyway-compatible PostgreSQL migrations through libpq.",
        discussion: """
            Connection settings come from DB_HOST, DB_PORT, DB_NAME, DB_USERNAME, DB_PASSWORD (or DB_PASSWORD_FILE), \
            DB_SSLMODE, DB_SSLROOTCERT, DB_SSLCERT, DB_SSLKEY, DB_SSLPASSWORD and DB_APPLICATION_NAME, then libpq's \
            PG* variables; flags override both. A password given on the command line (-password=, a url) is hidden \
            from ps once the arguments are parsed.

            Exit codes: 0 success; 1 a migration or validation failed; 2 bad usage or configuration; 3 the \
            database could not be reached (worth retrying); 4 the migration lock was not acquired in time; 5 wait \
            timed out; 6 the server refused the login (wrong password, unknown role: not worth retrying); 130/143 \
            stopped by SIGINT/SIGTERM.
            """,
        version: RunwayVersion.current,
        subcommands: [
            MigrateCommand.self, InfoCommand.self, ValidateCommand.self, BaselineCommand.self, RepairCommand.self,
            CleanCommand.self, WaitCommand.self, LintCommand.self, UndoCommand.self, CheckCommand.self,
        ],
        defaultSubcommand: MigrateCommand.self
    )

    /// Parses argv (Flyway's `-key=value` settings first, then Runway's own flags), runs the command and maps every
    /// failure onto the documented exit codes.
    static func main() async {
        // CommandLine.arguments is read (and copied) first; only then are the secrets in argv overwritten.
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--version"] {
            // Answered before the argument parser builds its command tree: a version probe costs a process start.
            print(RunwayVersion.current)
            exitProcess(0)
        }
        let secrets = ProcessTitle.hideSecrets()
        let flyway: FlywayArguments
        do {
            flyway = try FlywayArguments(splitting: arguments)
        } catch {
            reportUsageError("ERROR: ", error.description, arguments: arguments)
            exitProcess(ExitStatus.usage)
        }
        do {
            var command = try parseAsRoot(flyway.remaining)
            if let runway = command as? any RunwayCommand {
                try await runway.run(flywaySettings: flyway.settings)
            } else {
                try command.run()  // the root command without a subcommand: help
            }
        } catch let exit as ExitCode {
            exitProcess(exit.rawValue)
        } catch {
            if exitCode(for: error) == .success { self.exit(withError: error) }  // --help, --version
            // The argument parser quotes arguments it rejects: never let it print a password.
            let message = ProcessTitle.scrub(fullMessage(for: error), secrets: secrets)
            reportUsageError("", message, arguments: arguments)
            exitProcess(ExitStatus.usage)
        }
        exitProcess(0)
    }

    /// Writes an error found while parsing the arguments, before logging is set up: as a JSON log line when the
    /// arguments ask for `--log-format json` (so that every stderr line is JSON), as `prefix` + `message` otherwise.
    static func reportUsageError(_ prefix: String, _ message: String, arguments: [String]) {
        let json =
            arguments.contains("--log-format=json")
            || zip(arguments, arguments.dropFirst()).contains { $0 == "--log-format" && $1 == "json" }
        guard json else {
            StandardStream.error.write(prefix + message + "\n")
            return
        }
        CLILogHandler.write(
            level: .error, message: message,
            metadata: ["code": "\(RunwayError.Code.configuration.rawValue)", "operation": "parse arguments"], json: true
        )
    }
}

/// A subcommand. `Main` runs it with the Flyway-style `-key=value` settings it split off the command line before
/// ArgumentParser saw the rest.
protocol RunwayCommand: AsyncParsableCommand {
    func run(flywaySettings: [(String, String)]) async throws
}

extension RunwayCommand {
    /// ArgumentParser's entry point, unused: `Main.main()` parses the arguments itself and calls
    /// ``run(flywaySettings:)`` with the settings it split off.
    func run() async throws { try await run(flywaySettings: []) }
}

/// The documented exit codes.
enum ExitStatus {
    static let failed: Int32 = 1
    static let usage: Int32 = 2
    static let unreachable: Int32 = 3
    static let lockTimeout: Int32 = 4
    static let timeout: Int32 = 5
    static let loginRefused: Int32 = 6

    static func code(for error: RunwayError) -> Int32 {
        switch error.code {
        case .configuration: usage
        case .connection: unreachable
        case .authentication: loginRefused
        case .lockTimeout: lockTimeout
        case .timeout: timeout
        case .cancelled: 143
        default: failed
        }
    }
}

// MARK: - Secrets in argv

/// Hides passwords given on the command line from other users of the machine.
///
/// `ps` and `/proc/<pid>/cmdline` show a process's argv memory as it is now, so after `CommandLine.arguments` has
/// copied the arguments, every secret in argv is overwritten in place with `*` (same length, so the layout `ps`
/// reads is unchanged). Secrets are: the value of a Flyway `-<key>=` setting whose key ends in `password`
/// (`-password=`, `-jdbcProperties.sslpassword=`, `-environments.prod.password=`), the password in a URI's
/// `user:password@`, and `password=`/`sslpassword=` values in a URI query or a conninfo string (`--url`, `-url=`).
/// Until then, the password is visible for the few milliseconds the process takes to start: prefer
/// `DB_PASSWORD_FILE` or `DB_PASSWORD`.
enum ProcessTitle {
    /// Overwrites the secrets in the process's argv and returns them (to scrub messages that quote arguments).
    static func hideSecrets() -> [String] {
        var secrets: [String] = []
        for index in 1..<max(1, Int(CommandLine.argc)) {
            guard let argument = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeMutableRawPointer(argument).assumingMemoryBound(to: UInt8.self)
            let buffer = UnsafeMutableBufferPointer(start: bytes, count: strlen(argument))
            for range in secretRanges(in: Array(buffer)) where !range.isEmpty {
                secrets.append(String(decoding: buffer[range], as: UTF8.self))
                for offset in range { buffer[offset] = UInt8(ascii: "*") }
            }
        }
        return secrets.sorted { $0.count > $1.count }
    }

    /// Replaces every secret in `message` with `********`.
    static func scrub(_ message: String, secrets: [String]) -> String {
        secrets.reduce(message) { $1.isEmpty ? $0 : $0.replacingEvery($1, with: "********") }
    }

    /// The byte ranges of `argument` that hold secrets.
    static func secretRanges(in argument: [UInt8]) -> [Range<Int>] {
        if let equals = flywayPasswordSetting(argument) { return [(equals + 1)..<argument.count] }
        var ranges: [Range<Int>] = []
        let scheme = find("://", in: argument, from: 0)
        if let scheme {
            // libpq's URI reading: the user info ends at the first '@' before any '/'.
            let authority = scheme + 3
            var end = authority
            while end < argument.count, argument[end] != ascii("@"), argument[end] != ascii("/") { end += 1 }
            if end < argument.count, argument[end] == ascii("@"),
                let colon = argument[authority..<end].firstIndex(of: ascii(":"))
            {
                ranges.append((colon + 1)..<end)
            }
        }
        // password= and sslpassword= in a URI query (up to '&') or a conninfo string (up to a space, or quoted).
        let lowered = argument.map { (65...90).contains($0) ? $0 + 32 : $0 }
        var searchFrom = 0
        while let found = find("password", in: lowered, from: searchFrom) {
            searchFrom = found + 1
            var start = found + "password".utf8.count
            while start < argument.count, argument[start] == ascii(" ") { start += 1 }
            guard start < argument.count, argument[start] == ascii("=") else { continue }
            start += 1
            var end = start
            if scheme != nil {
                while end < argument.count, argument[end] != ascii("&"), argument[end] != ascii("#") { end += 1 }
            } else {
                while start < argument.count, argument[start] == ascii(" ") { start += 1 }
                end = start
                if end < argument.count, argument[end] == ascii("'") {
                    end += 1
                    while end < argument.count, argument[end] != ascii("'") {
                        end += argument[end] == ascii("\\") ? 2 : 1
                    }
                    end = min(end + 1, argument.count)
                } else {
                    while end < argument.count, !isSpace(argument[end]) { end += 1 }
                }
            }
            ranges.append(start..<end)
            searchFrom = max(end, searchFrom)
        }
        return ranges
    }

    /// The index of `=` when `argument` is a Flyway `-<key>=<value>` setting whose key ends in `password`.
    private static func flywayPasswordSetting(_ argument: [UInt8]) -> Int? {
        guard argument.first == ascii("-"), argument.count > 1, argument[1] != ascii("-"),
            let equals = argument.firstIndex(of: ascii("="))
        else { return nil }
        let key = argument[1..<equals].map { (65...90).contains($0) ? $0 + 32 : $0 }
        let allowed = { (byte: UInt8) in
            (97...122).contains(byte) || (48...57).contains(byte) || byte == ascii(".") || byte == ascii("_")
        }
        guard key.allSatisfy(allowed), key.reversed().starts(with: "password".utf8.reversed()) else { return nil }
        return equals
    }

    private static func ascii(_ character: Unicode.Scalar) -> UInt8 { UInt8(ascii: character) }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == ascii(" ") || byte == ascii("\t") || byte == ascii("\n")
    }

    private static func find(_ needle: String, in haystack: [UInt8], from start: Int) -> Int? {
        let needle = Array(needle.utf8)
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        return (start...(haystack.count - needle.count)).first {
            haystack[$0..<($0 + needle.count)].elementsEqual(needle)
        }
    }
}
