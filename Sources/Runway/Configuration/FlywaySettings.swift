#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Flyway's configuration keys (flyway-compat.md §12.2) and what Runway does with each.
//
// A key is written as Flyway writes it: case-sensitive camelCase without the `flyway.` prefix (`connectRetries`,
// `placeholders.name`, `postgresql.transactional.lock`). The same key arrives as `flyway.<key>` in a `.conf` file,
// `<key> = ...` under `[flyway]` in a TOML file, `FLYWAY_<UPPER_SNAKE>` in the environment and `-<key>=` on the
// command line.

// MARK: - Values and sources

/// Where one setting was read; errors name it so the user knows which file, variable or argument to fix.
enum SettingSource: Sendable, Hashable, CustomStringConvertible {
    /// A `.conf` or `.toml` file, with the line when known.
    case file(String, line: Int?)
    /// An environment variable (`FLYWAY_URL`, `flyway_environment`).
    case environmentVariable(String)
    /// A `-key=value` command-line argument (the key, without the dash).
    case argument(String)

    var description: String {
        switch self {
        case .file(let path, let line?): "config file \(path) line \(line)"
        case .file(let path, nil): "config file \(path)"
        case .environmentVariable(let name): "environment variable \(name)"
        case .argument(let key): "command-line argument -\(key)"
        }
    }

    /// Whether the setting came from the command line (which outranks every `DB_*` variable).
    var isArgument: Bool {
        if case .argument = self { return true }
        return false
    }
}

/// A raw setting value: text everywhere except TOML arrays, which stay lists.
enum SettingValue: Sendable, Equatable {
    case text(String)
    case list([String])

    /// The value as one string (a list joined with commas, as Flyway writes lists in `.conf` files).
    var text: String {
        switch self {
        case .text(let text): text
        case .list(let items): items.joined(separator: ",")
        }
    }

    /// The value as a list: comma-separated text split, every item trimmed, empty items dropped.
    var items: [String] {
        let raw: [String]
        switch self {
        case .text(let text): raw = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        case .list(let items): raw = items
        }
        return raw.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }
}

/// One setting as read from a file, the environment or the command line.
package struct RawSetting: Sendable, Equatable {
    /// The Flyway key without `flyway.` (`connectRetries`, `placeholders.name`).
    var key: String
    /// The value as written.
    var value: SettingValue
    /// Where it was read.
    var source: SettingSource

    // MARK: Typed access; every error names the key, the value and where it was set (never for secrets).

    /// `true`/`false`, case-insensitively, as Flyway's `ConfigUtils.removeBoolean`.
    func bool() throws(RunwayError) -> Bool {
        switch value.text.trimmingSpaces().lowercased() {
        case "true": return true
        case "false": return false
        default:
            throw .configuration(
                "Invalid value for \(key) (should be either true or false): \(value.text) (set by \(source))")
        }
    }

    /// An integer of at least `minimum`.
    func int(minimum: Int) throws(RunwayError) -> Int {
        guard let number = Int(value.text.trimmingSpaces()) else {
            throw .configuration("Invalid value for \(key) (should be an integer): \(value.text) (set by \(source))")
        }
        guard number >= minimum else {
            throw .configuration(
                "Invalid value for \(key) (must be \(minimum) or greater): \(value.text) (set by \(source))")
        }
        return number
    }

    /// Text that must not be empty (``SettingRule/nonEmpty(_:setting:)``).
    func nonEmptyText() throws(RunwayError) -> String {
        try SettingRule.nonEmpty(value.text, setting: "\(key)", source: source)
    }

    /// A list with at least one item (``SettingRule/nonEmpty(_:setting:)``): `-locations=`, `FLYWAY_SCHEMAS=` and
    /// `schemas = []` are errors, not "use the default".
    func nonEmptyItems() throws(RunwayError) -> [String] {
        try SettingRule.nonEmpty(value.items, setting: "\(key)", source: source)
    }

    /// Rejects a NUL byte in the key or the value (``SettingRule/rejectNUL(_:setting:source:)``).
    func rejectingNUL() throws(RunwayError) -> RawSetting {
        try SettingRule.rejectNUL(key, setting: "a configuration key", source: source)
        try SettingRule.rejectNUL(value.text, setting: "\(key)", source: source)
        return self
    }

    /// Text, or `nil` when empty (optional settings such as `defaultSchema` or `installedBy`).
    var optionalText: String? { value.text.isEmpty ? nil : value.text }

    /// Re-throws a parser's error with the source appended.
    func wrapping<T>(_ body: () throws(RunwayError) -> T) throws(RunwayError) -> T {
        do { return try body() } catch {
            throw error.refined { $0.message += " (set by \(source))" }
        }
    }
}

// MARK: - Rules every source shares

/// Rules that hold however a setting is given: Flyway's keys (config files, `FLYWAY_*`, `-key=value`) and the CLI's
/// own `--flags`, so `--table ''`, `-table=` and `FLYWAY_TABLE=` fail alike.
package enum SettingRule {
    /// A value that must not be empty: `table`, `locations`, `schemas`... An empty value (typically an unset shell
    /// variable: `--locations "$DIR"`) is an error naming the setting, never a silent "use the default".
    /// `setting` is the flag or key (`--locations`, `schemas`); `source` says where a Flyway key was set.
    package static func nonEmpty<Value: Collection>(_ value: Value, setting: String) throws(RunwayError) -> Value {
        try nonEmpty(value, setting: setting, source: nil)
    }

    static func nonEmpty<Value: Collection>(
        _ value: Value, setting: String, source: SettingSource?
    ) throws(RunwayError) -> Value {
        guard !value.isEmpty else {
            throw .configuration("Invalid value for \(setting) (must not be empty)\(setBy(source))")
        }
        return value
    }

    /// A schema name (`schemas`, `defaultSchema`): not empty, and at most 63 bytes in UTF-8 (NAMEDATALEN - 1).
    /// PostgreSQL silently truncates a longer name, so Runway would look for one name and find another: every run
    /// after the first would fail with "already exists".
    package static func schemaName(_ name: String, setting: String) throws(RunwayError) -> String {
        try schemaName(name, setting: setting, source: nil)
    }

    static func schemaName(_ name: String, setting: String, source: SettingSource?) throws(RunwayError) -> String {
        try identifier(name, setting: setting, source: source, limit: 63, why: "")
    }

    /// The history table's name (`table`): not empty and at most 61 bytes in UTF-8, because its primary key and
    /// index are named `<table>_pk` and `<table>_s_idx` (as Flyway names them), and PostgreSQL truncates names to 63
    /// bytes: with a longer table name they would clash with the table or each other.
    package static func tableName(_ name: String, setting: String) throws(RunwayError) -> String {
        try tableName(name, setting: setting, source: nil)
    }

    static func tableName(_ name: String, setting: String, source: SettingSource?) throws(RunwayError) -> String {
        try identifier(
            name, setting: setting, source: source, limit: 61,
            why: ": its primary key and index are named <table>_pk and <table>_s_idx")
    }

    private static func identifier(
        _ name: String, setting: String, source: SettingSource?, limit: Int, why: String
    ) throws(RunwayError) -> String {
        _ = try nonEmpty(name, setting: setting, source: source)
        let bytes = name.utf8.count
        guard bytes <= limit else {
            throw .configuration(
                "Invalid value for \(setting): '\(name)' is \(bytes) bytes long; it may have at most \(limit) bytes "
                    + "(PostgreSQL truncates names to 63 bytes\(why))\(setBy(source))")
        }
        return name
    }

    /// A NUL byte in a value: libpq and the file system take C strings and would silently cut the value short
    /// (a table name, a placeholder, a path), so it is a configuration error naming where it was set. Applied where
    /// settings are gathered (``SettingLayers/add(_:)``, and the `DB_*` variables), before anything connects.
    static func rejectNUL(_ text: String, setting: String, source: SettingSource) throws(RunwayError) {
        guard text.utf8.contains(0) else { return }
        throw .configuration("Invalid value for \(setting) (contains a NUL byte)\(setBy(source))")
    }

    private static func setBy(_ source: SettingSource?) -> String {
        source.map { " (set by \($0))" } ?? ""
    }
}

// MARK: - The key table

/// What Runway does with one Flyway key.
struct FlywayKey: Sendable {
    /// How a value is applied.
    enum Role: Sendable {
        /// Sets a ``Configuration`` field.
        case setting(@Sendable (inout Configuration, RawSetting) throws(RunwayError) -> Void)
        /// `url`, `user`, `password`, `jdbcProperties.*`: resolved together with the JDBC URL and `DB_*`.
        case connection
        /// Read by the loader itself: `configFiles`, `configFileEncoding`, `workingDirectory`, `environment`.
        case loader
        /// Accepted and ignored with a debug log: Flyway-only, or without effect on PostgreSQL with Runway.
        case ignored(String)
        /// Rejected: a Flyway (Teams/Enterprise) feature Runway lacks, whose silent omission would change results.
        case unsupported(String)
    }

    /// The key as Flyway writes it, without `flyway.`.
    let name: String
    /// The `FLYWAY_*` variable, or `nil` for command-line-only keys.
    let environmentVariable: String?
    /// Whether values are comma-separated lists (a non-empty list replaces a lower-precedence one; an empty one does
    /// not, unless `requiresValue`).
    let isList: Bool
    /// Whether an empty value is an error (``SettingRule/nonEmpty(_:setting:)``) rather than "not set".
    let requiresValue: Bool
    /// What happens to the value.
    let role: Role

    /// A row; the variable defaults to ``environmentName(for:)``; `noVariable` keys (`workingDirectory`,
    /// `environment`, the `info` filters) have no `FLYWAY_*` variable, as in Flyway.
    init(
        _ name: String, environmentVariable: String? = nil, noVariable: Bool = false, list: Bool = false,
        requiresValue: Bool = false, _ role: Role
    ) {
        self.name = name
        self.environmentVariable = noVariable ? nil : environmentVariable ?? Self.environmentName(for: name)
        self.isList = list
        self.requiresValue = requiresValue
        self.role = role
    }

    /// `FLYWAY_` + UPPER_SNAKE of the key: `connectRetriesInterval` → `FLYWAY_CONNECT_RETRIES_INTERVAL`,
    /// `postgresql.transactional.lock` → `FLYWAY_POSTGRESQL_TRANSACTIONAL_LOCK`.
    static func environmentName(for key: String) -> String {
        var result = "FLYWAY_"
        var previous: Character?
        for character in key {
            if character == "." {
                result += "_"
            } else if character.isUppercase, let previous, previous.isLowercase || previous.isNumber {
                result += "_" + character.uppercased()
            } else {
                result += character.uppercased()
            }
            previous = character
        }
        return result
    }
}

extension FlywayKey {
    // MARK: Row builders

    static func bool(
        _ name: String, _ field: WritableKeyPath<Configuration, Bool> & Sendable
    ) -> FlywayKey {
        FlywayKey(
            name,
            .setting { configuration, setting throws(RunwayError) in
                configuration[keyPath: field] = try setting.bool()
            })
    }

    static func int(
        _ name: String, minimum: Int, _ field: WritableKeyPath<Configuration, Int> & Sendable
    ) -> FlywayKey {
        FlywayKey(
            name,
            .setting { configuration, setting throws(RunwayError) in
                configuration[keyPath: field] = try setting.int(minimum: minimum)
            })
    }

    static func text(
        _ name: String, _ field: WritableKeyPath<Configuration, String> & Sendable, allowEmpty: Bool = false
    ) -> FlywayKey {
        FlywayKey(
            name,
            .setting { configuration, setting throws(RunwayError) in
                configuration[keyPath: field] = allowEmpty ? setting.value.text : try setting.nonEmptyText()
            })
    }

    static func optionalText(_ name: String, _ field: WritableKeyPath<Configuration, String?> & Sendable) -> FlywayKey {
        FlywayKey(
            name,
            .setting { configuration, setting throws(RunwayError) in
                configuration[keyPath: field] = setting.optionalText
            })
    }

    /// A list that must not be empty (`locations`, `schemas`, `sqlMigrationSuffixes`).
    static func list(_ name: String, _ field: WritableKeyPath<Configuration, [String]> & Sendable) -> FlywayKey {
        FlywayKey(
            name, list: true, requiresValue: true,
            .setting { configuration, setting throws(RunwayError) in
                configuration[keyPath: field] = try setting.nonEmptyItems()
            })
    }

    static func ignored(_ name: String, list: Bool = false, _ reason: String) -> FlywayKey {
        FlywayKey(name, list: list, .ignored(reason))
    }

    static func unsupported(_ name: String, _ reason: String) -> FlywayKey {
        FlywayKey(name, .unsupported(reason))
    }

    // MARK: Rows

    /// Every key Runway knows, mapped, read by the loader, ignored or rejected.
    ///
    /// **Ignored** (debug log, no effect), because they configure the JVM, Java code, other databases, Redgate
    /// licensing or Flyway's own console and reports: `driver`, `licenseKey`, `jarDirs`, `callbacks` (Java classes),
    /// `resolvers`, `skipDefaultResolvers`, `outputFile`, `outputLogsInJson`, `outputProgress`, `color`,
    /// `outputType` (from files and the environment; `-outputType=json` on the command line becomes `--output json`),
    /// `outputQueryResults` (validated as a boolean), `loggers`, `kerberosConfigFile`, `detectEncoding`, `stream`,
    /// `batch`, `communityDBSupportEnabled`, `reportEnabled`, `reportFilename`, `powershellExecutable`,
    /// `scriptPlaceholderPrefix`, `scriptPlaceholderSuffix` (non-SQL scripts),
    /// `cleanOnValidationError` (removed in Flyway 11; never cleaning is the safe reading), `configurations` (Gradle),
    /// `skipDefaultCallbacks` when `false`, and every key under another database's namespace
    /// (``ignoredNamespaces``).
    ///
    /// **Rejected** with an error naming the key, because ignoring them would change what happens to the database
    /// or what is reported: `errorOverrides`, `callbackLocations`,
    /// `skipDefaultCallbacks=true` (Runway always runs the SQL callbacks found in the locations), and the `info`
    /// filters `infoSinceDate`, `infoUntilDate`, `infoSinceVersion`, `infoUntilVersion`, `infoOfState`.
    static let all: [FlywayKey] = [
        // Connection (resolved together, see Configuration.load).
        FlywayKey("url", .connection),
        FlywayKey("user", .connection),
        FlywayKey("password", .connection),
        // Schemas and the history table.
        FlywayKey(
            "schemas", list: true, requiresValue: true,
            .setting { configuration, setting throws(RunwayError) in
                var schemas: [String] = []
                for name in try setting.nonEmptyItems() {
                    schemas.append(try SettingRule.schemaName(name, setting: "schemas", source: setting.source))
                }
                configuration.schemas = schemas
            }),
        FlywayKey(
            "defaultSchema",
            .setting { configuration, setting throws(RunwayError) in
                configuration.defaultSchema = try setting.optionalText.map { (name) throws(RunwayError) in
                    try SettingRule.schemaName(name, setting: "defaultSchema", source: setting.source)
                }
            }),
        FlywayKey(
            "table",
            .setting { configuration, setting throws(RunwayError) in
                configuration.table = try SettingRule.tableName(
                    setting.value.text, setting: "table", source: setting.source)
            }),
        .optionalText("tablespace", \.tablespace),
        .bool("createSchemas", \.createSchemas),
        // Migrations.
        .list("locations", \.locations),
        .text("encoding", \.encoding),
        .bool("failOnMissingLocations", \.failOnMissingLocations),
        .text("sqlMigrationPrefix", \.naming.versionedPrefix, allowEmpty: true),
        .text("repeatableSqlMigrationPrefix", \.naming.repeatablePrefix, allowEmpty: true),
        .text("baselineMigrationPrefix", \.naming.baselinePrefix, allowEmpty: true),
        .text("undoSqlMigrationPrefix", \.naming.undoPrefix, allowEmpty: true),
        .text("sqlMigrationSeparator", \.naming.separator),
        .list("sqlMigrationSuffixes", \.naming.suffixes),
        .bool("validateMigrationNaming", \.validateMigrationNaming),
        // Placeholders.
        .bool("placeholderReplacement", \.placeholderReplacement),
        .text("placeholderPrefix", \.placeholderPrefix),
        .text("placeholderSuffix", \.placeholderSuffix),
        .text("placeholderSeparator", \.placeholderSeparator),
        // Validation and targets.
        .bool("validateOnMigrate", \.validateOnMigrate),
        FlywayKey(
            "ignoreMigrationPatterns", list: true,
            .setting { configuration, setting throws(RunwayError) in
                var patterns: [ValidatePattern] = []
                for item in setting.value.items {
                    patterns.append(
                        try setting.wrapping { () throws(RunwayError) in try ValidatePattern(parsing: item) })
                }
                configuration.ignoreMigrationPatterns = patterns
            }),
        .bool("outOfOrder", \.outOfOrder),
        FlywayKey(
            "target",
            .setting { configuration, setting throws(RunwayError) in
                configuration.target = try setting.wrapping { () throws(RunwayError) in
                    try MigrationTarget(parsing: setting.value.text)
                }
            }),
        .bool("skipExecutingMigrations", \.skipExecutingMigrations),
        .list("cherryPick", \.cherryPick),
        FlywayKey(
            "dryRunOutput", environmentVariable: "FLYWAY_DRYRUN_OUTPUT",
            .setting { configuration, setting throws(RunwayError) in
                configuration.dryRunOutput = setting.optionalText
            }),
        // Transactions.
        .bool("group", \.group),
        .bool("mixed", \.mixed),
        .bool("executeInTransaction", \.executeInTransaction),
        .bool("postgresql.transactional.lock", \.transactionalLock),
        // Baseline and clean.
        .bool("baselineOnMigrate", \.baselineOnMigrate),
        FlywayKey(
            "baselineVersion",
            .setting { configuration, setting throws(RunwayError) in
                let text = setting.value.text.trimmingSpaces()
                guard (try? MigrationVersion(text)) != nil else {
                    throw .configuration(
                        "Invalid value for baselineVersion (should be a version such as 1 or 1.2): "
                            + "\(setting.value.text) (set by \(setting.source))")
                }
                configuration.baselineVersion = text
            }),
        .text("baselineDescription", \.baselineDescription, allowEmpty: true),
        .bool("cleanDisabled", \.cleanDisabled),
        // Running.
        .optionalText("installedBy", \.installedBy),
        .optionalText("initSql", \.initSql),
        .int("connectRetries", minimum: 0, \.connectRetries),
        .int("connectRetriesInterval", minimum: 0, \.connectRetriesInterval),
        .int("lockRetryCount", minimum: -1, \.lockRetryCount),
        FlywayKey(
            "outputQueryResults",
            .setting { _, setting throws(RunwayError) in
                _ = try setting.bool()  // validated like Flyway; Runway never prints query results
            }),
        FlywayKey(
            "skipDefaultCallbacks",
            .setting { _, setting throws(RunwayError) in
                guard try setting.bool() else { return }
                throw .configuration(
                    "skipDefaultCallbacks=true is not supported: Runway always runs the SQL callbacks "
                        + "(beforeMigrate.sql ...) found in the locations; remove the files from the locations or "
                        + "the setting (set by \(setting.source))")
            }),
        // Read by the loader.
        FlywayKey("configFiles", list: true, .loader),
        FlywayKey("configFileEncoding", .loader),
        FlywayKey("workingDirectory", noVariable: true, .loader),
        FlywayKey("environment", noVariable: true, .loader),
        // Ignored: no effect on PostgreSQL with Runway.
        .ignored("driver", "Runway always uses libpq"),
        .ignored("licenseKey", "Redgate licensing does not apply"),
        .ignored("jarDirs", list: true, "Runway loads no Java code"),
        .ignored("callbacks", list: true, "Java callback classes cannot run in Runway"),
        .ignored("resolvers", list: true, "Java resolver classes cannot run in Runway"),
        .ignored("skipDefaultResolvers", "Runway's only resolver is the SQL one"),
        .ignored("outputFile", "Flyway console setting"),
        .ignored("outputLogsInJson", "Flyway console setting; use --log-format json"),
        .ignored("outputProgress", "Flyway console setting"),
        .ignored("outputType", "only -outputType=json on the command line selects JSON output"),
        .ignored("color", "Flyway console setting"),
        .ignored("loggers", list: true, "Flyway logging setting"),
        .ignored("kerberosConfigFile", "libpq reads Kerberos settings from the environment"),
        .ignored("detectEncoding", "Runway reads the configured encoding"),
        .ignored("stream", "Flyway Teams performance setting"),
        .ignored("batch", "Flyway Teams performance setting"),
        FlywayKey(
            "communityDBSupportEnabled", environmentVariable: "FLYWAY_COMMUNITY_DB_SUPPORT_DISABLED",
            .ignored("PostgreSQL is supported")),
        .ignored("reportEnabled", "Flyway report setting"),
        .ignored("reportFilename", "Flyway report setting"),
        .ignored("powershellExecutable", "Runway runs SQL migrations only"),
        .ignored("scriptPlaceholderPrefix", "Runway runs SQL migrations only"),
        .ignored("scriptPlaceholderSuffix", "Runway runs SQL migrations only"),
        .ignored("cleanOnValidationError", "removed in Flyway 11; Runway never cleans on a validation error"),
        .ignored("configurations", list: true, "Gradle plugin setting"),
        // Rejected: ignoring them would change the outcome.
        .unsupported("errorOverrides", "error overrides (Flyway Teams) are not supported"),
        .unsupported("callbackLocations", "separate callback locations are not supported; put callbacks in locations"),
        FlywayKey("infoSinceDate", noVariable: true, .unsupported("info filters are not supported")),
        FlywayKey("infoUntilDate", noVariable: true, .unsupported("info filters are not supported")),
        FlywayKey("infoSinceVersion", noVariable: true, .unsupported("info filters are not supported")),
        FlywayKey("infoUntilVersion", noVariable: true, .unsupported("info filters are not supported")),
        FlywayKey("infoOfState", noVariable: true, .unsupported("info filters are not supported")),
    ]

    /// Namespaces accepted and ignored: other databases' settings (`oracle.sqlplus`, `sqlserver.clean.mode`...) and
    /// the settings of Flyway commands Runway does not have (`check.*`, `generate.*`, `plugins.clean.mode`...), which
    /// Flyway Desktop writes into `flyway.toml`.
    static let ignoredNamespaces = [
        "oracle.", "sqlserver.", "mysql.", "mariadb.", "db2.", "snowflake.", "bigquery.", "cockroachdb.", "redshift.",
        "sqlite.", "h2.", "hsqldb.", "derby.", "informix.", "sybase.", "saphana.", "firebird.", "yugabytedb.",
        "clickhouse.", "mongodb.", "singlestore.", "tidb.", "spanner.", "databricks.",
        "check.", "generate.", "diff.", "diffApply.", "diffText.", "model.", "snapshot.", "prepare.", "deploy.",
        "plugins.", "sqlFluff.", "codeAnalysis.", "authenticate.",
    ]

    /// The `placeholders.*` row: `placeholders.name=value` sets the `${name}` placeholder.
    static let placeholder = FlywayKey(
        "placeholders.*", noVariable: true,
        .setting { configuration, setting throws(RunwayError) in
            let name = String(setting.key.dropFirst("placeholders.".count))
            guard !name.isEmpty else {
                throw .configuration(
                    "Invalid placeholder setting \(setting.key): the name is missing (set by \(setting.source))")
            }
            configuration.placeholders[name] = setting.value.text
        })

    /// The `jdbcProperties.*` row: pgjdbc connection properties.
    static let jdbcProperty = FlywayKey("jdbcProperties.*", noVariable: true, .connection)

    /// The `environments.*` row (TOML environments set on the command line, `-environments.prod.url=...`).
    static let environmentsPrefix = FlywayKey("environments.*", noVariable: true, .loader)

    // Names and variables are unique in `all` (FlywayKeyTests.distinct checks it), so these initialisers, which
    // trap on a duplicate key, cannot trap.
    private static let byName: [String: FlywayKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    private static let byEnvironmentVariable: [String: String] = Dictionary(
        uniqueKeysWithValues: all.compactMap { key in key.environmentVariable.map { ($0, key.name) } })

    /// The row for a key (prefixed keys included), or `nil` when Runway does not know it.
    static func lookup(_ key: String) -> FlywayKey? {
        if let row = byName[key] { return row }
        if key.hasPrefix("placeholders.") { return placeholder }
        if key.hasPrefix("jdbcProperties.") { return jdbcProperty }
        if key.hasPrefix("environments.") { return environmentsPrefix }
        if let namespace = ignoredNamespaces.first(where: { key.hasPrefix($0) }) {
            return FlywayKey(key, noVariable: true, .ignored("\(namespace.dropLast()) setting"))
        }
        return nil
    }

    /// The key an environment variable sets, or `nil` when it is not one of Flyway's.
    ///
    /// `FLYWAY_PLACEHOLDERS_<NAME>` sets `placeholders.<name>` (name lower-cased) and `FLYWAY_JDBC_PROPERTIES_<X>`
    /// sets `jdbcProperties.<x>` (lower-cased; `ACCESSTOKEN` → `accessToken`), as Flyway's `ConfigUtils.convertKey`.
    static func key(forEnvironmentVariable name: String) -> String? {
        if let key = byEnvironmentVariable[name] { return key }
        let placeholders = "FLYWAY_PLACEHOLDERS_"
        if name.hasPrefix(placeholders), name.count > placeholders.count {
            return "placeholders." + name.dropFirst(placeholders.count).lowercased()
        }
        let properties = "FLYWAY_JDBC_PROPERTIES_"
        if name.hasPrefix(properties), name.count > properties.count {
            let property = name.dropFirst(properties.count)
            return "jdbcProperties." + (property == "ACCESSTOKEN" ? "accessToken" : property.lowercased())
        }
        return nil
    }
}
