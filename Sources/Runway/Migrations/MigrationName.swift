/// The kind of a SQL migration file.
public enum MigrationKind: String, Sendable, Hashable, Codable {
    /// `V<version>__<description>.sql`: applied once, in version order.
    case versioned
    /// `R__<description>.sql`: applied after the versioned ones whenever its checksum changes.
    case repeatable
    /// `B<version>__<description>.sql`: a baseline migration, applied only to an empty database.
    case baseline
    /// `U<version>__<description>.sql`: the undo migration of version `<version>` (Flyway Teams' naming), run only
    /// by `migrate undo`.
    case undo

    /// The value of the history table's `type` column for this kind.
    public var historyType: MigrationType {
        switch self {
        case .versioned, .repeatable: .sql
        case .baseline: .sqlBaseline
        case .undo: .undoSQL
        }
    }
}

/// File-name conventions (Flyway's `sqlMigrationPrefix`, `repeatableSqlMigrationPrefix`, separator and suffixes).
public struct NamingConvention: Sendable, Hashable {
    /// Prefix of versioned migrations, case-sensitive (default `V`).
    public var versionedPrefix = "V"
    /// Prefix of repeatable migrations (default `R`).
    public var repeatablePrefix = "R"
    /// Prefix of baseline migrations (default `B`).
    public var baselinePrefix = "B"
    /// Prefix of undo migrations (Flyway Teams' `undoSqlMigrationPrefix`, default `U`). Empty: undo files are not
    /// recognised (`U1__x.sql` is then an unrecognised name, as in Flyway Community).
    public var undoPrefix = "U"
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
    /// A versioned, repeatable, baseline or undo migration.
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
        var bytes = filename
        return bytes.withUTF8 { parse(utf8: $0, filename: filename) }
    }

    /// ``parse(_:)`` on the name's UTF-8 bytes (a scan parses every file name: no copies of them).
    private func parse(utf8 name: UnsafeBufferPointer<UInt8>, filename: String) -> ParsedName {
        guard let suffix = suffixes.first(where: { Self.hasSuffixIgnoringCase(name, filename, $0) }),
            name.count > suffix.utf8.count
        else { return .notSQL }
        let base = name[..<(name.count - suffix.utf8.count)]

        // The longest matching prefix wins (Flyway tries them longest first).
        var best: (text: String, prefix: Prefix)?
        func consider(_ text: String, _ prefix: Prefix) {
            if !text.isEmpty, text.utf8.count > (best?.text.utf8.count ?? 0), base.starts(with: text.utf8) {
                best = (text, prefix)
            }
        }
        consider(versionedPrefix, .kind(.versioned))
        consider(repeatablePrefix, .kind(.repeatable))
        consider(baselinePrefix, .kind(.baseline))
        consider(undoPrefix, .kind(.undo))
        if let initial = base.first, Self.eventInitials.contains(initial),
            let event = Self.eventsLongestFirst.first(where: { base.starts(with: $0.bytes) })
        {
            consider(event.name, .callback(event.name))
        }
        guard let (prefixText, prefix) = best else {
            return .invalid("Unrecognised migration name format: \(filename)")
        }
        let rest = base.dropFirst(prefixText.utf8.count)
        var split: Range<Int>?
        if !separator.isEmpty {
            var index = rest.startIndex
            while index + separator.utf8.count <= rest.endIndex {
                if rest[index...].starts(with: separator.utf8) {
                    split = index..<(index + separator.utf8.count)
                    break
                }
                index += 1
            }
        }
        let versionText = String(decoding: rest[..<(split?.lowerBound ?? rest.endIndex)], as: UTF8.self)
        let description = String(
            decoding: rest[(split?.upperBound ?? rest.endIndex)...].lazy.map {
                $0 == UInt8(ascii: "_") ? UInt8(ascii: " ") : $0
            }, as: UTF8.self)
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

    /// The callback events with their UTF-8 bytes, longest first.
    private static let eventsLongestFirst = callbackEvents.sorted { $0.utf8.count > $1.utf8.count }
        .map { (name: $0, bytes: Array($0.utf8)) }

    /// The first bytes of the callback events: most names start with none of them.
    private static let eventInitials = Set(callbackEvents.compactMap(\.utf8.first))

    /// Flyway's `name.toUpperCase().endsWith(suffix.toUpperCase())`, byte-wise when both ends are ASCII.
    private static func hasSuffixIgnoringCase(
        _ name: UnsafeBufferPointer<UInt8>, _ filename: String, _ suffix: String
    ) -> Bool {
        let count = suffix.utf8.count
        guard suffix.utf8.allSatisfy({ $0 < 0x80 }), name.suffix(count).allSatisfy({ $0 < 0x80 }) else {
            return filename.uppercased().hasSuffix(suffix.uppercased())
        }
        guard name.count >= count else { return false }
        let upper = { (byte: UInt8) in byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte }
        return zip(name.suffix(count), suffix.utf8).allSatisfy { upper($0) == upper($1) }
    }

    private func repeatableMessage(_ filename: String, _ prefix: String) -> String {
        "Invalid repeatable migration / callback name format: \(filename) (It cannot contain a version and should "
            + "look like this: \(prefix)\(separator)description\(suffixes.first ?? ".sql"))"
    }

    private func descriptionOrPlaceholder(_ description: String) -> String {
        description.isEmpty ? "description" : description
    }
}
