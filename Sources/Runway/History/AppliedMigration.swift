/// One row of the `flyway_schema_history` table.
public struct AppliedMigration: Sendable, Hashable {
    /// `installed_rank`: the order in which rows were written (0 for a schema marker in an empty table).
    public var installedRank: Int
    /// `version` as stored (`nil` for repeatables and markers).
    public var versionText: String?
    /// `version` parsed with Flyway's rules, or `nil`.
    public var version: MigrationVersion?
    /// `description`.
    public var description: String
    /// `type`: `SQL`, `SQL_BASELINE`, `BASELINE`, `SCHEMA`, `DELETE`, `JDBC`, `SCRIPT`...
    public var type: String
    /// `script`: the path relative to its location, or a marker text.
    public var script: String
    /// `checksum` (may be `NULL`).
    public var checksum: Int32?
    /// `installed_by`.
    public var installedBy: String
    /// `installed_on` in the server session's time zone, `yyyy-MM-dd HH:mm:ss`.
    public var installedOn: String
    /// `installed_on` as ISO 8601 UTC with microseconds (`2026-11-21T08:38:54.184418Z`).
    public var installedOnUTC: String
    /// `execution_time` in milliseconds.
    public var executionTime: Int
    /// `success`.
    public var success: Bool

    /// Creates a row value.
    public init(
        installedRank: Int, versionText: String?, description: String, type: String, script: String,
        checksum: Int32?, installedBy: String = "", installedOn: String = "", installedOnUTC: String = "",
        executionTime: Int = 0, success: Bool = true
    ) {
        self.installedRank = installedRank
        self.versionText = versionText
        self.version = versionText.flatMap { try? MigrationVersion($0) }
        self.description = description
        self.type = type
        self.script = script
        self.checksum = checksum
        self.installedBy = installedBy
        self.installedOn = installedOn
        self.installedOnUTC = installedOnUTC
        self.executionTime = executionTime
        self.success = success
    }

    /// Marker rows Flyway writes that are not migrations (`SCHEMA`, `BASELINE`, `DELETE`).
    public var isSynthetic: Bool { type == "SCHEMA" || type == "BASELINE" || type == "DELETE" }
    /// Rows that set a baseline (`BASELINE` markers and applied `SQL_BASELINE` migrations).
    public var isBaseline: Bool { type == "BASELINE" || type == "SQL_BASELINE" }
}
