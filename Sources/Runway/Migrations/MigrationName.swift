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
        let name = Array(filename.utf8)
        guard let suffix = suffixes.first(where: { Self.hasSuffixIgnoringCase(name, filename, $0) }),
            name.count > suffix.utf8.count
        else { return .notSQL }
        let base = name.dropLast(suffix.utf8.count)

        // The longest matching prefix wins (Flyway tries them longest first).
        var best: (text: String, prefix: Prefix)?
        for (text, kind) in [
            (versionedPrefix, MigrationKind.versioned), (repeatablePrefix, .repeatable), (baselinePrefix, .baseline),
        ] where !text.isEmpty && base.starts(with: text.utf8) && text.utf8.count > (best?.text.utf8.count ?? 0) {
            best = (text, .kind(kind))
        }
        if let event = Self.eventsLongestFirst.first(where: { base.starts(with: $0.utf8) }),
            event.utf8.count > (best?.text.utf8.count ?? 0)
        {
            best = (event, .callback(event))
        }
        guard let (prefixText, prefix) = best else {
            return .invalid("Unrecognised migration name format: \(filename)")
        }
        let rest = base.dropFirst(prefixText.utf8.count)
        let separatorBytes = Array(separator.utf8)
        var split: Int?
        if !separatorBytes.isEmpty, rest.count >= separatorBytes.count {
            var index = rest.startIndex
            while index + separatorBytes.count <= rest.endIndex {
                if rest[index..<(index + separatorBytes.count)].elementsEqual(separatorBytes) {
                    split = index
                    break
                }
                index += 1
            }
        }
        let versionText: String
        let rawDescription: String
        if let split {
            versionText = String(decoding: rest[..<split], as: UTF8.self)
            rawDescription = String(decoding: rest[(split + separatorBytes.count)...], as: UTF8.self)
        } else {
            versionText = String(decoding: rest, as: UTF8.self)
            rawDescription = ""
        }
        let description = String(
            decoding: rawDescription.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
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

    private enum Prefix { case kind(MigrationKind), callback(String) }

    /// The callback events, longest first.
    private static let eventsLongestFirst = callbackEvents.sorted { $0.utf8.count > $1.utf8.count }

    /// Flyway's `name.toUpperCase().endsWith(suffix.toUpperCase())`, byte-wise when both ends are ASCII.
    private static func hasSuffixIgnoringCase(_ name: [UInt8], _ filename: String, _ suffix: String) -> Bool {
        let suffixBytes = Array(suffix.utf8)
        guard suffixBytes.allSatisfy({ $0 < 0x80 }), name.suffix(suffixBytes.count).allSatisfy({ $0 < 0x80 }) else {
            return filename.uppercased().hasSuffix(suffix.uppercased())
        }
        guard name.count >= suffixBytes.count else { return false }
        let upper = { (byte: UInt8) in byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte }
        return zip(name.suffix(suffixBytes.count), suffixBytes).allSatisfy { upper($0) == upper($1) }
    }

    private func repeatableMessage(_ filename: String, _ prefix: String) -> String {
        "Invalid repeatable migration / callback name format: \(filename) (It cannot contain a version and should "
            + "look like this: \(prefix)\(separator)description\(suffixes.first ?? ".sql"))"
    }

    private func descriptionOrPlaceholder(_ description: String) -> String {
        description.isEmpty ? "description" : description
    }
}
