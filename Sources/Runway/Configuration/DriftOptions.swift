#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What `check --drift` (``Migrator/checkDrift(options:)``) compares and where it builds the expected schema.
public struct DriftOptions: Sendable, Hashable {
    /// Objects managed outside migrations: never reported, nor anything inside them.
    public var ignore: [DriftIgnorePattern]
    /// Also compare privileges (grants on schemas, tables, views, sequences, functions and types).
    public var privileges: Bool
    /// Build the expected schema in a temporary local cluster (`initdb`/`pg_ctl`) instead of a scratch database on
    /// the configured server. Its PostgreSQL version should be the server's: another version may print the same
    /// definitions differently.
    public var localCluster: Bool

    /// Every object kind, no privileges, a scratch database on the configured server.
    public init(ignore: [DriftIgnorePattern] = [], privileges: Bool = false, localCluster: Bool = false) {
        self.ignore = ignore
        self.privileges = privileges
        self.localCluster = localCluster
    }
}
