/// Flyway's migration states, with the display names `info` prints.
public enum MigrationState: String, Sendable, Hashable, Codable, CaseIterable {
    case pending = "Pending"
    case aboveTarget = "Above Target"
    case belowBaseline = "Below Baseline"
    case baseline = "Baseline"
    case ignored = "Ignored"
    case ignoredBaseline = "Ignored (Baseline)"
    case missingSuccess = "Missing"
    case missingFailed = "Failed (Missing)"
    case success = "Success"
    case undone = "Undone"
    case available = "Available"
    case failed = "Failed"
    case outOfOrder = "Out of Order"
    case futureSuccess = "Future"
    case futureFailed = "Failed (Future)"
    case outdated = "Outdated"
    case superseded = "Superseded"
    case deleted = "Deleted"

    /// The name `info` prints (`Out of Order`, `Failed (Missing)`...).
    public var displayName: String { rawValue }

    /// Whether the state stands for a row in the history table.
    public var isApplied: Bool {
        switch self {
        case .pending, .aboveTarget, .belowBaseline, .ignored, .ignoredBaseline, .available: false
        default: true
        }
    }

    /// Whether the state is a failure.
    public var isFailed: Bool { self == .failed || self == .missingFailed || self == .futureFailed }

    /// Whether the applied migration has no file any more.
    public var isMissing: Bool { self == .missingSuccess || self == .missingFailed }

    /// Whether the applied migration is newer than every file.
    public var isFuture: Bool { self == .futureSuccess || self == .futureFailed }
}

/// One line of `info`: a file, a history row, or both.
public struct MigrationInfo: Sendable {
    /// The file, when there is one.
    public var resolved: ResolvedMigration?
    /// The history row, when there is one.
    public var applied: AppliedMigration?
    /// Flyway's state.
    public var state: MigrationState
    /// The undo file of this entry's version (`U<version>__...`), for versioned migrations.
    public var undoFile: ResolvedMigration?

    /// Creates an info entry.
    public init(resolved: ResolvedMigration?, applied: AppliedMigration?, state: MigrationState) {
        self.resolved = resolved
        self.applied = applied
        self.state = state
    }

    /// The version, from the row or else the file.
    public var version: MigrationVersion? { applied?.version ?? resolved?.version }
    /// The version text as stored or written in the file name.
    public var versionText: String? { applied?.versionText ?? resolved?.version?.text }
    /// The description, from the row or else the file.
    public var description: String { applied?.description ?? resolved?.description ?? "" }
    /// The `type` column value.
    public var type: MigrationType { applied?.type ?? resolved?.type ?? .sql }
    /// The script path relative to its location.
    public var script: String { applied?.script ?? resolved?.script ?? "" }
    /// Flyway's `Undoable` column of the `info` table: empty for repeatables, markers without a version, `DELETE`
    /// rows, deleted and undone entries and undo rows; `Yes` when an undo file of the version exists; else `No`.
    public var undoable: String {
        if versionText == nil || type == .delete || type == .undoSQL || state == .deleted || state == .undone {
            return ""
        }
        return undoFile != nil ? "Yes" : "No"
    }

    /// Flyway's category column: `Versioned`, `Repeatable`, `Baseline`, `Undo` or empty for markers.
    public var category: String {
        if let applied, applied.isSynthetic { return "" }
        if type == .undoSQL { return "Undo" }
        if type == .sqlBaseline { return "Baseline" }
        return version == nil ? "Repeatable" : "Versioned"
    }
}
