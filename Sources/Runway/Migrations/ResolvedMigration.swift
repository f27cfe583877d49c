/// A migration file found in a location, with its parsed name and Flyway checksum.
public struct ResolvedMigration: Sendable, Hashable {
    /// Versioned, repeatable or baseline.
    public var kind: MigrationKind
    /// The version (`nil` for repeatables).
    public var version: MigrationVersion?
    /// The description from the file name (`_` replaced by spaces).
    public var description: String
    /// The path relative to its location, with `/` separators; stored in the `script` column.
    public var script: String
    /// The absolute path of the file.
    public var path: String
    /// The checksum written to the history table: raw for versioned and baseline migrations, placeholder-replaced
    /// for repeatables (when placeholder replacement is on).
    public var checksum: Checksum
    /// For repeatables, the checksum of the raw text, accepted as equivalent (Flyway's `equivalentChecksum`).
    public var equivalentChecksum: Checksum?

    /// The history table `type` value (`SQL` or `SQL_BASELINE`).
    public var type: String { kind.historyType }

    /// Whether a stored checksum matches this file (either checksum counts; a `nil` stored checksum matches).
    public func checksumMatches(_ stored: Int32?) -> Bool {
        guard let stored else { return true }
        return stored == checksum.value || stored == equivalentChecksum?.value
    }

    /// Creates a resolved migration.
    public init(
        kind: MigrationKind, version: MigrationVersion?, description: String, script: String, path: String,
        checksum: Checksum, equivalentChecksum: Checksum? = nil
    ) {
        self.kind = kind
        self.version = version
        self.description = description
        self.script = script
        self.path = path
        self.checksum = checksum
        self.equivalentChecksum = equivalentChecksum
    }
}
