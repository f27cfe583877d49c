#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The targets of a fleet run: every tenant schema or database, found by a query or listed.
public struct FleetTargets: Sendable, Hashable {
    enum Source: Sendable, Hashable {
        case schemaQuery(String)
        case schemas([String])
        case databaseQuery(String)
        case databases([String])
    }

    let source: Source

    /// Each name the query returns (one column, run read-only on the configured database) is a schema with its
    /// own history table inside it.
    public static func schemas(query: String) -> FleetTargets { FleetTargets(source: .schemaQuery(query)) }

    /// Each name is a schema with its own history table inside it.
    public static func schemas(_ names: [String]) -> FleetTargets { FleetTargets(source: .schemas(names)) }

    /// Each name the query returns (one column, run read-only on the configured database) is a database on the
    /// same server, connected with the configured settings otherwise.
    public static func databases(query: String) -> FleetTargets { FleetTargets(source: .databaseQuery(query)) }

    /// Each entry is a database name on the configured server, or a `postgresql://` URL (a database anywhere,
    /// with the credentials in the URL or in `~/.pgpass`: the configured password is never sent to another server).
    public static func databases(_ entries: [String]) -> FleetTargets { FleetTargets(source: .databases(entries)) }

    /// Whether the targets are schemas (of the configured database).
    public var areSchemas: Bool {
        switch source {
        case .schemaQuery, .schemas: true
        case .databaseQuery, .databases: false
        }
    }

    /// The entries of a target file: one a line; blank lines and lines starting with `#` are skipped, and
    /// surrounding whitespace is dropped.
    public static func entries(fromFileText text: String) -> [String] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).compactMap { line in
            let entry = String(line).trimmingWhitespace()
            return entry.isEmpty || entry.hasPrefix("#") ? nil : entry
        }
    }
}

/// One process's share of a fleet: shard `index` of `count` (Kubernetes' Indexed Job completion index).
public struct FleetShard: Sendable, Hashable, CustomStringConvertible {
    /// From 0 to `count - 1`.
    public let index: Int
    /// How many shards there are.
    public let count: Int

    /// Shard `index` of `count`; throws a configuration error naming `--shard` for an index outside `0..<count`.
    public init(index: Int, count: Int) throws(RunwayError) {
        guard count >= 1, index >= 0, index < count else {
            throw .configuration(
                "--shard \(index)/\(count) is not a shard: the index runs from 0 to the count minus one (0/\(max(count, 1))"
                    + " ... \(max(count, 1) - 1)/\(max(count, 1)))")
        }
        self.index = index
        self.count = count
    }

    /// `K/N`, as `--shard` takes it.
    public init(parsing text: String) throws(RunwayError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(String(parts[0]).trimmingWhitespace()),
            let count = Int(String(parts[1]).trimmingWhitespace())
        else {
            throw .configuration(
                "--shard \(text.debugDescription) is not K/N (this shard's index from 0, then the number of shards: "
                    + "--shard 0/4); in an Indexed Job: --shard=$(JOB_COMPLETION_INDEX)/4")
        }
        try self.init(index: index, count: count)
    }

    /// Whether the target named `name` belongs to this shard. The assignment depends only on the name and the
    /// count (FNV-1a of its UTF-8 bytes, modulo the count), so adding or removing a tenant never moves another.
    public func contains(_ name: String) -> Bool {
        Self.shard(of: name, count: count) == index
    }

    /// The shard of `name` among `count`.
    public static func shard(of name: String, count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(max(count, 1)))
    }

    public var description: String { "\(index)/\(count)" }
}

/// How a fleet run proceeds.
public struct FleetOptions: Sendable, Hashable {
    /// At most this many targets in flight at once; each costs at most two connections.
    public var parallel: Int
    /// This process's share of the targets, or `nil` for all of them.
    public var shard: FleetShard?
    /// Stop starting targets after the first failure (by default a failing target does not stop the others).
    public var failFast: Bool

    /// The default parallelism.
    public static let defaultParallel = 4

    public init(parallel: Int = FleetOptions.defaultParallel, shard: FleetShard? = nil, failFast: Bool = false) {
        self.parallel = parallel
        self.shard = shard
        self.failFast = failFast
    }
}
