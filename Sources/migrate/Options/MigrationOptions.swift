import ArgumentParser
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Runway

/// Where the migrations are and how they are applied. Every option is optional: an unset option leaves the value
/// from Flyway's `-key=value` arguments, the environment or config files (in that order), then the default.
struct MigrationOptions: ParsableArguments {
    @Option(help: "Comma-separated migration folders; 'filesystem:' prefix optional (default: migrations).")
    var locations: String?

    @Option(help: "Comma-separated schemas to manage; the first holds the history table.")
    var schemas: String?

    @Option(help: "Schema of the history table, when not the first of --schemas.")
    var defaultSchema: String?

    @Option(help: "The schema history table (default: flyway_schema_history).")
    var table: String?

    @Option(name: .customLong("placeholder"), help: "A placeholder value, name=value (repeatable).")
    var placeholders: [String] = []

    @Flag(help: "Fail on SQL file names that do not follow the V/R naming convention instead of skipping them.")
    var validateMigrationNaming = false

    @Flag(help: "Apply versioned migrations older than the current version.")
    var outOfOrder = false

    @Option(help: "Target version: a version, latest, current or next.")
    var target: String?

    @Option(help: "Comma-separated <type>:<state> patterns validation ignores (default *:future).")
    var ignoreMigrationPatterns: String?

    @Option(help: "Seconds to wait for the migration lock, one try per second (-1 waits forever; default 50).")
    var lockRetryCount: Int?

    @Option(help: "Value for installed_by (default: the database user).")
    var installedBy: String?

    @Flag(help: "Fail when a location folder does not exist.")
    var failOnMissingLocations = false

    @Flag(help: "Baseline a non-empty schema without a history table instead of refusing it.")
    var baselineOnMigrate = false

    @Option(help: "Version recorded by baseline (default 1).")
    var baselineVersion: String?

    @Option(help: "Description recorded by baseline (default '<< Flyway Baseline >>').")
    var baselineDescription: String?

    @Flag(help: "Apply all pending migrations in one transaction.")
    var group = false

    @Option(
        help: ArgumentHelp(
            "Only these pending migrations: versions (2,1.1) or repeatable descriptions (Flyway's cherryPick).",
            valueName: "list"))
    var cherryPick: String?

    @Option(
        help: ArgumentHelp(
            "migrate: write the SQL it would run to this file (- for stdout) and change nothing (Flyway's "
                + "dryRunOutput).", valueName: "file"))
    var dryRunOutput: String?

    @Flag(help: "migrate: write the SQL it would run to stdout and change nothing (--dry-run-output -).")
    var dryRun = false

    @Flag(
        help: "Allow transactional and non-transactional statements in one script (it then runs without a transaction)."
    )
    var mixed = false

    @Option(help: "true/false: validate before migrating (default true).")
    var validateOnMigrate: Bool?

    @Option(help: "true/false: create missing schemas (default true).")
    var createSchemas: Bool?

    @Option(help: "true/false: refuse clean (default true).")
    var cleanDisabled: Bool?

    @Option(help: "true/false: run migrations in transactions when possible (default true).")
    var executeInTransaction: Bool?

    @Option(help: "true/false: replace ${placeholders} (default true).")
    var placeholderReplacement: Bool?

    @Option(help: "SQL to run on every new connection.")
    var initSql: String?

    @Option(help: "Encoding of migration files (default UTF-8).")
    var encoding: String?

    @Flag(help: "Record pending migrations as applied without running them.")
    var skipExecutingMigrations = false

    @Option(help: "DDL safety: lock_timeout for each migration (500ms, 5s...); a timed-out migration is retried.")
    var lockTimeout: String?

    @Option(help: "DDL safety: how often a migration that hit --lock-timeout is retried (default 3).")
    var lockTimeoutRetries: Int?

    @Option(help: "DDL safety: statement_timeout for each migration statement (30s, 10min...).")
    var statementTimeout: String?

    func apply(to configuration: inout Configuration) throws(RunwayError) {
        if let locations {
            configuration.locations = try SettingRule.nonEmpty(Self.list(locations), setting: "--locations")
        }
        if let schemas {
            configuration.schemas = try SettingRule.nonEmpty(Self.list(schemas), setting: "--schemas").map {
                (name) throws(RunwayError) in try SettingRule.schemaName(name, setting: "--schemas")
            }
        }
        if let defaultSchema {
            configuration.defaultSchema = try SettingRule.schemaName(defaultSchema, setting: "--default-schema")
        }
        if let table { configuration.table = try SettingRule.tableName(table, setting: "--table") }
        for item in placeholders {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw RunwayError(.configuration, "--placeholder '\(item)' must look like name=value")
            }
            configuration.placeholders[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        // A flag can only switch its setting on; a true/false option replaces it when given.
        let flags: [(Bool, WritableKeyPath<Configuration, Bool>)] = [
            (validateMigrationNaming, \.validateMigrationNaming), (outOfOrder, \.outOfOrder),
            (failOnMissingLocations, \.failOnMissingLocations), (baselineOnMigrate, \.baselineOnMigrate),
            (group, \.group), (mixed, \.mixed), (skipExecutingMigrations, \.skipExecutingMigrations),
        ]
        for (flag, field) in flags where flag { configuration[keyPath: field] = true }
        let switches: [(Bool?, WritableKeyPath<Configuration, Bool>)] = [
            (validateOnMigrate, \.validateOnMigrate), (createSchemas, \.createSchemas),
            (cleanDisabled, \.cleanDisabled), (executeInTransaction, \.executeInTransaction),
            (placeholderReplacement, \.placeholderReplacement),
        ]
        for case let (value?, field) in switches { configuration[keyPath: field] = value }
        if let target { configuration.target = try MigrationTarget(parsing: target) }
        if dryRun { configuration.dryRunOutput = "-" }
        if let dryRunOutput {
            guard !dryRunOutput.isEmpty else {
                throw RunwayError(.configuration, "--dry-run-output needs a file, or -")
            }
            configuration.dryRunOutput = dryRunOutput
        }
        if let cherryPick {
            configuration.cherryPick = try SettingRule.nonEmpty(Self.list(cherryPick), setting: "--cherry-pick")
        }
        if let ignoreMigrationPatterns {
            configuration.ignoreMigrationPatterns = try ValidatePattern.parseList(ignoreMigrationPatterns)
        }
        if let lockRetryCount {
            guard lockRetryCount >= -1 else {
                throw RunwayError(.configuration, "--lock-retry-count must be -1 or more")
            }
            configuration.lockRetryCount = lockRetryCount
        }
        if let installedBy { configuration.installedBy = installedBy }
        if let baselineVersion {
            do { _ = try MigrationVersion(baselineVersion) } catch {
                throw RunwayError(.configuration, "--baseline-version '\(baselineVersion)' is not a valid version")
            }
            configuration.baselineVersion = baselineVersion
        }
        if let baselineDescription { configuration.baselineDescription = baselineDescription }
        if let initSql { configuration.initSql = initSql }
        if let encoding { configuration.encoding = encoding }
        if let lockTimeout {
            configuration.ddlSafety.lockTimeoutMilliseconds = try DDLSafetyPolicy.milliseconds(
                lockTimeout, setting: "--lock-timeout")
        }
        if let statementTimeout {
            configuration.ddlSafety.statementTimeoutMilliseconds = try DDLSafetyPolicy.milliseconds(
                statementTimeout, setting: "--statement-timeout")
        }
        if let lockTimeoutRetries {
            guard lockTimeoutRetries >= 0 else {
                throw RunwayError(.configuration, "--lock-timeout-retries must be 0 or more")
            }
            configuration.ddlSafety.lockTimeoutRetries = lockTimeoutRetries
        }
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
    }
}
