#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Which files rebuild what the live history says was applied, in the order it was applied: the plan `check --drift`
/// replays on its scratch database.
///
/// Only successful rows count, in `installed_rank` order. A versioned migration is replayed from its file when the
/// file's checksum is the recorded one; a repeatable once, at the position of its last successful row, when the file
/// is what that row recorded. Anything else means the files cannot rebuild the live schema, and the check refuses
/// (a drift report built on other files would be wrong in ways nobody could tell): an edited or deleted file, a
/// repeatable changed since it ran (run `migrate` first), a `BASELINE` marker (the schema before it was never in
/// files), Java or script migrations Runway cannot run.
enum DriftReplay {
    static func plan(applied: [AppliedMigration], resolved: [ResolvedMigration]) throws(RunwayError)
        -> [ResolvedMigration]
    {
        let successful = applied.filter(\.success).sorted { $0.installedRank < $1.installedRank }
        var lastRepeatableRank: [String: Int] = [:]
        for row in successful where row.versionText == nil && !row.isSynthetic {
            lastRepeatableRank[row.description] = row.installedRank
        }
        var plan: [ResolvedMigration] = []
        for row in successful {
            if row.type == .schema || row.type == .delete { continue }
            if row.type == .baseline {
                throw RunwayError(
                    .validation,
                    "The history starts with a baseline at version \(row.versionText ?? "?") (rank \(row.installedRank)): "
                        + "the schema below it was never built by migration files, so check --drift cannot rebuild it. "
                        + "Drift can be checked on databases migrated from empty (or baselined with a B__ file).")
            }
            guard row.type == .sql || row.type == .sqlBaseline else {
                throw RunwayError(
                    .validation,
                    "Applied migration \(row.script) has type \(row.type.rawValue): check --drift can only replay SQL "
                        + "migrations")
            }
            if let version = row.version {
                guard let file = resolved.first(where: { $0.version == version && $0.type == row.type }) else {
                    throw RunwayError(
                        .validation,
                        "Applied migration \(row.script) (version \(row.versionText ?? "")) has no file in the "
                            + "locations: check --drift cannot rebuild the schema without it")
                }
                guard file.checksumMatches(row.checksum) else {
                    throw RunwayError(
                        .validation,
                        "Migration \(file.script) was edited after it was applied (checksum \(row.checksum.map { "\($0)" } ?? "") "
                            + "in the history, \(file.checksum.value) on disk): check --drift replays the files as "
                            + "applied; restore the file or run validate/repair first")
                }
                plan.append(file)
            } else {
                guard lastRepeatableRank[row.description] == row.installedRank else { continue }
                guard let file = resolved.first(where: { $0.version == nil && $0.description == row.description })
                else {
                    throw RunwayError(
                        .validation,
                        "Applied repeatable migration \(row.script) has no file in the locations: check --drift "
                            + "cannot rebuild the schema without it")
                }
                guard file.checksumMatches(row.checksum) else {
                    throw RunwayError(
                        .validation,
                        "Repeatable migration \(file.script) changed since it was last applied (it is Outdated): the "
                            + "live schema holds the version that ran, which is no longer on disk. Run migrate first, "
                            + "then check --drift")
                }
                plan.append(file)
            }
        }
        return plan
    }
}
