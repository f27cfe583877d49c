/// The `type` column of the schema history table: what kind of migration or marker a row records.
///
/// The raw values are the strings Flyway writes (its `CoreMigrationType` names). The set is open: a history table
/// written by Flyway or another tool may hold types Runway never writes (`JDBC`, `SPRING_JDBC`, `CUSTOM`...), and
/// those are kept as read, so they compare, print and are written back unchanged.
///
/// ```swift
/// if row.type == .baseline { ... }
/// let type: MigrationType = "SPRING_JDBC"  // any string Flyway might have written
/// ```
public struct MigrationType: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The string as stored in the `type` column.
    public let rawValue: String

    /// A type from its stored string (any string: unknown types are kept as they are).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A type from a string literal, such as `"SQL"`.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The stored string, as `info` prints it.
    public var description: String { rawValue }

    // MARK: - Types Runway writes

    /// `SQL`: a versioned or repeatable SQL migration.
    public static let sql = MigrationType(rawValue: "SQL")
    /// `SQL_BASELINE`: a baseline SQL migration (`B<version>__<description>.sql`).
    public static let sqlBaseline = MigrationType(rawValue: "SQL_BASELINE")
    /// `BASELINE`: the marker `baseline` (or `baselineOnMigrate`) writes.
    public static let baseline = MigrationType(rawValue: "BASELINE")
    /// `SCHEMA`: the marker recording the schemas Flyway created (`<< Flyway Schema Creation >>`).
    public static let schema = MigrationType(rawValue: "SCHEMA")
    /// `DELETE`: the marker `repair` appends for a missing migration it marks deleted.
    public static let delete = MigrationType(rawValue: "DELETE")

    // MARK: - Types other tools write

    /// `UNDO_SQL`: a SQL undo migration (Flyway Teams).
    public static let undoSQL = MigrationType(rawValue: "UNDO_SQL")
    /// `JDBC`: a Java migration.
    public static let jdbc = MigrationType(rawValue: "JDBC")
    /// `JDBC_BASELINE`: a Java baseline migration.
    public static let jdbcBaseline = MigrationType(rawValue: "JDBC_BASELINE")

    // MARK: - Classification

    /// Marker rows Flyway writes that are not migrations (`SCHEMA`, `BASELINE`, `DELETE`).
    public var isSynthetic: Bool { self == .schema || self == .baseline || self == .delete }

    /// Migrations that set a baseline (`SQL_BASELINE`, Java's `JDBC_BASELINE`), unlike the `BASELINE` marker.
    var isBaselineMigration: Bool { self == .sqlBaseline || self == .jdbcBaseline }

    /// Flyway's `CoreMigrationType.isBaseline()` plus baseline-migration types: `BASELINE`, `SQL_BASELINE`,
    /// `JDBC_BASELINE`.
    var isBaselineOrMarker: Bool { self == .baseline || isBaselineMigration }
}
