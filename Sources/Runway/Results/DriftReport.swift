#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What `check --drift` found: how the live schema differs from the one its applied migrations build.
public struct DriftReport: Sendable {
    /// Each drifted object once, sorted by name.
    public var differences: [DriftDifference]
    /// The schemas compared: the managed ones and every schema the applied migrations create.
    public var schemas: [String]
    /// The applied migrations replayed on the scratch database, in `installed_rank` order (their scripts).
    public var migrationsReplayed: [String]
    /// The live database's name.
    public var database: String
    /// Whether the live schema differs from the expected one.
    public var hasDrift: Bool { !differences.isEmpty }

    /// Creates a report.
    public init(differences: [DriftDifference], schemas: [String], migrationsReplayed: [String], database: String) {
        self.differences = differences
        self.schemas = schemas
        self.migrationsReplayed = migrationsReplayed
        self.database = database
    }
}
