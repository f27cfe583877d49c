#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// The comparison behind `check --drift`: two catalog snapshots (the live database and a scratch database built from
// the applied migrations) in, one difference per drifted object out. Pure values: reading the catalogs is
// Execution's (CatalogSnapshot.swift).

/// The kinds of database object `check --drift` compares.
public struct DriftObjectKind: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The kind as reports print it (`table`, `materialized view`...).
    public let rawValue: String

    /// A kind with this name.
    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// A schema.
    public static let schema = DriftObjectKind(rawValue: "schema")
    /// An ordinary, partitioned or foreign table.
    public static let table = DriftObjectKind(rawValue: "table")
    /// A table's column: type, default, nullability, identity, generation expression, collation.
    public static let column = DriftObjectKind(rawValue: "column")
    /// A table constraint (check, foreign key, primary key, unique, exclusion).
    public static let constraint = DriftObjectKind(rawValue: "constraint")
    /// An index not backing a constraint: its definition and validity.
    public static let index = DriftObjectKind(rawValue: "index")
    /// A view: its definition.
    public static let view = DriftObjectKind(rawValue: "view")
    /// A materialized view: its definition.
    public static let materializedView = DriftObjectKind(rawValue: "materialized view")
    /// A function or aggregate: signature and body (`pg_get_functiondef`).
    public static let function = DriftObjectKind(rawValue: "function")
    /// A procedure: signature and body.
    public static let procedure = DriftObjectKind(rawValue: "procedure")
    /// A trigger: its definition and whether it is enabled.
    public static let trigger = DriftObjectKind(rawValue: "trigger")
    /// A sequence not owned by an identity column.
    public static let sequence = DriftObjectKind(rawValue: "sequence")
    /// An enum type: its labels in order.
    public static let enumType = DriftObjectKind(rawValue: "enum")
    /// A domain: base type, default, nullability, constraints.
    public static let domain = DriftObjectKind(rawValue: "domain")
    /// An installed extension: version and schema.
    public static let `extension` = DriftObjectKind(rawValue: "extension")
}

/// One object of a catalog snapshot, identified by kind and name, described by normalised attributes (never OIDs).
struct CatalogObject: Sendable, Hashable {
    /// What the object is.
    var kind: DriftObjectKind
    /// The schema-qualified name (`public.users`, `public.users.email` for a column, `public.f(integer)`).
    var name: String
    /// The object it belongs to (a column's table, a table's schema), whose drift includes its own.
    var parent: Key?
    /// Attribute name and value, in a fixed order; `nil` values are absent (no default, no collation...).
    var attributes: [(String, String?)]

    /// Kind and name: what identifies the object on both sides.
    struct Key: Sendable, Hashable {
        var kind: DriftObjectKind
        var name: String
    }

    var key: Key { Key(kind: kind, name: name) }

    static func == (lhs: CatalogObject, rhs: CatalogObject) -> Bool {
        lhs.key == rhs.key && lhs.parent == rhs.parent && lhs.attributes.elementsEqual(rhs.attributes, by: ==)
    }

    func hash(into hasher: inout Hasher) { hasher.combine(key) }

    /// The last part of the name (`users` for `public.users`, `f(integer)` for a function).
    var bareName: String {
        guard kind != .schema, kind != .extension else { return name }
        // Functions' argument lists may contain dots (`public.f(s.t)`): cut before the parenthesis.
        let head = name.firstIndex(of: "(").map { name[..<$0] } ?? name[...]
        guard let dot = head.lastIndex(of: ".") else { return name }
        return String(name[name.index(after: dot)...])
    }
}

/// How an object differs between the expected schema and the live one.
public enum DriftChange: String, Sendable, Hashable, Codable {
    /// In the live database, not in the migrations.
    case added
    /// In the migrations, missing from the live database.
    case removed
    /// In both, with different attributes.
    case changed
}

/// One attribute of a drifted object, on both sides (`nil` where the side has no value or no object).
public struct DriftAttribute: Sendable, Hashable, Codable {
    /// `type`, `default`, `definition`, `privileges`...
    public var name: String
    /// What the applied migrations produce.
    public var expected: String?
    /// What the live database has.
    public var actual: String?

    /// Creates an attribute difference.
    public init(name: String, expected: String?, actual: String?) {
        self.name = name
        self.expected = expected
        self.actual = actual
    }
}

/// One drifted object, reported once: an object added or removed carries its attributes on its one side, and the
/// objects inside it (a dropped table's columns, indexes...) are not reported again.
public struct DriftDifference: Sendable, Hashable, Codable {
    /// Added, removed or changed.
    public var change: DriftChange
    /// What kind of object.
    public var kind: DriftObjectKind
    /// Its schema-qualified name.
    public var name: String
    /// For `changed`, the attributes that differ; for `added`/`removed`, every attribute the side has.
    public var attributes: [DriftAttribute]

    /// Creates a difference.
    public init(change: DriftChange, kind: DriftObjectKind, name: String, attributes: [DriftAttribute]) {
        self.change = change
        self.kind = kind
        self.name = name
        self.attributes = attributes
    }
}

/// A `--drift-ignore` pattern: objects a team manages outside migrations.
///
/// `*` matches any run of characters and `?` one character, case-sensitively. A pattern with a dot
/// (`public.audit_*`) is matched against schema-qualified names (`public.audit_log`); one without (`tmp_*`) against
/// the bare name in any schema, and against schema and extension names. An object is ignored when it or anything it
/// belongs to matches: `public.audit_*` ignores the table `public.audit_log`, its columns, indexes and triggers.
public struct DriftIgnorePattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String

    /// Parses one pattern.
    ///
    /// - Throws: ``RunwayError`` with code `.configuration` naming `--drift-ignore` for an empty pattern or one made of
    ///   wildcards and dots only (it would ignore everything).
    public init(_ pattern: String) throws(RunwayError) {
        let trimmed = pattern.trimmingSpaces()
        guard !trimmed.isEmpty else {
            throw RunwayError(.configuration, "--drift-ignore: empty pattern (patterns are comma-separated)")
        }
        guard trimmed.contains(where: { $0 != "*" && $0 != "?" && $0 != "." }) else {
            throw RunwayError(
                .configuration,
                "--drift-ignore '\(trimmed)' would ignore every object: name a schema or object ('public.audit_*')")
        }
        self.pattern = trimmed
    }

    /// Comma-separated patterns.
    public static func parseList(_ text: String) throws(RunwayError) -> [DriftIgnorePattern] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map {
            (part) throws(RunwayError) -> DriftIgnorePattern in try DriftIgnorePattern(String(part))
        }
    }

    public var description: String { pattern }

    /// Whether the object's own name matches (not its parents').
    func matches(_ object: CatalogObject) -> Bool {
        if pattern.contains(".") { return Self.glob(Array(pattern.utf8), Array(object.name.utf8)) }
        return Self.glob(Array(pattern.utf8), Array(object.bareName.utf8))
    }

    /// `*`/`?` matching, iterative with one backtrack point (linear for the patterns people write).
    static func glob(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        var p = 0
        var t = 0
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

/// Compares the expected snapshot with the live one.
struct SchemaComparison {
    let expected: [CatalogObject]
    let actual: [CatalogObject]
    var ignore: [DriftIgnorePattern] = []

    /// Every difference, once, sorted by name then kind (so the output does not depend on catalog order).
    func differences() -> [DriftDifference] {
        let expectedByKey = Self.index(expected)
        let actualByKey = Self.index(actual)
        var result: [(CatalogObject, DriftDifference)] = []
        for object in actual where expectedByKey[object.key] == nil {
            result.append(
                (
                    object,
                    DriftDifference(
                        change: .added, kind: object.kind, name: object.name,
                        attributes: object.attributes.compactMap { name, value in
                            value.map { DriftAttribute(name: name, expected: nil, actual: $0) }
                        })
                ))
        }
        for object in expected {
            guard let live = actualByKey[object.key] else {
                result.append(
                    (
                        object,
                        DriftDifference(
                            change: .removed, kind: object.kind, name: object.name,
                            attributes: object.attributes.compactMap { name, value in
                                value.map { DriftAttribute(name: name, expected: $0, actual: nil) }
                            })
                    ))
                continue
            }
            var changed: [DriftAttribute] = []
            let liveValues = Dictionary(live.attributes, uniquingKeysWith: { first, _ in first })
            for (name, value) in object.attributes where (liveValues[name] ?? nil) != value {
                changed.append(DriftAttribute(name: name, expected: value, actual: liveValues[name] ?? nil))
            }
            if !changed.isEmpty {
                result.append(
                    (
                        object,
                        DriftDifference(change: .changed, kind: object.kind, name: object.name, attributes: changed)
                    )
                )
            }
        }
        // Reported once: nothing inside an added or removed object, and nothing an ignore pattern covers.
        let addedOrRemoved = Set(result.filter { $0.1.change != .changed }.map(\.0.key))
        let merged = expectedByKey.merging(actualByKey) { first, _ in first }
        return
            result
            .filter { object, _ in
                !ancestors(of: object, in: merged).contains { addedOrRemoved.contains($0.key) }
                    && !([object] + ancestors(of: object, in: merged)).contains { item in
                        ignore.contains { $0.matches(item) }
                    }
            }
            .map(\.1)
            .sorted {
                ($0.name, $0.kind.rawValue, $0.change.rawValue) < ($1.name, $1.kind.rawValue, $1.change.rawValue)
            }
    }

    /// The objects `object` belongs to, nearest first.
    private func ancestors(of object: CatalogObject, in objects: [CatalogObject.Key: CatalogObject]) -> [CatalogObject]
    {
        var chain: [CatalogObject] = []
        var next = object.parent
        while let key = next, let parent = objects[key], chain.count < 8 {
            chain.append(parent)
            next = parent.parent
        }
        return chain
    }

    private static func index(_ objects: [CatalogObject]) -> [CatalogObject.Key: CatalogObject] {
        Dictionary(objects.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
