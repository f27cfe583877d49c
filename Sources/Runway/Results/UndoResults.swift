/// A versioned migration `undo` reverted, by running its undo file.
public struct UndoneMigrationReport: Sendable, Hashable, Codable {
    /// The version undone.
    public var version: String
    /// The undo file's description.
    public var description: String
    /// The undo file's path relative to its location (the `script` of its `UNDO_SQL` row).
    public var script: String
    /// The undo file's absolute path.
    public var filepath: String
    /// Milliseconds the undo took.
    public var executionTime: Int
}

/// What `undo` did (Flyway Teams' `undo` result).
public struct UndoResult: Sendable {
    /// The schema version before the run (`nil` for an empty schema).
    public var initialSchemaVersion: String?
    /// The schema version after the run (`nil` once every versioned migration is undone).
    public var targetSchemaVersion: String?
    /// The schemas Runway manages, the history table's first.
    public var schemas: [String]
    /// The migrations undone, latest applied first.
    public var migrations: [UndoneMigrationReport]
    /// The database name.
    public var database: String
    /// Warnings (skipped locations).
    public var warnings: [String]
    /// Total wall-clock milliseconds of the run.
    public var totalUndoTime: Int
    /// Number of migrations undone.
    public var migrationsUndone: Int { migrations.count }
}
