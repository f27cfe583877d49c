/// A migration `migrate` applied.
public struct AppliedMigrationReport: Sendable, Hashable, Codable {
    /// `Versioned`, `Repeatable` or `Baseline`.
    public var category: String
    /// The version text, or `nil` for repeatables.
    public var version: String?
    /// The description.
    public var description: String
    /// The history `type` (`SQL`).
    public var type: MigrationType
    /// The path relative to its location.
    public var script: String
    /// The absolute path of the file.
    public var filepath: String
    /// Milliseconds the migration took.
    public var executionTime: Int
    /// Whether it ran in a transaction together with its history row.
    public var transactional: Bool
}

/// What `migrate` did.
public struct MigrateResult: Sendable {
    /// The schema version before the run (`nil` for an empty schema).
    public var initialSchemaVersion: String?
    /// The schema version after the run.
    public var targetSchemaVersion: String?
    /// The schemas Runway manages, the history table's first.
    public var schemas: [String]
    /// The migrations applied, in order.
    public var migrations: [AppliedMigrationReport]
    /// The database name.
    public var database: String
    /// Warnings (for example future migrations in the history).
    public var warnings: [String]
    /// Total wall-clock milliseconds of the run.
    public var totalMigrationTime: Int
    /// Number of migrations applied.
    public var migrationsExecuted: Int { migrations.count }
}

/// What `info` found: every file and history row with its Flyway state.
public struct InfoResult: Sendable {
    /// The current schema version (`nil` for `<< Empty Schema >>`).
    public var schemaVersion: String?
    /// The schemas Runway manages.
    public var schemas: [String]
    /// The history table's schema-qualified name.
    public var historyTable: String
    /// Whether the history table exists yet.
    public var historyTableExists: Bool
    /// Every entry, in Flyway's order.
    public var migrations: [MigrationInfo]
    /// The database name.
    public var database: String
    /// Whether every managed schema is empty (Flyway's `allSchemasEmpty`).
    public var allSchemasEmpty: Bool
}

/// What `validate` found.
public struct ValidateResult: Sendable {
    /// One entry per problem, in Flyway's wording; empty when validation succeeded.
    public var problems: [ValidationProblem]
    /// Number of entries validated.
    public var validateCount: Int
    /// The database name.
    public var database: String
    /// Warnings such as "No migrations found".
    public var warnings: [String]
    /// Whether everything applied matches the files and nothing is pending.
    public var isValid: Bool { problems.isEmpty }
}

/// What `baseline` did.
public struct BaselineResult: Sendable {
    /// Whether a baseline row was written (false when the same baseline already existed).
    public var successfullyBaselined: Bool
    /// The baseline version.
    public var baselineVersion: String
    /// The database name.
    public var database: String
    /// Warnings.
    public var warnings: [String]
}

/// A history row `repair` removed, marked deleted or realigned.
public struct RepairedMigration: Sendable, Hashable {
    /// The version (`nil` for repeatables).
    public var version: String?
    /// The description.
    public var description: String
    /// The script path.
    public var script: String
    /// The file path, when the migration has a file.
    public var filepath: String?
}

/// What `repair` did.
public struct RepairResult: Sendable {
    /// Flyway's action strings: `Removed failed migrations`, `Marked missing migrations as deleted`, `Aligned
    /// applied migration checksums`.
    public var repairActions: [String]
    /// Failed rows deleted.
    public var migrationsRemoved: [RepairedMigration]
    /// Missing migrations marked deleted (`DELETE` rows appended).
    public var migrationsDeleted: [RepairedMigration]
    /// Rows whose checksum, description or type was realigned with the file.
    public var migrationsAligned: [RepairedMigration]
    /// The database name.
    public var database: String
}

/// What `clean` did.
public struct CleanResult: Sendable {
    /// Schemas whose objects were dropped.
    public var schemasCleaned: [String]
    /// Schemas dropped entirely (those Runway or Flyway created).
    public var schemasDropped: [String]
    /// The database name.
    public var database: String
}

/// What `wait` saw when the schema was ready.
public struct WaitResult: Sendable {
    /// The schema version.
    public var schemaVersion: String?
    /// How many checks it took.
    public var attempts: Int
}

/// One problem a CI check found, pointing at a file and line where it can.
public struct CIFinding: Sendable, Hashable, Codable {
    /// Errors fail the build; warnings are reported only. The same type as a lint finding's severity.
    public typealias Severity = LintFinding.Severity

    /// Errors fail the build.
    public var severity: Severity
    /// A stable code: `INVALID_NAME`, `DUPLICATE_VERSION`, `INVALID_ENCODING`, `UNTERMINATED_SQL`,
    /// `UNDEFINED_PLACEHOLDER`, `MIXED_TRANSACTIONALITY`, `SCRIPT_CONFIG`, `CHANGED_AFTER_RELEASE`,
    /// `DELETED_AFTER_RELEASE`, `VERSION_CLASH`, `OUT_OF_ORDER`, `MIGRATION_FAILED`, a lint rule id, or a Flyway
    /// validation code.
    public var code: String
    /// The file, relative to its location (or to the repository for git checks).
    public var file: String?
    /// The 1-based line.
    public var line: Int?
    /// What is wrong and what to do.
    public var message: String

    /// Creates a finding.
    public init(severity: Severity, code: String, file: String?, line: Int?, message: String) {
        self.severity = severity
        self.code = code
        self.file = file
        self.line = line
        self.message = message
    }
}

/// What an offline (or scratch) validation found.
public struct CIReport: Sendable {
    /// Every finding, errors and warnings, in file order.
    public var findings: [CIFinding]
    /// Migration files checked.
    public var migrationsChecked: Int
    /// For `--scratch`: each migration applied and its time.
    public var applied: [AppliedMigrationReport]
    /// Whether no finding is an error.
    public var isValid: Bool { !findings.contains { $0.severity == .error } }

    /// Creates a report.
    public init(findings: [CIFinding], migrationsChecked: Int, applied: [AppliedMigrationReport] = []) {
        self.findings = findings
        self.migrationsChecked = migrationsChecked
        self.applied = applied
    }
}

/// What a dry run of `migrate` found: the migrations it would apply (their execution times are 0).
public struct DryRunResult: Sendable {
    /// The schema version before.
    public var initialSchemaVersion: String?
    /// Whether the history table exists (without it, the script creates it first).
    public var historyTableExists: Bool
    /// The migrations the script applies, in order.
    public var migrations: [AppliedMigrationReport]
    /// The database name.
    public var database: String
    /// The managed schemas, the default one first.
    public var schemas: [String]
}
