#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

/// What ``Configuration/load(_:logger:)`` reads: Flyway's command-line settings, the environment, and the folders
/// where configuration files are looked for.
public struct ConfigurationSources: Sendable {
    /// Flyway `-key=value` settings, key without the dash (`("url", "jdbc:postgresql://db/app")`), in the order
    /// given; a later one wins. The CLI gets them from `argv` with `FlywayArguments`.
    public var arguments: [(String, String)]
    /// Environment variables: `FLYWAY_*` (and `flyway_*` in TOML mode), Runway's `DB_*`, and the variables `.conf`
    /// files (`${NAME}`) and TOML environments (`${env.NAME}`) refer to.
    public var environment: [String: String]
    /// The process's current directory: where `./flyway.conf` and `./flyway.toml` are looked for and relative
    /// `configFiles` and `-workingDirectory` are resolved. Not Flyway's `workingDirectory` setting, which is an
    /// argument.
    public var workingDirectory: String
    /// The user's home directory, where `~/flyway.conf` and `~/flyway.toml` are looked for.
    public var homeDirectory: String

    /// Sources; by default the process's environment, current directory and home directory, and no arguments.
    public init(
        arguments: [(String, String)] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        homeDirectory: String = FileManager.default.homeDirectoryForCurrentUser.path
    ) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.homeDirectory = homeDirectory
    }
}

extension Configuration {
    /// Builds a configuration the way the Flyway command line does, so a Flyway user's `flyway.conf` or
    /// `flyway.toml`, `FLYWAY_*` variables and `-key=value` arguments work unchanged.
    ///
    /// Precedence, highest first, per key: command-line `-key=value` > environment variables > configuration files
    /// (later files over earlier ones) > Runway's defaults. Lists (`locations`, `schemas`, `sqlMigrationSuffixes`,
    /// `ignoreMigrationPatterns`) are comma-separated; a non-empty list replaces the lower-precedence one and an
    /// empty one is ignored. `placeholders.*` merge name by name.
    ///
    /// Files: see flyway-compat.md §12.1. Without `configFiles`, `flyway.toml`/`flyway.user.toml` in `~`, `.` and
    /// `-workingDirectory` select TOML mode, else `flyway.conf` in the same places selects legacy mode.
    /// `configFiles` (`FLYWAY_CONFIG_FILES` then `-configFiles`) are loaded after those and decide the mode; listing
    /// TOML and `.conf` files together is an error. In TOML mode `[flyway]` applies, then the selected
    /// `[environments.<name>]` (`environment`, default `default`) and its `[environments.<name>.flyway]`; `FLYWAY_*`
    /// variables and arguments such as `-url` apply to that environment, `-environments.<name>.<key>=` to a named one,
    /// and lower-case `flyway_<key>`/`environments_<name>_<key>` variables are read as Flyway reads them.
    ///
    /// Connection: `url` may be a JDBC URL (mapped onto libpq with pgjdbc's semantics: URL parameters beat
    /// `jdbcProperties.*`, which beat `user`/`password`), a `postgresql://` URI or a conninfo string (passed to
    /// libpq, `user`/`password` override it). Runway's `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USERNAME`,
    /// `DB_PASSWORD`/`DB_PASSWORD_FILE`, `DB_SSLMODE`, `DB_SSLROOTCERT`, `DB_SSLCERT`, `DB_SSLKEY`, `DB_SSLPASSWORD`
    /// and `DB_APPLICATION_NAME` then override the matching parts that came from `FLYWAY_*` variables or files, but
    /// not parts given on the command line (`-url` owns host, port and database; `-user`, `-password` and `-url`
    /// parameters own theirs). libpq's `PG*` variables fill whatever is left unset.
    ///
    /// `-workingDirectory=dir` adds `dir/flyway.conf` (or `.toml`) to the default files and makes relative
    /// `filesystem:` locations (and the default `migrations`) relative to `dir`, as the Flyway CLI does.
    ///
    /// Flyway keys that only concern Java, other databases or Flyway's console are accepted and ignored with a debug
    /// log; Teams features whose absence would change the outcome (`cherryPick`, `dryRunOutput`...) and unknown
    /// `flyway.*` keys are errors naming the key and where it was set. Unknown `FLYWAY_*` variables are ignored, as
    /// Flyway ignores them.
    ///
    /// - Parameters:
    ///   - sources: arguments, environment and directories.
    ///   - logger: receives debug lines about loaded files and ignored settings; never values.
    /// - Throws: ``RunwayError`` `.configuration` naming the setting and its source (file and line, variable or
    ///   argument). Messages never contain a password.
    public static func load(
        _ sources: ConfigurationSources,
        logger: Logger = Logger(label: "runway.configuration", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(RunwayError) -> Configuration {
        try ConfigurationLoader(sources: sources, logger: logger).load()
    }
}

// MARK: - Loading

/// Settings by key; a later addition overrides an earlier one, except that an empty list is never taken (unless
/// the key requires a value: then the empty value stays, and its row rejects it).
///
/// Every setting from a file, a `FLYWAY_*` variable or a `-key=value` argument passes through ``add(_:)``, which is
/// where a NUL byte is rejected (``SettingRule/rejectNUL(_:setting:source:)``).
struct SettingLayers {
    private(set) var settings: [String: RawSetting] = [:]

    mutating func add(_ list: [RawSetting]) throws(RunwayError) {
        for setting in list { try add(setting) }
    }

    mutating func add(_ setting: RawSetting) throws(RunwayError) {
        let setting = try setting.rejectingNUL()
        if let row = FlywayKey.lookup(setting.key), row.isList, !row.requiresValue, setting.value.items.isEmpty {
            return
        }
        settings[setting.key] = setting
    }

    subscript(key: String) -> RawSetting? { settings[key] }
}

struct ConfigurationLoader {
    let sources: ConfigurationSources
    let logger: Logger

    /// Settings from the command line and the environment, sorted by where they go.
    struct Gathered {
        /// `-key=value`.
        var arguments: [RawSetting] = []
        /// `-environments.<name>.<key>=value`, by environment name.
        var argumentEnvironments: [String: [RawSetting]] = [:]
        /// `FLYWAY_*`.
        var variables: [RawSetting] = []
        /// `flyway_<key>` (TOML mode only, as in Flyway).
        var lowerCaseVariables: [RawSetting] = []
        /// `environments_<name>_<key>` (TOML mode only), by environment name.
        var variableEnvironments: [String: [RawSetting]] = [:]
    }

    func load() throws(RunwayError) -> Configuration {
        let gathered = try gather()
        // What the loader itself needs before reading files.
        let flywayWorkingDirectory = gathered.arguments.last { $0.key == "workingDirectory" }.map {
            FilePaths.absolute($0.value.text, relativeTo: sources.workingDirectory)
        }
        var explicitFiles: [(path: String, source: SettingSource)] = []
        for setting in [gathered.variables, gathered.arguments].compactMap({ $0.last { $0.key == "configFiles" } }) {
            explicitFiles += setting.value.items.map {
                (FilePaths.absolute($0, relativeTo: sources.workingDirectory), setting.source)
            }
        }
        let selection = try ConfigFiles.select(
            explicit: explicitFiles, home: sources.homeDirectory, currentDirectory: sources.workingDirectory,
            workingDirectory: flywayWorkingDirectory)
        logger.debug(
            "Configuration files",
            metadata: ["format": "\(selection.format.rawValue)", "files": "\(selection.files.joined(separator: ", "))"])

        // `${flyway:environment}` names the environment the run uses: in TOML mode the one selected, in legacy mode
        // only an `-environment=` argument changes it (Flyway 12 leaves `FLYWAY_ENVIRONMENT` out there).
        let (layers, environment) =
            switch selection.format {
            case .conf: (try confLayers(selection.files, gathered), gathered.arguments.last { $0.key == "environment" })
            case .toml: try tomlLayers(selection.files, gathered)
            }
        var configuration = try apply(layers, toml: selection.format == .toml)
        configuration.environment = environment?.value.text ?? "default"
        if let flywayWorkingDirectory {
            configuration.workingDirectory = flywayWorkingDirectory
            configuration.locations = configuration.locations.map { resolve($0, against: flywayWorkingDirectory) }
        }
        return configuration
    }

    /// Sorts the arguments and the environment variables.
    private func gather() throws(RunwayError) -> Gathered {
        var gathered = Gathered()
        for (key, value) in sources.arguments {
            let setting = RawSetting(key: key, value: .text(value), source: .argument(key))
            if key.hasPrefix("environments.") {
                let (name, field) = try environmentKey(key.dropFirst("environments.".count), separator: ".", setting)
                gathered.argumentEnvironments[name, default: []].append(
                    RawSetting(key: field, value: setting.value, source: setting.source))
            } else {
                gathered.arguments.append(setting)
            }
        }
        for (name, value) in sources.environment.sorted(by: { $0.key < $1.key }) {
            let source = SettingSource.environmentVariable(name)
            if let key = FlywayKey.key(forEnvironmentVariable: name) {
                gathered.variables.append(RawSetting(key: key, value: .text(value), source: source))
            } else if name.hasPrefix("flyway_"),
                case let key = name.dropFirst("flyway_".count).replacingEvery("_", with: "."),
                FlywayKey.lookup(key) != nil
            {
                gathered.lowerCaseVariables.append(RawSetting(key: key, value: .text(value), source: source))
            } else if name.hasPrefix("environments_") {
                let setting = RawSetting(key: name, value: .text(value), source: source)
                let (environment, field) = try environmentKey(
                    name.dropFirst("environments_".count), separator: "_", setting)
                gathered.variableEnvironments[environment, default: []].append(
                    RawSetting(key: field.replacingEvery("_", with: "."), value: .text(value), source: source)
                )
            } else if name.hasPrefix("FLYWAY_") || name.hasPrefix("flyway_") {
                logger.debug("Ignoring environment variable", metadata: ["variable": "\(name)"])
            }
        }
        return gathered
    }

    /// Legacy mode: `.conf` files, then `FLYWAY_*`, then arguments.
    private func confLayers(_ files: [String], _ gathered: Gathered) throws(RunwayError) -> SettingLayers {
        let encoding =
            gathered.arguments.last { $0.key == "configFileEncoding" }
            ?? gathered.variables.last { $0.key == "configFileEncoding" }
        var layers = SettingLayers()
        for path in files {
            logger.debug("Loading config file", metadata: ["file": "\(path)"])
            let text = try ConfigFiles.read(
                path, encoding: encoding?.value.text ?? "UTF-8", source: encoding?.source ?? .file(path, line: nil))
            try layers.add(ConfigFiles.parseConf(text, path: path, environment: sources.environment))
        }
        let tomlOnly =
            gathered.lowerCaseVariables + gathered.variableEnvironments.values.joined()
            + gathered.argumentEnvironments.values.joined()
        for setting in tomlOnly {
            logger.debug("Ignoring TOML environment setting in .conf mode", metadata: ["source": "\(setting.source)"])
        }
        try layers.add(gathered.variables)
        try layers.add(gathered.arguments)
        return layers
    }

    /// TOML mode: `[flyway]` of every file, the selected environment and its `flyway` overrides, then the
    /// environment variables, then the arguments.
    private func tomlLayers(
        _ paths: [String], _ gathered: Gathered
    ) throws(RunwayError) -> (SettingLayers, environment: RawSetting?) {
        var files: [TOMLConfiguration] = []
        for path in paths {
            logger.debug("Loading config file", metadata: ["file": "\(path)"])
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .configuration("Unable to load config file: \(path)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw .configuration("Unable to load config file: \(path) is not valid UTF-8 text")
            }
            let file = try ConfigFiles.parseTOML(text, path: path)
            for key in file.ignoredRootKeys {
                logger.debug("Ignoring TOML table", metadata: ["key": "\(key)", "file": "\(path)"])
            }
            files.append(file)
        }
        var layers = SettingLayers()
        for file in files { try layers.add(file.flyway) }
        let chosen =
            gathered.arguments.last { $0.key == "environment" }
            ?? gathered.lowerCaseVariables.last { $0.key == "environment" } ?? layers["environment"]
        let environment = chosen?.value.text ?? "default"
        let defining = files.compactMap { $0.environments[environment] }
        if let chosen, defining.isEmpty, !files.isEmpty, gathered.argumentEnvironments[environment] == nil,
            gathered.variableEnvironments[environment] == nil
        {
            throw .configuration(
                "Environment '\(environment)' is not defined: add [environments.\(environment)] to "
                    + "\(paths.joined(separator: ", ")) or select another (set by \(chosen.source))")
        }
        for definition in defining { try layers.add(definition.fields) }
        for definition in defining { try layers.add(definition.flyway) }
        try layers.add(gathered.variables)
        try layers.add(gathered.lowerCaseVariables)
        try layers.add(try environmentFields(gathered.variableEnvironments[environment] ?? []))
        try layers.add(gathered.arguments)
        try layers.add(try environmentFields(gathered.argumentEnvironments[environment] ?? []))
        return (layers, chosen)
    }

    /// Applies the winning settings through the key table, then builds the connection.
    private func apply(_ layers: SettingLayers, toml: Bool) throws(RunwayError) -> Configuration {
        var configuration = Configuration()
        var connection: [String: RawSetting] = [:]
        for key in layers.settings.keys.sorted() {
            guard let setting = layers[key] else { continue }
            guard let row = FlywayKey.lookup(key) else {
                throw .configuration("Unknown configuration property: flyway.\(key) (set by \(setting.source))")
            }
            switch row.role {
            case .setting(let apply):
                try apply(&configuration, setting)
            case .connection:
                connection[key] = setting
            case .loader:
                if case .file = setting.source, key != "environment" {
                    logger.debug("Ignoring command-line setting in a file", metadata: ["source": "\(setting.source)"])
                }
            case .ignored(let reason):
                logger.debug(
                    "Ignoring Flyway setting",
                    metadata: ["key": "\(key)", "reason": "\(reason)", "source": "\(setting.source)"])
            case .unsupported(let reason):
                throw .configuration("\(key) is not supported by Runway: \(reason) (set by \(setting.source))")
            }
        }
        configuration.connection = try resolveConnection(connection, toml: toml)
        return configuration
    }

    /// `<name><separator><field>` of `-environments.<name>.<field>` or `environments_<name>_<field>`.
    private func environmentKey(
        _ text: Substring, separator: Character, _ setting: RawSetting
    ) throws(RunwayError) -> (String, String) {
        guard let split = text.firstIndex(of: separator), split != text.startIndex,
            text.index(after: split) != text.endIndex
        else {
            throw .configuration(
                "Invalid environment setting \(setting.key): expected environments\(separator)<name>\(separator)<key> "
                    + "(set by \(setting.source))")
        }
        return (String(text[..<split]), String(text[text.index(after: split)...]))
    }

    /// Checks that settings aimed at an environment are environment fields.
    private func environmentFields(_ settings: [RawSetting]) throws(RunwayError) -> [RawSetting] {
        for setting in settings
        where !ConfigFiles.environmentFields.contains(setting.key) && !setting.key.hasPrefix("jdbcProperties.")
            && !ConfigFiles.ignoredEnvironmentFields.contains(setting.key)
        {
            throw .configuration(
                "Unknown environment property: \(setting.key) (set by \(setting.source))")
        }
        return settings.filter { !ConfigFiles.ignoredEnvironmentFields.contains($0.key) }
    }

    /// A relative `filesystem:` (or unprefixed) location made absolute against Flyway's `workingDirectory`.
    private func resolve(_ location: String, against directory: String) -> String {
        var prefix = ""
        var path = location.trimmingSpaces()
        if path.lowercased().hasPrefix("filesystem:") {
            prefix = String(path.prefix("filesystem:".count))
            path = String(path.dropFirst("filesystem:".count))
        } else if path.contains(":") {
            return location  // classpath: and the like are refused later with a clear error
        }
        guard !path.hasPrefix("/") else { return location }
        return prefix + FilePaths.absolute(path, relativeTo: directory)
    }

    // MARK: - Connection

    /// Builds the connection from `url`, `user`, `password` and `jdbcProperties.*`, then applies `DB_*`.
    private func resolveConnection(
        _ settings: [String: RawSetting], toml: Bool
    ) throws(RunwayError) -> ConnectionSettings {
        var settings = settings
        if toml {
            for (key, setting) in settings {
                let resolved = try ConfigFiles.resolveProperties(
                    setting.value.text, key: key, source: setting.source, environment: sources.environment)
                settings[key]?.value = .text(resolved)
            }
        }
        typealias Property = (value: String, origin: String, source: SettingSource)
        var properties: [String: Property] = [:]
        for key in ["user", "password"] {
            if let setting = settings[key] {
                properties[key] = (setting.value.text, "\(key), set by \(setting.source)", setting.source)
            }
        }
        for (key, setting) in settings.sorted(by: { $0.key < $1.key }) where key.hasPrefix("jdbcProperties.") {
            let name = String(key.dropFirst("jdbcProperties.".count))
            properties[name] = (setting.value.text, "\(key), set by \(setting.source)", setting.source)
        }
        var result = ConnectionSettings()
        var urlSource: SettingSource?
        if let url = settings["url"], !url.value.text.isEmpty {
            urlSource = url.source
            for (name, value) in try result.take(url: url.value.text, setting: "url (set by \(url.source))") {
                properties[name] = (value, "url parameter \(name), set by \(url.source)", url.source)
            }
        }
        for name in properties.keys.sorted() where !JDBCProperties.mapped.contains(name) {
            logger.debug("Ignoring JDBC property", metadata: ["property": "\(name)"])
        }
        try JDBCProperties.apply(properties.mapValues { ($0.value, $0.origin) }, to: &result)

        // Runway's DB_* variables: above FLYWAY_* and files, below the command line. They do not pass through
        // SettingLayers, so the NUL rule is applied to them here.
        for (name, value) in sources.environment where name.hasPrefix("DB_") {
            try SettingRule.rejectNUL(value, setting: name, source: .environmentVariable(name))
        }
        var database = ConnectionSettings()
        try database.apply(environment: sources.environment)
        if let urlSource, !urlSource.isArgument {
            try refuseConflicts(url: result, source: urlSource, variables: database)
        }
        if urlSource?.isArgument != true {
            if let host = database.host {
                result.host = host
                let hostCount = host.split(separator: ",").count
                if database.ports.isEmpty, result.ports.count > 1, result.ports.count != hostCount {
                    result.ports = []  // the URL's per-host ports no longer match the hosts
                }
            }
            if !database.ports.isEmpty { result.ports = database.ports }
            if let name = database.database { result.database = name }
        }
        if properties["user"]?.source.isArgument != true, let user = database.user { result.user = user }
        if properties["password"]?.source.isArgument != true, let password = database.password {
            result.password = password
        }
        if (properties["sslmode"] ?? properties["ssl"])?.source.isArgument != true, let mode = database.sslMode {
            result.sslMode = mode
        }
        for (name, field) in JDBCProperties.libpqFields where properties[name]?.source.isArgument != true {
            if let value = database[keyPath: field] { result[keyPath: field] = value }
        }
        if properties["ApplicationName"]?.source.isArgument != true,
            let name = sources.environment["DB_APPLICATION_NAME"], !name.isEmpty
        {
            result.applicationName = database.applicationName
        }
        try result.validate()
        return result
    }

    /// A `url` from a file or a `FLYWAY_*` variable and `DB_HOST`/`DB_PORT`/`DB_NAME` that name a different server
    /// or database: an image that sets `DB_NAME` for the application and `FLYWAY_URL` for migrations would
    /// otherwise migrate a database nobody meant. Parts only one of them names, and parts on which they agree, keep
    /// the usual precedence; a `-url` argument owns its parts and is not compared.
    private func refuseConflicts(
        url: ConnectionSettings, source: SettingSource, variables: ConnectionSettings
    ) throws(RunwayError) {
        let parts: [(variable: String, what: String, fromURL: String?, fromVariable: String?)] = [
            ("DB_HOST", "host", url.host?.lowercased(), variables.host?.lowercased()),
            (
                "DB_PORT", "port", url.ports.isEmpty ? nil : url.ports.map(String.init).joined(separator: ","),
                variables.ports.isEmpty ? nil : variables.ports.map(String.init).joined(separator: ",")
            ),
            ("DB_NAME", "database", url.database, variables.database),
        ]
        for part in parts {
            guard let fromURL = part.fromURL, let fromVariable = part.fromVariable, fromURL != fromVariable else {
                continue
            }
            throw .configuration(
                "Conflicting \(part.what): url (set by \(source)) names '\(fromURL)', environment variable "
                    + "\(part.variable) names '\(fromVariable)'. Remove one of them or make them agree (a -url "
                    + "argument on the command line decides explicitly).")
        }
    }
}
