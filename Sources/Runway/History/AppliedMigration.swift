/// One row of the `flyway_schema_history` table.
///
/// The fields live in shared copy-on-write storage, so copying a row (merging ten thousand of them with the files)
/// costs one reference count, not one per string.
public struct AppliedMigration: Sendable, Hashable {
    private struct Fields: Sendable, Hashable {
        var installedRank: Int
        var versionText: String?
        var version: MigrationVersion?
        var description: String
        var type: MigrationType
        var script: String
        var checksum: Int32?
        var installedBy: String
        var installedOn: String
        var installedOnUTC: String
        var executionTime: Int
        var success: Bool
    }

    private var box: CopyOnWriteBox<Fields>

    /// `installed_rank`: the order in which rows were written (0 for a schema marker in an empty table).
    public var installedRank: Int {
        get { box.value.installedRank }
        set { CopyOnWriteBox.update(&box) { $0.installedRank = newValue } }
    }
    /// `version` as stored (`nil` for repeatables and markers).
    public var versionText: String? {
        get { box.value.versionText }
        set { CopyOnWriteBox.update(&box) { $0.versionText = newValue } }
    }
    /// `version` parsed with Flyway's rules, or `nil`.
    public var version: MigrationVersion? {
        get { box.value.version }
        set { CopyOnWriteBox.update(&box) { $0.version = newValue } }
    }
    /// `description`.
    public var description: String {
        get { box.value.description }
        set { CopyOnWriteBox.update(&box) { $0.description = newValue } }
    }
    /// `type`: `SQL`, `SQL_BASELINE`, `BASELINE`, `SCHEMA`, `DELETE`, `JDBC`, `SCRIPT`...
    public var type: MigrationType {
        get { box.value.type }
        set { CopyOnWriteBox.update(&box) { $0.type = newValue } }
    }
    /// `script`: the path relative to its location, or a marker text.
    public var script: String {
        get { box.value.script }
        set { CopyOnWriteBox.update(&box) { $0.script = newValue } }
    }
    /// `checksum` (may be `NULL`).
    public var checksum: Int32? {
        get { box.value.checksum }
        set { CopyOnWriteBox.update(&box) { $0.checksum = newValue } }
    }
    /// `installed_by`.
    public var installedBy: String {
        get { box.value.installedBy }
        set { CopyOnWriteBox.update(&box) { $0.installedBy = newValue } }
    }
    /// `installed_on` in the server session's time zone, `yyyy-MM-dd HH:mm:ss` (empty when the history was
    /// read without times, as `validate` and `migrate` read it).
    public var installedOn: String {
        get { box.value.installedOn }
        set { CopyOnWriteBox.update(&box) { $0.installedOn = newValue } }
    }
    /// `installed_on` as ISO 8601 UTC with microseconds (`2026-11-21T08:38:54.184418Z`; empty when read
    /// without times).
    public var installedOnUTC: String {
        get { box.value.installedOnUTC }
        set { CopyOnWriteBox.update(&box) { $0.installedOnUTC = newValue } }
    }
    /// `execution_time` in milliseconds.
    public var executionTime: Int {
        get { box.value.executionTime }
        set { CopyOnWriteBox.update(&box) { $0.executionTime = newValue } }
    }
    /// `success`.
    public var success: Bool {
        get { box.value.success }
        set { CopyOnWriteBox.update(&box) { $0.success = newValue } }
    }

    /// Creates a row value.
    public init(
        installedRank: Int, versionText: String?, description: String, type: MigrationType, script: String,
        checksum: Int32?, installedBy: String = "", installedOn: String = "", installedOnUTC: String = "",
        executionTime: Int = 0, success: Bool = true
    ) {
        box = CopyOnWriteBox(
            Fields(
                installedRank: installedRank, versionText: versionText,
                version: versionText.flatMap { try? MigrationVersion($0) }, description: description, type: type,
                script: script, checksum: checksum, installedBy: installedBy, installedOn: installedOn,
                installedOnUTC: installedOnUTC, executionTime: executionTime, success: success))
    }

    /// Marker rows Flyway writes that are not migrations (`SCHEMA`, `BASELINE`, `DELETE`).
    public var isSynthetic: Bool { type.isSynthetic }
    /// Rows that set a baseline (`BASELINE` markers and applied `SQL_BASELINE` migrations).
    public var isBaseline: Bool { type == .baseline || type == .sqlBaseline }

    public static func == (lhs: AppliedMigration, rhs: AppliedMigration) -> Bool {
        lhs.box === rhs.box || lhs.box.value == rhs.box.value
    }

    public func hash(into hasher: inout Hasher) { box.value.hash(into: &hasher) }
}
