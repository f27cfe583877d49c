/// The kind of a SQL migration file.
public enum MigrationKind: String, Sendable, Hashable, Codable {
    /// `V<version>__<description>.sql`: applied once, in version order.
    case versioned
    /// `R__<description>.sql`: applied after the versioned ones whenever its checksum changes.
    case repeatable
    /// `B<version>__<description>.sql`: a baseline migration, applied only to an empty database.
    case baseline

    /// The value of the history table's `type` column for this kind.
    public var historyType: String { self == .baseline ? "SQL_BASELINE" : "SQL" }
}

/// File-name conventions (Flyway's `sqlMigrationPrefix`, `repeatableSqlMigrationPrefix`, separator and suffixes).
public struct NamingConvention: Sendable, Hashable {
    /// Prefix of versioned migrations, case-sensitive (default `V`).
    public var versionedPrefix = "V"
    /// Prefix of repeatable migrations (default `R`).
    public var repeatablePrefix = "R"
    /// Prefix of baseline migrations (default `B`).
    public var baselinePrefix = "B"
    /// Separator between version and description (default `__`).
    public var separator = "__"
    /// File suffixes, matched case-insensitively (default `.sql`).
    public var suffixes = [".sql"]

    /// Flyway's defaults.
    public init() {}
}

/// Every SQL callback event id Flyway recognises; files named after them are callbacks, not migrations.
public let callbackEvents: [String] = [
    "beforeMigrate", "beforeEachMigrate", "beforeEachMigrateStatement", "afterEachMigrateStatement",
    "afterEachMigrateStatementError", "afterEachMigrate", "afterEachMigrateError", "beforeRepeatables",
    "afterVersioned", "afterMigrateApplied", "afterMigrate", "afterMigrateError", "beforeValidate", "afterValidate",
    "afterValidateError", "beforeBaseline", "afterBaseline", "afterBaselineError", "beforeRepair", "afterRepair",
    "afterRepairError", "beforeInfo", "afterInfo", "afterInfoError", "beforeClean", "afterClean", "afterCleanError",
    "createSchema", "beforeCreateSchema", "beforeConnect", "afterConnect", "afterMigrateOperationFinish",
    "afterInfoOperationFinish",
]

/// The result of parsing one file name with Flyway's `ResourceNameParser` rules.
public enum ParsedName: Sendable, Equatable {
    /// A versioned, repeatable or baseline migration.
    case migration(kind: MigrationKind, version: MigrationVersion?, description: String)
    /// A SQL callback such as `beforeMigrate.sql` or `afterMigrate__notify.sql`.
    case callback(event: String, description: String)
    /// Not a `.sql` file (or other configured suffix): not considered at all.
    case notSQL
    /// A SQL file whose name does not follow the convention; the message is Flyway's.
    case invalid(String)
}

extension NamingConvention {
    /// Parses a file name (without directories) exactly as Flyway does.
    ///
    /// Prefixes are case-sensitive and the longest one wins; the suffix is case-insensitive; the first separator
    /// splits version from description; `_` in the description becomes a space.
    public func parse(_ filename: String) -> ParsedName {
        guard let suffix = suffixes.first(where: { filename.uppercased().hasSuffix($0.uppercased()) }),
            filename.utf8.count > suffix.utf8.count
        else { return .notSQL }
        let base = String(filename.utf8.dropLast(suffix.utf8.count))!

        enum Prefix { case kind(MigrationKind), callback(String) }
        var prefixes: [(String, Prefix)] = [
            (versionedPrefix, .kind(.versioned)), (repeatablePrefix, .kind(.repeatable)),
            (baselinePrefix, .kind(.baseline)),
        ]
        prefixes += callbackEvents.map { ($0, .callback($0)) }
        prefixes.sort { $0.0.utf8.count > $1.0.utf8.count }
        guard let (prefixText, prefix) = prefixes.first(where: { !$0.0.isEmpty && base.hasPrefix($0.0) }) else {
            return .invalid("Unrecognised migration name format: \(filename)")
        }
        let rest = String(base.utf8.dropFirst(prefixText.utf8.count))!
        let versionText: String
        let rawDescription: String
        if let range = rest.range(of: separator) {
            versionText = String(rest[..<range.lowerBound])
            rawDescription = String(rest[range.upperBound...])
        } else {
            versionText = rest
            rawDescription = ""
        }
        let description = rawDescription.replacingOccurrences(of: "_", with: " ")
        switch prefix {
        case .callback(let event):
            guard versionText.isEmpty else { return .invalid(repeatableMessage(filename, prefixText)) }
            return .callback(event: event, description: description)
        case .kind(.repeatable):
            guard versionText.isEmpty else { return .invalid(repeatableMessage(filename, prefixText)) }
            return .migration(kind: .repeatable, version: nil, description: description)
        case .kind(let kind):
            guard !versionText.isEmpty else {
                return .invalid(
                    "Invalid versioned migration name format: \(filename) (It must contain a version and should "
                        + "look like this: \(prefixText)1.2\(separator)\(descriptionOrPlaceholder(description))"
                        + "\(suffix))")
            }
            guard let version = try? MigrationVersion(versionText) else {
                return .invalid(
                    "Invalid versioned migration name format: \(filename) (could not recognise version number "
                        + "\(versionText))")
            }
            return .migration(kind: kind, version: version, description: description)
        }
    }

    private func repeatableMessage(_ filename: String, _ prefix: String) -> String {
        "Invalid repeatable migration / callback name format: \(filename) (It cannot contain a version and should "
            + "look like this: \(prefix)\(separator)description\(suffixes.first ?? ".sql"))"
    }

    private func descriptionOrPlaceholder(_ description: String) -> String {
        description.isEmpty ? "description" : description
    }
}
