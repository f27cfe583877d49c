/// A migration `migrate` applied.
public struct AppliedMigrationReport: Sendable, Hashable, Codable {
    /// `Versioned`, `Repeatable` or `Baseline`.
    public var category: String
    /// The version text, or `nil` for repeatables.
    public var version: String?
    /// The description.
    public var description: String
    /// The history `type` (`SQL`).
    public var type: String
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
