#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Flyway's info model (§7): merges files and history rows into the ordered list `info` prints, with states.
///
/// The service is a pure value computed from the resolved files and the history rows; it does no I/O. Build a new one
/// after the history changed (Flyway re-reads history inside the lock before every migration). The states, their
/// order and the validation messages reproduce Flyway's `MigrationInfoServiceImpl`, `MigrationInfoImpl`,
/// `BaseAppliedMigration` and the baseline-migration overrides, so `info` and `validate` print what Flyway prints.
public struct MigrationInfoService: Sendable {
    /// Every file and history row, in Flyway's order: applied rows by `installed_rank` (with `Below Baseline` and
    /// `Ignored (Baseline)` files before them), then the files not applied, versioned by version, then repeatables by
    /// description in UTF-16 order.
    public let all: [MigrationInfo]
    /// The target the states were computed for.
    public let target: MigrationTarget
    /// Whether versions below the current one may still be applied (`Pending` instead of `Ignored`).
    public let outOfOrder: Bool
    /// The highest version among the files, `nil` when there is no versioned file.
    public let lastResolvedVersion: MigrationVersion?
    /// The highest version of a `BASELINE` or `SQL_BASELINE` row; files at or below it are never compared with rows.
    let appliedBaseline: MigrationVersion?
    /// The undo files whose versioned migration is applied and not undone, in state `Available` (Flyway Teams). As in
    /// Flyway's `info` table, they are not entries of ``all``: they show as `Undoable: Yes` on their migration.
    public let available: [MigrationInfo]

    /// Merges the resolved files with the history rows.
    ///
    /// - Parameters:
    ///   - resolved: The migration files, as the resolver found them (duplicates already rejected).
    ///   - applied: The history table rows, in any order (they are ordered by `installed_rank`).
    ///   - target: Flyway's `target`; files above it are `Above Target`.
    ///   - outOfOrder: Flyway's `outOfOrder`; files below the current version are `Pending` instead of `Ignored`.
    ///   - undo: The undo files (`U<version>__...`, Flyway Teams): they match `UNDO_SQL` rows, make a versioned
    ///     entry `Undoable`, and a successful `UNDO_SQL` row turns the latest row of its version `Undone` (its file
    ///     is then `Pending` again).
    /// - Throws: ``RunwayError`` when two `DELETE` rows mark the same applied row of a version as deleted
    ///   (`Corrupted schema history: multiple delete entries for version <v>`).
    public init(
        resolved: [ResolvedMigration], applied: [AppliedMigration], target: MigrationTarget = .latest,
        outOfOrder: Bool = false, undo: [ResolvedMigration] = []
    ) throws(RunwayError) {
        var builder = Builder(outOfOrder: outOfOrder)
        for file in undo { if let version = file.version { builder.undoFiles[version] = file } }
        try builder.collect(resolved: resolved, applied: applied, target: target)
        var all = builder.infos(target: target)
        var available: [MigrationInfo] = []
        if !builder.undoFiles.isEmpty {
            for index in all.indices {
                guard let version = all[index].version, all[index].type != .undoSQL,
                    !(all[index].applied?.isSynthetic ?? false)
                else { continue }
                all[index].undoFile = builder.undoFiles[version]
            }
            for file in undo {
                guard let version = file.version else { continue }
                let live = all.contains {
                    $0.version == version && $0.applied != nil && $0.type != .undoSQL && $0.state.isApplied
                        && $0.state != .undone && $0.state != .deleted && !($0.applied?.isSynthetic ?? false)
                }
                if live { available.append(MigrationInfo(resolved: file, applied: nil, state: .available)) }
            }
        }
        self.all = all
        self.available = available
        self.target = target
        self.outOfOrder = outOfOrder
        self.lastResolvedVersion = builder.context.lastResolved
        self.appliedBaseline = builder.context.appliedBaseline
    }

    // MARK: - Views

    /// Flyway's current version (§7.3): the applied entry with the highest version (deleted rows and `DELETE` rows
    /// excluded); when no versioned row was applied, the latest applied repeatable or marker (whose version is
    /// `nil`, printed as `<< Empty Schema >>`).
    public var current: MigrationInfo? {
        func counts(_ info: MigrationInfo) -> Bool {
            info.state.isApplied && info.state != .deleted && info.state != .undone && info.type != .delete
                && info.type != .undoSQL
        }
        var best: (info: MigrationInfo, version: MigrationVersion)?
        for info in all where counts(info) {
            if let version = info.version, best.map({ version > $0.version }) ?? true { best = (info, version) }
        }
        if let best { return best.info }
        return all.last { counts($0) && $0.version == nil }
    }

    /// The version of ``current``, `nil` for an empty schema.
    public var currentVersion: MigrationVersion? { current?.version }

    /// The entries in state `Pending`, in the order `migrate` applies them: versioned ascending, then repeatables by
    /// description (UTF-16 order).
    public var pending: [MigrationInfo] { all.filter { $0.state == .pending } }

    /// The entries that stand for a history row (every state but `Pending`, `Above Target`, `Below Baseline`,
    /// `Ignored`, `Ignored (Baseline)` and `Available`).
    public var applied: [MigrationInfo] { all.filter { $0.state.isApplied } }

    /// The entries in a failed state: `Failed`, `Failed (Missing)` or `Failed (Future)`.
    public var failed: [MigrationInfo] { all.filter { $0.state.isFailed } }

    /// Versioned rows newer than every file: `Future` or `Failed (Future)`.
    public var future: [MigrationInfo] { all.filter { $0.state.isFuture && $0.version != nil } }

    // MARK: - Target

    /// Checks that a concrete, non-optional target names a migration (a file or a history row).
    ///
    /// - Throws: ``RunwayError`` with code `configuration` and Flyway's message `No migration with a target version
    ///   <v> could be found. Ensure target is specified correctly and the migration exists.`
    public func validateTarget() throws(RunwayError) {
        guard case .version(let version, optional: false) = target else { return }
        guard !all.contains(where: { $0.version == version }) else { return }
        throw .configuration(
            "No migration with a target version \(version.text) could be found. Ensure target is specified "
                + "correctly and the migration exists.")
    }

    // MARK: - Validation

    /// Flyway's `validate` rules (§6), one problem per entry at most, in ``all`` order.
    ///
    /// `migrate` passes the user's patterns plus ``ValidatePattern/anyPending``; `validate` passes the user's
    /// patterns (default ``ValidatePattern/defaults``).
    public func validate(ignoring patterns: [ValidatePattern]) -> [ValidationProblem] {
        let rules = Rules(
            patterns: patterns, pendingIgnored: patterns.ignores(.pending), ignoredIgnored: patterns.ignores(.ignored),
            missingIgnored: patterns.ignores(.missingSuccess), futureIgnored: patterns.ignores(.futureSuccess))
        return all.compactMap { problem(for: $0, rules) }
    }

    /// The pattern flags `validate` derives once (Flyway's `ValidatePatternUtils`).
    private struct Rules {
        var patterns: [ValidatePattern]
        var pendingIgnored: Bool
        var ignoredIgnored: Bool
        var missingIgnored: Bool
        var futureIgnored: Bool
    }

    /// Flyway's `MigrationInfoImpl.validate`: the first rule that fails is the entry's problem.
    private func problem(for info: MigrationInfo, _ rules: Rules) -> ValidationProblem? {
        let state = info.state
        if state == .undone || state == .aboveTarget || state == .deleted { return nil }
        if rules.patterns.contains(where: { $0.matches(info) }) { return nil }
        func report(_ code: String, _ message: String) -> ValidationProblem {
            ValidationProblem(
                code: code, message: message, version: info.version?.text, description: info.description,
                script: info.script, filepath: info.resolved?.path)
        }

        if state.isFailed && !(rules.futureIgnored && state == .futureFailed) {
            let repair = ".\nPlease remove any half-completed changes then run repair to fix the schema history."
            if let version = info.version {
                return report(
                    "FAILED_VERSIONED_MIGRATION",
                    "Detected failed migration to version \(version.text) (\(info.description))" + repair)
            }
            return report(
                "FAILED_REPEATABLE_MIGRATION", "Detected failed repeatable migration: \(info.description)" + repair)
        }

        if info.resolved == nil, let row = info.applied, !row.isSynthetic, row.type != .undoSQL, state != .superseded,
            !(rules.missingIgnored && state.isMissing), !(rules.futureIgnored && state.isFuture)
        {
            let repair = ".\nIf you removed this migration intentionally, run repair to mark the migration as deleted."
            if let version = row.version {
                return report(
                    "APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED",
                    "Detected applied migration not resolved locally: \(version.text)" + repair)
            }
            return report(
                "APPLIED_REPEATABLE_MIGRATION_NOT_RESOLVED",
                "Detected applied migration not resolved locally: \(info.description)" + repair)
        }

        if !rules.ignoredIgnored, state == .ignored, info.resolved?.kind != .baseline {
            let ignore = ".\nTo ignore this migration, set -ignoreMigrationPatterns='*:ignored'."
            if let version = info.version {
                return report(
                    "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED",
                    "Detected resolved migration not applied to database: \(version.text)" + ignore
                        + " To allow executing this migration, set -outOfOrder=true.")
            }
            return report(
                "RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED",
                "Detected resolved repeatable migration not applied to database: \(info.description)" + ignore)
        }

        if !rules.pendingIgnored, state == .pending {
            let fix = ".\nTo fix this error, either run migrate, or set -ignoreMigrationPatterns='*:pending'."
            if let version = info.version {
                return report(
                    "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED",
                    "Detected resolved migration not applied to database: \(version.text)" + fix)
            }
            return report(
                "RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED",
                "Detected resolved repeatable migration not applied to database: \(info.description)" + fix)
        }

        if !rules.pendingIgnored, state == .outdated {
            return report(
                "OUTDATED_REPEATABLE_MIGRATION",
                "Detected outdated resolved repeatable migration that should be re-applied to database: "
                    + "\(info.description).\nRun migrate to execute this migration.")
        }

        guard let file = info.resolved, let row = info.applied, row.type != .delete else { return nil }
        if let version = info.version, let appliedBaseline, version <= appliedBaseline { return nil }
        let id = row.version.map { "version \($0.text)" } ?? row.script
        func mismatch(_ what: String, _ code: String, _ stored: String, _ local: String) -> ValidationProblem {
            report(
                code,
                "Migration \(what) mismatch for migration \(id)\n-> Applied to database : \(stored)\n"
                    + "-> Resolved locally    : \(local)\n"
                    + "Either revert the changes to the migration, or run repair to update the schema history.")
        }
        if file.type != row.type {
            return mismatch("type", "TYPE_MISMATCH", row.type.rawValue, file.type.rawValue)
        }
        let comparesChecksum =
            file.version != nil || (rules.pendingIgnored && state != .outdated && state != .superseded)
        if comparesChecksum, !Self.checksum(of: file, matches: row.checksum) {
            return mismatch(
                "checksum", "CHECKSUM_MISMATCH", row.checksum.map { String($0) } ?? "null", String(file.checksum.value))
        }
        if Self.descriptionDiffers(file: file.description, stored: row.description) {
            return mismatch("description", "DESCRIPTION_MISMATCH", row.description, file.description)
        }
        return nil
    }

    /// Versioned files compare the stored checksum with the file's checksum; repeatables also accept the raw-text
    /// (equivalent) checksum (§2.2). A `NULL` stored checksum always matches.
    private static func checksum(of file: ResolvedMigration, matches stored: Int32?) -> Bool {
        if file.version == nil { return file.checksumMatches(stored) }
        guard let stored else { return true }
        return stored == file.checksum.value
    }

    /// Flyway's `descriptionMismatch`: the file's description is cut to 200 characters before the comparison, and
    /// the `<< no description >>` marker (databases that cannot store `''`) stands for an empty description.
    private static func descriptionDiffers(file: String, stored: String) -> Bool {
        if stored == "<< no description >>" { return !file.isEmpty }
        return abbreviatedDescription(file) != stored
    }

    /// The description as the history stores it (``SchemaHistory/abbreviateDescription(_:)``).
    static func abbreviatedDescription(_ description: String) -> String {
        SchemaHistory.abbreviateDescription(description)
    }
}

// MARK: - Validation problem

/// One entry that failed validation, in Flyway's words (`validate` output and `invalidMigrations` in JSON).
public struct ValidationProblem: Sendable, Hashable, Codable {
    /// Flyway's error code: `CHECKSUM_MISMATCH`, `DESCRIPTION_MISMATCH`, `TYPE_MISMATCH`,
    /// `FAILED_VERSIONED_MIGRATION`, `FAILED_REPEATABLE_MIGRATION`, `APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED`,
    /// `APPLIED_REPEATABLE_MIGRATION_NOT_RESOLVED`, `RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED`,
    /// `RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED` or `OUTDATED_REPEATABLE_MIGRATION`.
    public var code: String
    /// Flyway's message, several lines where Flyway's has several.
    public var message: String
    /// The version (`nil` for repeatables).
    public var version: String?
    /// The description, from the history row when there is one.
    public var description: String
    /// The script path relative to its location, from the history row when there is one.
    public var script: String?
    /// The absolute path of the file, when there is a file.
    public var filepath: String?

    /// Creates a problem.
    public init(
        code: String, message: String, version: String?, description: String, script: String?, filepath: String?
    ) {
        self.code = code
        self.message = message
        self.version = version
        self.description = description
        self.script = script
        self.filepath = filepath
    }
}

// MARK: - Building the model

extension MigrationInfoService {
    /// Flyway's `MigrationInfoContext`: the facts every entry's state depends on.
    struct Context {
        /// `nil` stands for Flyway's `EMPTY` version, which sorts below every version.
        var lastApplied: MigrationVersion?
        /// `nil` stands for `EMPTY`.
        var lastResolved: MigrationVersion?
        var appliedBaseline: MigrationVersion?
        var pendingBaseline: MigrationVersion?
        var outOfOrder: Bool
        var cap: Cap = .none
        var latestRepeatableRuns: [String: Int] = [:]
    }

    /// The effective target once `current` and `next` are known.
    enum Cap {
        /// No version is above target (`latest`, or `next` with nothing versioned pending).
        case none
        /// Versions above the given one are above target; `nil` (Flyway's `EMPTY`) puts every version above it.
        case upTo(MigrationVersion?)

        func isAbove(_ version: MigrationVersion) -> Bool {
            guard case .upTo(let cap) = self else { return false }
            guard let cap else { return true }
            return version > cap
        }
    }

    /// A file, a row or both, before its state is known.
    struct Entry {
        var resolved: ResolvedMigration?
        var applied: AppliedMigration?
        var outOfOrder = false
        var deleted = false
        /// A later successful `UNDO_SQL` row of the same version undid this row.
        var undone = false
        /// Position in Flyway's construction order, the tie-break of the (stable) sort.
        var order = 0
        var version: MigrationVersion? { applied != nil ? applied?.version : resolved?.version }
        var description: String { applied?.description ?? resolved?.description ?? "" }
        var type: MigrationType { applied?.type ?? resolved?.type ?? .sql }
    }

    /// Versioned files are keyed by version and type, so `B2` and `V2` are different migrations.
    struct VersionKey: Hashable {
        var version: MigrationVersion
        var type: MigrationType
    }

    struct Builder {
        var context: Context
        var entries: [Entry] = []
        /// Undo files by version.
        var undoFiles: [MigrationVersion: ResolvedMigration] = [:]

        init(outOfOrder: Bool) { context = Context(outOfOrder: outOfOrder) }

        // MARK: Collecting (MigrationInfoServiceImpl.refresh)

        mutating func collect(
            resolved: [ResolvedMigration], applied: [AppliedMigration], target: MigrationTarget
        ) throws(RunwayError) {
            var versionedFiles: [VersionKey: ResolvedMigration] = [:]
            var repeatableFiles: [String: ResolvedMigration] = [:]
            for file in resolved {
                if let version = file.version {
                    if context.lastResolved.map({ version > $0 }) ?? true { context.lastResolved = version }
                    versionedFiles[VersionKey(version: version, type: file.type)] = file
                } else {
                    repeatableFiles[file.description] = file
                }
            }
            // Stable by rank, like `ORDER BY installed_rank`.
            let rows = applied.enumerated().sorted {
                ($0.element.installedRank, $0.offset) < ($1.element.installedRank, $1.offset)
            }.map(\.element)

            var versionedRows = try versionedEntries(rows)
            let repeatableRows = repeatableEntries(rows)
            markOutOfOrder(&versionedRows)
            if case .current = target { context.cap = .upTo(context.lastApplied) }
            if case .version(let version, _) = target { context.cap = .upTo(version) }

            for index in versionedRows.indices {
                if let version = versionedRows[index].applied?.version, let type = versionedRows[index].applied?.type {
                    versionedRows[index].resolved =
                        type == .undoSQL
                        ? undoFiles[version] : versionedFiles[VersionKey(version: version, type: type)]
                }
            }
            var pendingVersioned = versionedFiles
            for entry in versionedRows {
                guard let row = entry.applied, let version = row.version, entry.resolved != nil, !entry.deleted,
                    !entry.undone, row.type != .delete, row.type != .undoSQL
                else { continue }
                pendingVersioned[VersionKey(version: version, type: row.type)] = nil
            }
            // Any deterministic order will do here: the final sort decides.
            let pendingFiles = pendingVersioned.sorted {
                ($0.key.version, $0.key.type.rawValue) < ($1.key.version, $1.key.type.rawValue)
            }.map(\.value)
            for file in pendingFiles where file.type.isBaselineMigration {
                if let version = file.version, context.pendingBaseline.map({ version > $0 }) ?? true {
                    context.pendingBaseline = version
                }
            }

            for entry in repeatableRows {
                guard let row = entry.applied else { continue }
                context.latestRepeatableRuns[row.description] = max(
                    context.latestRepeatableRuns[row.description] ?? row.installedRank, row.installedRank)
            }
            var repeatableWithFiles = repeatableRows
            var pendingRepeatable = repeatableFiles
            for index in repeatableWithFiles.indices {
                guard let row = repeatableWithFiles[index].applied, let file = repeatableFiles[row.description] else {
                    continue
                }
                repeatableWithFiles[index].resolved = file
                if !repeatableWithFiles[index].deleted, row.type != .delete,
                    row.installedRank == context.latestRepeatableRuns[row.description],
                    file.checksumMatches(row.checksum)
                {
                    pendingRepeatable[row.description] = nil
                }
            }
            let pendingRepeatableFiles = pendingRepeatable.values.sorted {
                MigrationInfoService.javaLess($0.description, $1.description)
            }

            entries =
                versionedRows + pendingFiles.map { Entry(resolved: $0) } + repeatableWithFiles
                + pendingRepeatableFiles.map { Entry(resolved: $0) }
            for index in entries.indices { entries[index].order = index }
        }

        /// Versioned rows in rank order; successful `DELETE` rows mark the row they delete and are not listed.
        private mutating func versionedEntries(_ rows: [AppliedMigration]) throws(RunwayError) -> [Entry] {
            var list: [Entry] = []
            for row in rows {
                guard let version = row.version else { continue }
                if row.type.isBaselineOrMarker,
                    context.appliedBaseline.map({ version > $0 }) ?? true
                {
                    context.appliedBaseline = version
                }
                if row.type == .delete && row.success {
                    // Mark the latest earlier non-synthetic row with this version.
                    let target = list.lastIndex { !($0.applied?.isSynthetic ?? true) && $0.version == version }
                    if let index = target {
                        if list[index].deleted {
                            throw RunwayError(
                                .validation, "Corrupted schema history: multiple delete entries for version \(version)")
                        }
                        list[index].deleted = true
                    }
                    continue
                }
                if row.type == .undoSQL && row.success {
                    // Flyway Teams: a successful undo row undoes the latest earlier live row of its version.
                    let target = list.lastIndex {
                        guard let applied = $0.applied else { return false }
                        return !applied.isSynthetic && applied.type != .undoSQL && $0.version == version && !$0.undone
                            && !$0.deleted
                    }
                    if let index = target { list[index].undone = true }
                }
                list.append(Entry(applied: row))
            }
            return list
        }

        /// Repeatable rows (and markers without a version), all listed; successful `DELETE` rows mark the latest
        /// earlier row with that description.
        private func repeatableEntries(_ rows: [AppliedMigration]) -> [Entry] {
            var list: [Entry] = []
            for row in rows where row.version == nil {
                list.append(Entry(applied: row))
                if row.type == .delete && row.success,
                    let index = list.lastIndex(where: {
                        !($0.applied?.isSynthetic ?? true) && $0.applied?.description == row.description
                    })
                {
                    list[index].deleted = true
                }
            }
            return list
        }

        /// `lastApplied` is the highest version among live versioned rows; a row not above the highest version seen
        /// before it (in rank order) was applied out of order.
        private mutating func markOutOfOrder(_ list: inout [Entry]) {
            for index in list.indices {
                guard let row = list[index].applied, let version = row.version else { continue }
                if context.lastApplied.map({ version > $0 }) ?? true {
                    if row.type != .delete && row.type != .undoSQL && !list[index].deleted && !list[index].undone {
                        context.lastApplied = version
                    }
                } else {
                    list[index].outOfOrder = true
                }
            }
        }

        // MARK: States and order

        /// Computes states, sorts, and settles `target=next` (the first pending version becomes the target).
        mutating func infos(target: MigrationTarget) -> [MigrationInfo] {
            var states = entries.map { state(of: $0) }
            var order = Array(entries.indices)
            order.sort { precedes(entries[$0], states[$0], entries[$1], states[$1]) }
            if case .next = target {
                let first = order.first { states[$0] == .pending }
                if let first, let version = entries[first].version {
                    context.cap = .upTo(version)
                    states = entries.map { state(of: $0) }
                }
            }
            return order.map {
                MigrationInfo(resolved: entries[$0].resolved, applied: entries[$0].applied, state: states[$0])
            }
        }

        func state(of entry: Entry) -> MigrationState {
            if entry.deleted { return .deleted }
            if entry.undone { return .undone }
            if let row = entry.applied { return appliedState(row, entry) }
            if let file = entry.resolved { return resolvedState(file) }
            return .pending  // Unreachable: every entry has a file or a row.
        }

        /// Flyway's `ResolvedMigration.getState` and `BaselineResolvedMigration.getState`.
        func resolvedState(_ file: ResolvedMigration) -> MigrationState {
            var state = MigrationState.pending
            if let version = file.version {
                let baseline = context.lastApplied == nil ? context.pendingBaseline : context.appliedBaseline
                if let baseline, version < baseline {
                    state = .belowBaseline
                } else if let baseline, version == baseline {
                    state = .ignoredBaseline
                } else if context.cap.isAbove(version) {
                    state = .aboveTarget
                } else if let lastApplied = context.lastApplied, version < lastApplied, !context.outOfOrder {
                    state = .ignored
                }
            }
            guard file.kind == .baseline else { return state }
            let databaseInUse = context.appliedBaseline != nil || context.lastApplied != nil
            if state == .pending && databaseInUse { return .ignored }
            if state == .ignoredBaseline, file.version == context.pendingBaseline {
                return databaseInUse ? .ignoredBaseline : .pending
            }
            return state
        }

        /// Flyway's `BaseAppliedMigration.getState` and `BaselineAppliedMigration.getState`.
        func appliedState(_ row: AppliedMigration, _ entry: Entry) -> MigrationState {
            if row.type == .delete { return .success }
            // An undo row is what it did, whether or not its file is still there.
            if row.type == .undoSQL { return row.success ? .success : .failed }
            let missing = missingState(row, entry.resolved)
            if row.type.isBaselineOrMarker {
                if row.type.isBaselineMigration {
                    if !row.success { return .failed }
                    if let missing { return missing }
                }
                return .baseline
            }
            if let missing { return missing }
            if !row.success { return .failed }
            if row.version == nil {
                guard row.installedRank == context.latestRepeatableRuns[row.description] else { return .superseded }
                return entry.resolved?.checksumMatches(row.checksum) == true ? .success : .outdated
            }
            return entry.outOfOrder ? .outOfOrder : .success
        }

        /// A row without a file (for repeatables, only its latest run): markers succeed; below the newest file it is
        /// `Missing`, otherwise `Future`.
        func missingState(_ row: AppliedMigration, _ file: ResolvedMigration?) -> MigrationState? {
            guard file == nil else { return nil }
            if row.version == nil, let latest = context.latestRepeatableRuns[row.description],
                latest != row.installedRank
            {
                return nil
            }
            if row.type == .schema { return .success }
            let belowNewestFile: Bool
            if let version = row.version {
                belowNewestFile = context.lastResolved.map { version < $0 } ?? false
            } else {
                belowNewestFile = true
            }
            if belowNewestFile { return row.success ? .missingSuccess : .missingFailed }
            return row.success ? .futureSuccess : .futureFailed
        }

        /// §7.1 step 6: rows by rank; `Below Baseline` and `Ignored (Baseline)` files before rows; rows before the
        /// other files; files by version (versioned first, a baseline after a regular file of the same version),
        /// repeatables by description in UTF-16 order.
        func precedes(_ a: Entry, _ aState: MigrationState, _ b: Entry, _ bState: MigrationState) -> Bool {
            if let aRank = a.applied?.installedRank, let bRank = b.applied?.installedRank {
                return aRank != bRank ? aRank < bRank : a.order < b.order
            }
            let aEarly = aState == .belowBaseline || aState == .ignoredBaseline
            let bEarly = bState == .belowBaseline || bState == .ignoredBaseline
            if aEarly && bState.isApplied { return true }
            if aState.isApplied && bEarly { return false }
            if a.applied != nil { return true }
            if b.applied != nil { return false }
            switch (a.version, b.version) {
            case (let x?, let y?):
                if x != y { return x < y }
                let aBaseline = a.type.isBaselineMigration
                let bBaseline = b.type.isBaselineMigration
                if aBaseline != bBaseline { return bBaseline }
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil):
                if a.description != b.description { return MigrationInfoService.javaLess(a.description, b.description) }
            }
            return a.order < b.order
        }
    }

    /// Java's `String.compareTo`: UTF-16 code units, not Swift's `String <` (which compares Unicode scalars and
    /// canonical equivalence).
    static func javaLess(_ lhs: String, _ rhs: String) -> Bool {
        JavaStringOrder.less(lhs, rhs)
    }
}
