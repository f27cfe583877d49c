#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Everything a ``Migrator`` needs: where the database is, where the migrations are, and Flyway's options.
///
/// Build it in code, or start from ``Configuration/fromEnvironment(_:)`` to read the `DB_*` variables a Kubernetes
/// ConfigMap and Secret inject.
public struct Configuration: Sendable {
    /// How to reach PostgreSQL.
    public var connection = ConnectionSettings()
    /// Migration folders (`filesystem:` prefix optional), scanned recursively; hidden folders are skipped. Relative
    /// folders are resolved against ``workingDirectory`` or the current directory. A folder that does not exist is
    /// skipped with an error log (or fails the run with ``failOnMissingLocations``); an empty list, or one where no
    /// folder exists, fails every command before it connects.
    public var locations: [String] = ["migrations"]
    /// Schemas Runway manages; the first holds the history table. Empty: the connection's current schema. Each name
    /// must be non-empty and at most 63 bytes in UTF-8 (PostgreSQL's limit).
    public var schemas: [String] = []
    /// The schema of the history table, when it differs from the first of `schemas` (at most 63 bytes).
    public var defaultSchema: String?
    /// The history table name (Flyway's `table`): non-empty and at most 61 bytes in UTF-8, so that its `<table>_pk`
    /// and `<table>_s_idx` stay distinct within PostgreSQL's 63-byte limit.
    public var table = "flyway_schema_history"
    /// `${name}` placeholder values (names are case-insensitive).
    public var placeholders: [String: String] = [:]
    /// Whether placeholders are replaced at all (Flyway's `placeholderReplacement`).
    public var placeholderReplacement = true
    /// Placeholder prefix (Flyway's `placeholderPrefix`, default `${`).
    public var placeholderPrefix = "${"
    /// Placeholder suffix (Flyway's `placeholderSuffix`, default `}`).
    public var placeholderSuffix = "}"
    /// File-name conventions (prefixes, separator, suffixes).
    public var naming = NamingConvention()
    /// Fail on file names that do not follow the convention instead of skipping them with a log line.
    public var validateMigrationNaming = false
    /// Fail when any location folder does not exist, instead of skipping it with an error log (when none exists the
    /// run fails either way).
    public var failOnMissingLocations = false
    /// Apply versioned migrations older than the current version instead of reporting them as ignored.
    public var outOfOrder = false
    /// Validate before migrating (Flyway's `validateOnMigrate`).
    public var validateOnMigrate = true
    /// Flyway's `ignoreMigrationPatterns` (default `*:future`).
    public var ignoreMigrationPatterns: [ValidatePattern] = ValidatePattern.defaults
    /// Flyway's `target`.
    public var target: MigrationTarget = .latest
    /// Retries of `pg_try_advisory_lock`, one second apart (Flyway's `lockRetryCount`, default 50; -1 = forever).
    public var lockRetryCount = 50
    /// Longest wait for the advisory lock, in seconds, on top of `lockRetryCount` (whichever ends first); `nil` means
    /// no time bound. Runway's own setting (`--lock-wait-timeout`); Flyway has no equivalent.
    public var lockWaitTimeout: Double?
    /// Connection attempts after the first (Flyway's `connectRetries`).
    public var connectRetries = 0
    /// Longest wait between connection attempts in seconds (Flyway's `connectRetriesInterval`, default 120).
    public var connectRetriesInterval = 120
    /// Create missing schemas (Flyway's `createSchemas`).
    public var createSchemas = true
    /// The `installed_by` value; `nil` means the database's `current_user`.
    public var installedBy: String?
    /// Run scripts that mix transactional and non-transactional statements, all outside a transaction.
    public var mixed = false
    /// Run each migration in a transaction when its statements allow it (Flyway's `executeInTransaction`).
    public var executeInTransaction = true
    /// Runway's `lock_timeout`/`statement_timeout` policy for migrations (off by default).
    public var ddlSafety = DDLSafetyPolicy()
    /// Apply all pending migrations in one transaction (Flyway's `group`).
    public var group = false
    /// Baseline a non-empty schema that has no history table instead of refusing it (Flyway's `baselineOnMigrate`).
    public var baselineOnMigrate = false
    /// The version `baseline` records (Flyway's `baselineVersion`, default `1`).
    public var baselineVersion = "1"
    /// The description `baseline` records (Flyway's `baselineDescription`).
    public var baselineDescription = "<< Flyway Baseline >>"
    /// Refuse `clean` (Flyway's `cleanDisabled`, default `true`: clean drops everything in the managed schemas).
    public var cleanDisabled = true
    /// SQL run on every new connection before anything else (Flyway's `initSql`).
    public var initSql: String?
    /// Encoding of migration files (Flyway's `encoding`, default `UTF-8`).
    public var encoding = "UTF-8"
    /// Record migrations as applied without running them (Flyway's `skipExecutingMigrations`).
    public var skipExecutingMigrations = false
    /// Only these pending migrations, by version (`2`, `1.1`) or repeatable description (Flyway's `cherryPick`).
    public var cherryPick: [String] = []
    /// Where `migrate` writes its dry run instead of changing the database (Flyway's `dryRunOutput`; `-` is
    /// stdout). ``Migrator/migrate()`` refuses to run while it is set: call ``Migrator/dryRun(_:)``.
    public var dryRunOutput: String?
    /// Tablespace for the history table (Flyway's `tablespace`).
    public var tablespace: String?
    /// Flyway's `postgresql.transactional.lock`. Accepted for compatibility: Runway always holds a session-level
    /// lock on an idle connection, which excludes Flyway in either mode and never blocks `CREATE INDEX CONCURRENTLY`.
    public var transactionalLock = true
    /// Separator of built-in placeholders such as `${flyway:user}` (Flyway's `placeholderSeparator`, default `:`):
    /// with `_`, the built-ins are `${flyway_user}`, `${flyway_defaultSchema}`...
    public var placeholderSeparator = ":"
    /// The folder relative locations are resolved against (Flyway's `workingDirectory`); `nil` = current directory.
    public var workingDirectory: String?
    /// The name of the selected Flyway environment, the value of `${flyway:environment}` (default `default`). The
    /// configuration loader sets it from `-environment=` or the `environment` that selects a `flyway.toml`
    /// environment; it changes nothing else.
    public var environment = "default"

    /// Flyway's defaults with `migrations` as the location.
    public init() {}
}

// MARK: - Checks

extension Configuration {
    /// Checks the names Runway writes into SQL before anything connects: `table`, every one of `schemas` and
    /// `defaultSchema` must be non-empty and fit PostgreSQL's identifier limit (see ``SettingRule``).
    func checkNames() throws(RunwayError) {
        _ = try SettingRule.tableName(table, setting: "table")
        for schema in schemas { _ = try SettingRule.schemaName(schema, setting: "schemas") }
        if let defaultSchema { _ = try SettingRule.schemaName(defaultSchema, setting: "defaultSchema") }
    }

    /// Checks the names (``checkNames()``) and the numbers that cannot be right whatever the database: negative
    /// retry counts and timeouts (Flyway's `-1` for `lockRetryCount` means "forever" and is accepted). Every ``Migrator`` command runs it before it opens
    /// anything.
    ///
    /// - Throws: ``RunwayError`` `.configuration` naming the field and its value.
    public func validate() throws(RunwayError) {
        try checkNames()
        let counts: [(String, Int, minimum: Int, meaning: String)] = [
            ("connectRetries", connectRetries, 0, "0 or more connection attempts after the first"),
            ("connectRetriesInterval", connectRetriesInterval, 0, "0 or more seconds"),
            ("lockRetryCount", lockRetryCount, -1, "0 or more retries, or -1 to wait forever"),
            ("connection.connectTimeout", connection.connectTimeout, 0, "0 (no limit) or more seconds"),
            ("ddlSafety.lockTimeoutRetries", ddlSafety.lockTimeoutRetries, 0, "0 or more retries"),
            ("ddlSafety.lockTimeoutMilliseconds", ddlSafety.lockTimeoutMilliseconds ?? 0, 0, "0 or more (or nil)"),
            (
                "ddlSafety.statementTimeoutMilliseconds", ddlSafety.statementTimeoutMilliseconds ?? 0, 0,
                "0 or more (or nil)"
            ),
        ]
        for (field, value, minimum, meaning) in counts where value < minimum {
            throw .configuration("Invalid configuration: \(field) is \(value); expected \(meaning)")
        }
        if let lockWaitTimeout, !(lockWaitTimeout >= 0 && lockWaitTimeout.isFinite) {
            throw .configuration(
                "Invalid configuration: lockWaitTimeout is \(lockWaitTimeout); expected 0 or more seconds (or nil for "
                    + "no time bound)")
        }
    }
}

// MARK: - Environment

extension Configuration {
    /// Reads `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USERNAME`, `DB_PASSWORD` (or `DB_PASSWORD_FILE`), `DB_SSLMODE`,
    /// `DB_SSLROOTCERT`, `DB_SSLCERT`, `DB_SSLKEY`, `DB_SSLPASSWORD` and `DB_APPLICATION_NAME`.
    ///
    /// Unset variables are left to libpq's own `PG*` variables. A value that cannot be right (`DB_PORT=abc`, an empty
    /// `DB_HOST`, an empty `DB_NAME` or `DB_USERNAME` with no `PGDATABASE` or `PGUSER` to fall back on, both
    /// `DB_PASSWORD` and `DB_PASSWORD_FILE`) is rejected here, before any connection, with an error naming the
    /// variable. An empty `DB_PASSWORD` counts as unset (libpq treats an empty password as none).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RunwayError) -> Configuration {
        var configuration = Configuration()
        try configuration.connection.apply(environment: environment)
        return configuration
    }
}

extension ConnectionSettings {
    /// Applies the `DB_*` variables; see ``Configuration/fromEnvironment(_:)``.
    public mutating func apply(environment: [String: String]) throws(RunwayError) {
        if let host = environment["DB_HOST"] {
            guard !host.trimmingSpaces().isEmpty else {
                throw .configuration("DB_HOST is set but empty: set it to the database host (or unset it)")
            }
            self.host = host
        }
        if let port = environment["DB_PORT"] {
            guard let ports = Self.ports(parsing: port) else {
                throw .configuration("DB_PORT='\(port)' is not a valid port: expected a number between 1 and 65535")
            }
            self.ports = ports
        }
        if let name = environment["DB_NAME"] {
            if name.trimmingSpaces().isEmpty {
                guard let fallback = environment["PGDATABASE"], !fallback.isEmpty else {
                    throw .configuration("DB_NAME is set but empty: set it to the database name (or unset it)")
                }
            } else {
                database = name
            }
        }
        if let user = environment["DB_USERNAME"] {
            if user.trimmingSpaces().isEmpty {
                // libpq would log in as the operating-system user: never what an empty DB_USERNAME meant.
                guard let fallback = environment["PGUSER"], !fallback.isEmpty else {
                    throw .configuration("DB_USERNAME is set but empty: set it to the login role (or unset it)")
                }
            } else {
                self.user = user
            }
        }
        // An empty password is no password to libpq: an empty DB_PASSWORD counts as unset.
        let givenPassword = environment["DB_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        let passwordFile = environment["DB_PASSWORD_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if givenPassword != nil, passwordFile != nil {
            throw .configuration("DB_PASSWORD and DB_PASSWORD_FILE are both set: use only one of them")
        }
        if let givenPassword { password = givenPassword }
        if let passwordFile { password = try Self.readPasswordFile(passwordFile, setting: "DB_PASSWORD_FILE") }
        if let mode = environment["DB_SSLMODE"], !mode.isEmpty {
            guard Self.sslModes.contains(mode) else {
                throw .configuration(
                    "DB_SSLMODE='\(mode)' is not valid: expected one of \(Self.sslModes.joined(separator: ", "))")
            }
            sslMode = mode
        }
        for (variable, field) in Self.certificateVariables {
            guard let path = environment[variable], !path.isEmpty else { continue }
            self[keyPath: field] = path
        }
        if let passphrase = environment["DB_SSLPASSWORD"], !passphrase.isEmpty { sslPassword = passphrase }
        if let name = environment["DB_APPLICATION_NAME"] {
            guard !name.trimmingSpaces().isEmpty else {
                throw .configuration(
                    "DB_APPLICATION_NAME is set but empty: set it to the name pg_stat_activity should show "
                        + "(or unset it)")
            }
            applicationName = name
        }
    }

    /// The `DB_*` variables holding certificate and key paths, and the fields they set.
    static let certificateVariables: [(String, WritableKeyPath<ConnectionSettings, String?> & Sendable)] = [
        ("DB_SSLROOTCERT", \.sslRootCert), ("DB_SSLCERT", \.sslCert), ("DB_SSLKEY", \.sslKey),
    ]

    /// Reads a mounted secret file; one trailing newline is dropped (as `kubectl create secret --from-file` keeps it).
    public static func readPasswordFile(_ path: String, setting: String) throws(RunwayError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("\(setting)='\(path)': the file cannot be read")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw .configuration("\(setting)='\(path)': the file is not UTF-8 text")
        }
        if text.hasSuffix("\r\n") { text.removeLast(1) } else if text.hasSuffix("\n") { text.removeLast() }
        if text.hasSuffix("\r") { text.removeLast() }
        guard !text.utf8.contains(0) else {
            // libpq takes the password as a C string: it would be cut at the NUL and fail as a wrong password.
            throw .configuration("\(setting)='\(path)': the file contains a NUL byte, which a password cannot hold")
        }
        return text
    }
}
