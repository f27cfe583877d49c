#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One entry of Flyway's `ignoreMigrationPatterns`: `<type>:<state>`, such as `*:future` or `versioned:missing`.
///
/// A pattern tells `validate` to accept migrations of a kind in a state it would otherwise report. The state is
/// compared with the state's display name, case-insensitively, so `missing` matches only `Missing` (not
/// `Failed (Missing)`), while `*` matches every state, failures included.
public struct ValidatePattern: Sendable, Hashable, CustomStringConvertible {
    /// Which migrations a pattern applies to.
    public enum TypeFilter: String, Sendable, Hashable, CaseIterable {
        /// `*`: versioned and repeatable migrations.
        case any = "*"
        /// `repeatable`: migrations without a version.
        case repeatable
        /// `versioned`: migrations with a version (markers and baselines included).
        case versioned
    }

    /// Which state a pattern applies to.
    public enum StateFilter: String, Sendable, Hashable, CaseIterable {
        /// `*`: every state.
        case any = "*"
        /// `missing`: applied, file gone, lower than the newest file (`Missing`).
        case missing
        /// `pending`: waiting to be applied (`Pending`).
        case pending
        /// `ignored`: older than the current version and not applied (`Ignored`).
        case ignored
        /// `future`: applied, newer than every file (`Future`).
        case future
    }

    /// The migration type part.
    public var type: TypeFilter
    /// The state part.
    public var state: StateFilter

    /// Creates a pattern from its two parts.
    public init(type: TypeFilter, state: StateFilter) {
        self.type = type
        self.state = state
    }

    /// Flyway's default, `*:future`: rows written by a newer release are not an error.
    public static let defaults = [ValidatePattern(type: .any, state: .future)]

    /// `*:pending`, which `migrate` adds to the user's patterns before validating.
    public static let anyPending = ValidatePattern(type: .any, state: .pending)

    /// `*:*`, which ignores everything (Flyway uses it when `migrate` and `repair` build their plan).
    public static let ignoreAll = [ValidatePattern(type: .any, state: .any)]

    /// Parses one `<type>:<state>` pattern (surrounding spaces allowed, case-insensitive).
    ///
    /// - Throws: ``RunwayError`` with code `configuration` naming the bad pattern.
    public init(parsing pattern: String) throws(RunwayError) {
        let parts = pattern.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .configuration(
                "Invalid ignoreMigrationPatterns pattern '\(pattern)'. Pattern must be of the form "
                    + "<migration_type>:<migration_state>, for example *:missing")
        }
        let typeText = parts[0].trimmingSpaces().lowercased()
        let stateText = parts[1].trimmingSpaces().lowercased()
        guard let type = TypeFilter(rawValue: typeText) else {
            throw .configuration(
                "Invalid migration type '\(parts[0])' in ignoreMigrationPatterns pattern '\(pattern)'. Valid types "
                    + "are: \(TypeFilter.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let state = StateFilter(rawValue: stateText) else {
            throw .configuration(
                "Invalid migration state '\(parts[1])' in ignoreMigrationPatterns pattern '\(pattern)'. Valid "
                    + "states are: \(StateFilter.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.init(type: type, state: state)
    }

    /// Parses a comma-separated list such as `*:missing, versioned:future`; items are trimmed and empty ones skipped.
    ///
    /// - Throws: ``RunwayError`` with code `configuration` naming the first bad pattern.
    public static func parseList(_ commaSeparated: String) throws(RunwayError) -> [ValidatePattern] {
        var patterns: [ValidatePattern] = []
        for item in commaSeparated.split(separator: ",") {
            let trimmed = item.trimmingSpaces()
            if trimmed.isEmpty { continue }
            patterns.append(try ValidatePattern(parsing: trimmed))
        }
        return patterns
    }

    /// Whether the pattern covers a migration of this kind in this state.
    public func matches(versioned: Bool, state migrationState: MigrationState) -> Bool {
        guard state == .any || migrationState.displayName.lowercased() == state.rawValue else { return false }
        switch type {
        case .any: return true
        case .versioned: return versioned
        case .repeatable: return !versioned
        }
    }

    /// Whether the pattern covers this `info` entry (versioned when it has a version).
    public func matches(_ info: MigrationInfo) -> Bool {
        matches(versioned: info.version != nil, state: info.state)
    }

    /// The pattern as written in configuration, `type:state`.
    public var description: String { "\(type.rawValue):\(state.rawValue)" }
}

// MARK: - Pattern sets

extension Array where Element == ValidatePattern {
    /// Flyway's `ValidatePatternUtils.is…Ignored`: a state counts as ignored when patterns cover it for both
    /// versioned and repeatable migrations.
    func ignores(_ state: MigrationState) -> Bool {
        contains { $0.matches(versioned: true, state: state) }
            && contains { $0.matches(versioned: false, state: state) }
    }
}
