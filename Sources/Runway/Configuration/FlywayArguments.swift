/// Flyway's command-line syntax separated from the rest of `argv`, so `migrate -url=jdbc:... -user=app info` works
/// as `flyway -url=jdbc:... -user=app info` does.
///
/// Flyway settings are single-dash `-key=value` arguments (`-url=...`, `-placeholders.name=...`,
/// `-environments.prod.url=...`), accepted before and after the command words. Every argument of the form
/// `-<key>=<value>`, where the key starts with a letter and holds only letters, digits, `.` and `_`, is taken as a
/// setting; ``Configuration/load(_:logger:)`` rejects keys it does not know, naming them. Runway's own options
/// (`--locations ...`, `-q`, `-v`) never have that form. Everything after a `--` terminator is left alone.
///
/// Flyway's flags are translated for the CLI's own options rather than reported separately, so the argument parser
/// needs no Flyway knowledge: they are removed from their place and appended at the end of ``remaining`` (before a
/// `--`), where the subcommand's options are accepted whatever the command word:
///
/// | Flyway | becomes |
/// |---|---|
/// | `-X` (debug logging) | `--verbose` |
/// | `-q` (quiet) | `--quiet` |
/// | `-outputType=json` | `--output json` (any case; an empty value is ignored; anything else is an error) |
/// | `-n` (never prompt), `-skipCheckForUpdate` | dropped: Runway never prompts nor checks for updates |
package struct FlywayArguments: Sendable {
    /// The `-key=value` settings in the order given (key without the dash), for ``ConfigurationSources/arguments``.
    package var settings: [(String, String)]
    /// The other arguments, Flyway's flags translated (see the type's documentation), for the argument parser.
    package var remaining: [String]
    /// Whether `-X` was given.
    package var debug: Bool
    /// Whether `-q` was given.
    package var quiet: Bool
    /// Whether `-outputType=json` was given.
    package var jsonOutput: Bool

    /// Splits `arguments` (argv without the program name).
    ///
    /// - Throws: ``RunwayError`` `.configuration` for an `-outputType` other than `json`, with Flyway's message.
    package init(splitting arguments: [String]) throws(RunwayError) {
        settings = []
        remaining = []
        debug = false
        quiet = false
        jsonOutput = false
        var terminator: [String] = []
        for (index, argument) in arguments.enumerated() {
            if argument == "--" {
                terminator = Array(arguments[index...])
                break
            }
            switch argument {
            case "-X":
                debug = true
                continue
            case "-q":
                quiet = true
                continue
            case "-n", "-skipCheckForUpdate":
                continue
            default:
                break
            }
            guard let (key, value) = Self.setting(argument) else {
                remaining.append(argument)
                continue
            }
            if key == "outputType" {
                switch value.lowercased() {
                case "json": jsonOutput = true
                case "": break
                default: throw .configuration("'\(value)' is an invalid value for the -outputType option. Use 'json'.")
                }
                continue
            }
            settings.append((key, value))
        }
        if debug { remaining.append("--verbose") }
        if quiet { remaining.append("--quiet") }
        if jsonOutput { remaining += ["--output", "json"] }
        remaining += terminator
    }

    /// `(key, value)` when `argument` is `-<key>=<value>` with a Flyway-shaped key.
    static func setting(_ argument: String) -> (String, String)? {
        guard argument.hasPrefix("-"), !argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else {
            return nil
        }
        let key = argument[argument.index(after: argument.startIndex)..<equals]
        guard let first = key.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII,
            key.unicodeScalars.allSatisfy({
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                        || $0 == "." || $0 == "_")
            })
        else { return nil }
        return (String(key), String(argument[argument.index(after: equals)...]))
    }
}
