/// A migration file found in a location, with its parsed name and Flyway checksum.
///
/// The fields live in shared copy-on-write storage, so copying a resolved migration (sorting, merging with the
/// history) costs one reference count, not one per string.
public struct ResolvedMigration: Sendable, Hashable {
    private struct Fields: Sendable, Hashable {
        var kind: MigrationKind
        var version: MigrationVersion?
        var description: String
        var script: String
        var path: String
        var checksum: Checksum
        var equivalentChecksum: Checksum?
    }

    private var box: CopyOnWriteBox<Fields>

    /// Versioned, repeatable or baseline.
    public var kind: MigrationKind {
        get { box.value.kind }
        set { CopyOnWriteBox.update(&box) { $0.kind = newValue } }
    }
    /// The version (`nil` for repeatables).
    public var version: MigrationVersion? {
        get { box.value.version }
        set { CopyOnWriteBox.update(&box) { $0.version = newValue } }
    }
    /// The description from the file name (`_` replaced by spaces).
    public var description: String {
        get { box.value.description }
        set { CopyOnWriteBox.update(&box) { $0.description = newValue } }
    }
    /// The path relative to its location, with `/` separators; stored in the `script` column.
    public var script: String {
        get { box.value.script }
        set { CopyOnWriteBox.update(&box) { $0.script = newValue } }
    }
    /// The absolute path of the file.
    public var path: String {
        get { box.value.path }
        set { CopyOnWriteBox.update(&box) { $0.path = newValue } }
    }
    /// The checksum written to the history table: raw for versioned and baseline migrations, placeholder-replaced
    /// for repeatables (when placeholder replacement is on).
    public var checksum: Checksum {
        get { box.value.checksum }
        set { CopyOnWriteBox.update(&box) { $0.checksum = newValue } }
    }
    /// For repeatables, the checksum of the raw text, accepted as equivalent (Flyway's `equivalentChecksum`).
    public var equivalentChecksum: Checksum? {
        get { box.value.equivalentChecksum }
        set { CopyOnWriteBox.update(&box) { $0.equivalentChecksum = newValue } }
    }

    /// The history table `type` value (`SQL` or `SQL_BASELINE`).
    public var type: MigrationType { kind.historyType }

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
        box = CopyOnWriteBox(
            Fields(
                kind: kind, version: version, description: description, script: script, path: path,
                checksum: checksum, equivalentChecksum: equivalentChecksum))
    }

    public static func == (lhs: ResolvedMigration, rhs: ResolvedMigration) -> Bool {
        lhs.box === rhs.box || lhs.box.value == rhs.box.value
    }

    public func hash(into hasher: inout Hasher) { box.value.hash(into: &hasher) }
}
