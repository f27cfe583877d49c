#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import TOMLKit

// Flyway's configuration files (flyway-compat.md §12.1): legacy `.conf` files (Java properties, keys `flyway.*`) and
// TOML files (`[flyway]`, `[environments.<name>]`), where they are looked for, and which of the two formats is used.

/// The two configuration file formats; one run uses one of them.
enum ConfigFileFormat: String, Sendable {
    /// `flyway.toml`, `flyway.user.toml` (Flyway 10+).
    case toml
    /// `flyway.conf` (Java properties, `flyway.<key>=value`).
    case conf
}

/// The files one run loads, in order (later files override earlier ones), and their format.
struct ConfigFileSelection: Sendable, Equatable {
    /// The format, chosen by Flyway's mode selection.
    var format: ConfigFileFormat
    /// Existing files, absolute paths, lowest precedence first.
    var files: [String]
}

/// The contents of one TOML configuration file.
package struct TOMLConfiguration: Sendable, Equatable {
    /// `[flyway]` flattened to dotted keys (`locations`, `placeholders.name`, `postgresql.transactional.lock`).
    var flyway: [RawSetting] = []
    /// `[environments.<name>]`.
    var environments: [String: TOMLEnvironment] = [:]
    /// Root keys and tables Runway does not read (Flyway Desktop's `id`, `name`, `[flywayDesktop]`...).
    var ignoredRootKeys: [String] = []
}

/// One `[environments.<name>]` table.
struct TOMLEnvironment: Sendable, Equatable {
    /// Connection fields: `url`, `user`, `password`, `schemas`, `connectRetries`, `connectRetriesInterval`,
    /// `initSql`, `jdbcProperties.<name>`.
    var fields: [RawSetting] = []
    /// `[environments.<name>.flyway]`: `[flyway]` settings that apply when this environment is selected.
    var flyway: [RawSetting] = []
}

package enum ConfigFiles {
    // MARK: - Locations and mode selection

    /// `~/flyway.conf`, `./flyway.conf`, `<workingDirectory>/flyway.conf` (Flyway's `<installDir>/conf` is skipped:
    /// Runway has no installation folder).
    static func defaultConfLocations(home: String, currentDirectory: String, workingDirectory: String?) -> [String] {
        unique([home, currentDirectory, workingDirectory].compactMap { $0 }.map { FilePaths.join($0, "flyway.conf") })
    }

    /// `flyway.toml` then `flyway.user.toml`, in `~`, `.` and `<workingDirectory>`, later winning.
    static func defaultTOMLLocations(home: String, currentDirectory: String, workingDirectory: String?) -> [String] {
        unique(
            [home, currentDirectory, workingDirectory].compactMap { $0 }.flatMap {
                [FilePaths.join($0, "flyway.toml"), FilePaths.join($0, "flyway.user.toml")]
            })
    }

    /// Flyway's mode selection: explicit files (`FLYWAY_CONFIG_FILES` then `-configFiles`) decide the format when
    /// there are any; otherwise a TOML file in a default location wins over a `.conf` file; with no file at all the
    /// TOML mode applies with defaults.
    ///
    /// - Parameters:
    ///   - explicit: the listed files, absolute, in load order, each with the setting that listed it.
    /// - Throws: ``RunwayError`` `.configuration` when TOML and `.conf` files are listed together, a listed file
    ///   does not exist, or `-` (standard input) is listed.
    static func select(
        explicit: [(path: String, source: SettingSource)], home: String, currentDirectory: String,
        workingDirectory: String?, fileExists: (String) -> Bool = { FileManager.default.isReadableFile(atPath: $0) }
    ) throws(RunwayError) -> ConfigFileSelection {
        for (path, source) in explicit {
            if path.split(separator: "/").last == "-" {
                throw .configuration(
                    "Reading configuration from standard input (configFiles '-') is not supported by Runway: "
                        + "list a file instead (set by \(source))")
            }
            guard fileExists(path) else {
                throw .configuration("Unable to load config file: \(path) (set by \(source))")
            }
        }
        let tomlFiles = explicit.map(\.path).filter { $0.hasSuffix(".toml") }
        let confFiles = explicit.map(\.path).filter { !$0.hasSuffix(".toml") }
        if !tomlFiles.isEmpty, !confFiles.isEmpty {
            throw .configuration(
                "Using both TOML configuration and CONF configuration is not supported. Please remove the CONF "
                    + "configuration files. TOML files: \(tomlFiles.joined(separator: ", ")). CONF files: "
                    + "\(confFiles.joined(separator: ", "))")
        }
        let defaultTOML = defaultTOMLLocations(
            home: home, currentDirectory: currentDirectory, workingDirectory: workingDirectory
        ).filter(fileExists)
        let defaultConf = defaultConfLocations(
            home: home, currentDirectory: currentDirectory, workingDirectory: workingDirectory
        ).filter(fileExists)
        if !tomlFiles.isEmpty { return ConfigFileSelection(format: .toml, files: unique(defaultTOML + tomlFiles)) }
        if !confFiles.isEmpty { return ConfigFileSelection(format: .conf, files: unique(defaultConf + confFiles)) }
        if !defaultTOML.isEmpty { return ConfigFileSelection(format: .toml, files: defaultTOML) }
        if !defaultConf.isEmpty { return ConfigFileSelection(format: .conf, files: defaultConf) }
        return ConfigFileSelection(format: .toml, files: [])
    }

    private static func unique(_ paths: [String]) -> [String] {
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }

    // MARK: - Reading

    /// The text of a `.conf` file in `encoding` (Flyway's `configFileEncoding`, default UTF-8); a UTF-8 BOM is
    /// dropped.
    static func read(_ path: String, encoding name: String, source: SettingSource) throws(RunwayError) -> String {
        guard let encoding = encoding(named: name) else {
            throw .configuration(
                "Invalid value for configFileEncoding: \(name) (supported: UTF-8, UTF-16, UTF-16LE, UTF-16BE, "
                    + "ISO-8859-1, US-ASCII, windows-1252) (set by \(source))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("Unable to load config file: \(path)")
        }
        guard var text = String(data: data, encoding: encoding) else {
            throw .configuration("Unable to load config file: \(path) is not valid \(name) text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text
    }

    /// Java charset names Flyway users write, case-insensitively.
    static func encoding(named name: String) -> String.Encoding? {
        switch name.trimmingSpaces().uppercased().replacingEvery("_", with: "-") {
        case "UTF-8", "UTF8": .utf8
        case "UTF-16", "UTF16": .utf16
        case "UTF-16LE": .utf16LittleEndian
        case "UTF-16BE": .utf16BigEndian
        case "ISO-8859-1", "ISO8859-1", "LATIN1", "ISO-LATIN-1": .isoLatin1
        case "US-ASCII", "ASCII": .ascii
        case "WINDOWS-1252", "CP1252": .windowsCP1252
        default: nil
        }
    }

    // MARK: - Legacy .conf files

    /// Parses a `.conf` file the way Flyway's `ConfigUtils.loadConfigurationFromString` does.
    ///
    /// Java-properties syntax: `key=value`, `key: value` or `key value`; lines starting with `#` or `!` are
    /// comments; every line is trimmed. A trailing `\` continues the value on the next line unless that line is
    /// empty or is itself a `flyway.` property (`flyway.x=...`); otherwise the backslash is kept. Every other
    /// backslash is literal (Flyway doubles them before handing the text to `java.util.Properties`, so
    /// `C:\migrations` stays as written). `${NAME}` (letters, digits, `_`) is replaced by the environment
    /// variable's value, or removed when it is unset. Only `flyway.*` keys are returned, without the prefix; others
    /// are ignored, as Flyway ignores them.
    package static func parseConf(_ text: String, path: String, environment: [String: String]) -> [RawSetting] {
        let lines = text.replacingEvery("\r\n", with: "\n").replacingEvery("\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var settings: [RawSetting] = []
        var index = 0
        while index < lines.count {
            let lineNumber = index + 1
            var line = javaTrim(lines[index])
            index += 1
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            var logical = ""
            while line.hasSuffix("\\"), index < lines.count, continues(into: lines[index]) {
                logical += line.dropLast()
                line = javaTrim(lines[index])
                index += 1
            }
            logical += line
            let (rawKey, rawValue) = splitProperty(logical)
            let key = expand(rawKey, environment: environment)
            guard key.hasPrefix("flyway."), key.count > "flyway.".count else { continue }
            settings.append(
                RawSetting(
                    key: String(key.dropFirst("flyway.".count)),
                    value: .text(expand(rawValue, environment: environment)),
                    source: .file(path, line: lineNumber)))
        }
        return settings
    }

    /// Flyway's look-ahead: a line ending in `\` continues unless the next line is empty or a `flyway.` property.
    private static func continues(into next: String) -> Bool {
        if next.isEmpty { return false }
        return !(javaTrim(next).hasPrefix("flyway.") && next.contains("="))
    }

    /// `String.trim()` in Java: removes every character up to U+0020 from both ends.
    private static func javaTrim(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { $0.value > 0x20 }),
            let last = scalars.lastIndex(where: { $0.value > 0x20 })
        else { return "" }
        return String(scalars[first...last])
    }

    /// `java.util.Properties` key/value split: the key ends at the first `=`, `:` or whitespace; then whitespace,
    /// at most one `=` or `:`, and whitespace are skipped.
    private static func splitProperty(_ line: String) -> (String, String) {
        let separators: Set<Character> = ["=", ":"]
        let blanks: Set<Character> = [" ", "\t", "\u{0C}"]
        guard let end = line.firstIndex(where: { separators.contains($0) || blanks.contains($0) }) else {
            return (line, "")
        }
        var rest = line[end...].drop(while: { blanks.contains($0) })
        if let first = rest.first, separators.contains(first) { rest = rest.dropFirst() }
        return (String(line[..<end]), String(rest.drop(while: { blanks.contains($0) })))
    }

    /// Replaces `${NAME}` (`[A-Za-z0-9_]+`) with the variable's value, or with nothing when it is unset.
    static func expand(_ text: String, environment: [String: String]) -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.firstLiteralRange(of: "${") {
            result += rest[..<start.lowerBound]
            let afterPrefix = rest[start.upperBound...]
            if let close = afterPrefix.firstIndex(of: "}") {
                let name = afterPrefix[..<close]
                if !name.isEmpty, name.unicodeScalars.allSatisfy({ isVariableCharacter($0) }) {
                    result += environment[String(name)] ?? ""
                    rest = afterPrefix[afterPrefix.index(after: close)...]
                    continue
                }
            }
            result += "${"
            rest = afterPrefix
        }
        return result + rest
    }

    private static func isVariableCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
    }

    // MARK: - TOML files

    /// Environment fields Runway reads from `[environments.<name>]`.
    static let environmentFields: Set<String> = [
        "url", "user", "password", "schemas", "connectRetries", "connectRetriesInterval", "initSql",
    ]

    /// Environment fields accepted and ignored: JDBC driver class, Java jars, Redgate resolvers and provisioners.
    static let ignoredEnvironmentFields: Set<String> = [
        "driver", "jarDirs", "resolvers", "provisioner", "displayName", "token",
    ]

    /// Parses a TOML configuration file.
    ///
    /// `[flyway]` is flattened to dotted keys (`[flyway.placeholders] a = "1"` → `placeholders.a`,
    /// `[flyway.postgresql] transactional.lock = false` → `postgresql.transactional.lock`); arrays stay lists;
    /// booleans and numbers become their text. Other root keys and tables are reported in
    /// ``TOMLConfiguration/ignoredRootKeys``.
    ///
    /// - Throws: ``RunwayError`` `.configuration` naming the file, line and column of a syntax error, or the key of a
    ///   value of the wrong shape or an unknown environment field.
    package static func parseTOML(_ text: String, path: String) throws(RunwayError) -> TOMLConfiguration {
        if let problem = TOMLPreflight.firstProblem(in: text) {
            throw .configuration(
                "Error parsing config file at [line \(problem.line), column \(problem.column)]: \(problem.message) "
                    + "in \(path)")
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .configuration(
                "Error parsing config file at [line \(error.source.begin.line), column \(error.source.begin.column)]: "
                    + "\(error.description) in \(path)")
        } catch {
            throw .configuration("Error parsing config file \(path): \(error)")
        }
        let source = SettingSource.file(path, line: nil)
        var result = TOMLConfiguration()
        for key in root.keys.sorted() {
            guard let value = root[key] else { continue }
            switch key {
            case "flyway":
                guard let table = value.table else {
                    throw .configuration("flyway must be a table ([flyway]) in \(path)")
                }
                result.flyway = try flatten(table, prefix: "", name: "flyway", source: source)
            case "environments":
                guard let table = value.table else {
                    throw .configuration("environments must be a table ([environments.<name>]) in \(path)")
                }
                for name in table.keys.sorted() {
                    guard let environment = table[name]?.table else {
                        throw .configuration(
                            "environments.\(name) must be a table ([environments.\(name)]) in \(path)")
                    }
                    result.environments[name] = try parseEnvironment(environment, name: name, source: source)
                }
            default:
                result.ignoredRootKeys.append(key)
            }
        }
        return result
    }

    private static func parseEnvironment(
        _ table: TOMLTable, name: String, source: SettingSource
    ) throws(RunwayError) -> TOMLEnvironment {
        var environment = TOMLEnvironment()
        for key in table.keys.sorted() {
            guard let value = table[key] else { continue }
            let qualified = "environments.\(name).\(key)"
            if key == "flyway" {
                guard let overrides = value.table else {
                    throw .configuration("\(qualified) must be a table ([\(qualified)]) (set by \(source))")
                }
                environment.flyway = try flatten(overrides, prefix: "", name: qualified, source: source)
            } else if key == "jdbcProperties" {
                guard let properties = value.table else {
                    throw .configuration("\(qualified) must be a table ([\(qualified)]) (set by \(source))")
                }
                environment.fields += try flatten(
                    properties, prefix: "jdbcProperties.", name: qualified, source: source)
            } else if environmentFields.contains(key) {
                environment.fields.append(
                    RawSetting(
                        key: key, value: try settingValue(value, name: qualified, source: source), source: source))
            } else if !ignoredEnvironmentFields.contains(key) {
                throw .configuration("Unknown configuration property: \(qualified) (set by \(source))")
            }
        }
        return environment
    }

    /// Flattens nested tables into dotted keys.
    private static func flatten(
        _ table: TOMLTable, prefix: String, name: String, source: SettingSource
    ) throws(RunwayError) -> [RawSetting] {
        var settings: [RawSetting] = []
        for key in table.keys.sorted() {
            guard let value = table[key] else { continue }
            if let nested = value.table {
                settings += try flatten(nested, prefix: prefix + key + ".", name: name + "." + key, source: source)
            } else {
                let dotted = prefix + key
                settings.append(
                    RawSetting(
                        key: dotted, value: try settingValue(value, name: name + "." + key, source: source),
                        source: source))
            }
        }
        return settings
    }

    /// A scalar as text, an array of scalars as a list.
    private static func settingValue(
        _ value: TOMLValueConvertible, name: String, source: SettingSource
    ) throws(RunwayError) -> SettingValue {
        if let array = value.array {
            var items: [String] = []
            for element in array {
                guard let text = scalarText(element) else {
                    throw .configuration("\(name) must be an array of strings (set by \(source))")
                }
                items.append(text)
            }
            return .list(items)
        }
        guard let text = scalarText(value) else {
            throw .configuration("\(name) must be a string, number, boolean or array (set by \(source))")
        }
        return .text(text)
    }

    private static func scalarText(_ value: TOMLValueConvertible) -> String? {
        switch value.type {
        case .string: value.string
        case .bool: value.bool.map { $0 ? "true" : "false" }
        case .int: value.int.map(String.init)
        case .double: value.double.map { String($0) }
        case .date, .time, .dateTime: value.debugDescription
        case .table, .array: nil
        }
    }

    // MARK: - TOML property resolvers

    /// Resolves Flyway's property resolvers in an environment value (`url`, `user`, `password`,
    /// `jdbcProperties.*`): `${env.NAME}` is the environment variable (an optional `:filter` keeps only `D` digits,
    /// `A` letters, `d`/`a` ASCII digits/letters), `$${x.y}` is the literal `${x.y}`, and `!{...}` is taken verbatim.
    /// Other resolvers (`vault`, `googlesecrets`, `localSecret`...) are Flyway Teams/Enterprise features.
    ///
    /// - Throws: ``RunwayError`` `.configuration` naming the setting and the variable (never the value) when the
    ///   variable is unset or the resolver is not supported.
    static func resolveProperties(
        _ text: String, key: String, source: SettingSource, environment: [String: String]
    ) throws(RunwayError) -> String {
        let value = text.trimmingSpaces()
        if value.hasPrefix("!{"), value.hasSuffix("}") { return String(value.dropFirst(2).dropLast()) }
        guard value.contains("${") else { return text }
        var result = ""
        var rest = Substring(value)
        while let start = rest.firstLiteralRange(of: "${") {
            var literalDollar = false
            var prefixEnd = start.lowerBound
            if prefixEnd > rest.startIndex, rest[rest.index(before: prefixEnd)] == "$" {
                literalDollar = true
                prefixEnd = rest.index(before: prefixEnd)
            }
            let body = rest[start.upperBound...]
            guard let close = body.firstIndex(of: "}"), let dot = body[..<close].firstIndex(of: "."),
                dot > body.startIndex, body.index(after: dot) < close,
                !body[body.index(after: dot)..<close].contains(".")
            else {
                result += rest[..<start.upperBound]
                rest = body
                continue
            }
            result += rest[..<prefixEnd]
            rest = body[body.index(after: close)...]
            if literalDollar {
                result += "${" + body[..<close] + "}"
                continue
            }
            let resolver = body[..<dot].trimmingSpaces()
            var parameter = String(body[body.index(after: dot)..<close])
            var filter: String?
            if let colon = parameter.firstIndex(of: ":") {
                filter = String(parameter[parameter.index(after: colon)...]).trimmingSpaces()
                parameter = String(parameter[..<colon])
            }
            parameter = parameter.trimmingSpaces()
            let wholeValue = rest.isEmpty && result.isEmpty
            if isSecret(key), !wholeValue, resolver != "env" || environment[parameter] == nil {
                // A reference inside a longer password is part of the password: say nothing about it.
                throw .configuration(
                    "\(key) (set by \(source)) uses a property resolver Runway cannot resolve: only ${env.NAME} "
                        + "with NAME set is supported")
            }
            guard resolver == "env" else {
                throw .configuration(
                    "Unsupported property resolver '\(resolver)' in \(key) (set by \(source)): Runway resolves only "
                        + "${env.NAME}; provide the value through an environment variable")
            }
            guard let resolved = environment[parameter] else {
                throw .configuration(
                    "Environment variable \(parameter) referenced by ${env.\(parameter)} in \(key) is not set "
                        + "(set by \(source))")
            }
            result += filter.map { keep(resolved, filter: $0) } ?? resolved
        }
        return result + rest
    }

    /// Whether a setting holds a secret (`password`, `jdbcProperties.sslpassword`...).
    private static func isSecret(_ key: String) -> Bool { key.lowercased().hasSuffix("password") }

    /// Flyway's resolver filter: keeps digits (`D`, `d` ASCII only) and letters (`A`, `a` ASCII only).
    private static func keep(_ text: String, filter: String) -> String {
        String(
            text.filter { character in
                (filter.contains("D") && character.isNumber) || (filter.contains("A") && character.isLetter)
                    || (filter.contains("a") && character.isLetter && character.isASCII)
                    || (filter.contains("d") && character.isNumber && character.isASCII)
            })
    }
}
