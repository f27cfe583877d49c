#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Flyway's `target`: `latest` (default), `current`, `next`, or a version; a version ending in `?` is optional
/// (no error when no such migration exists).
///
/// Versions above the target are reported as `Above Target` and not applied. `current` stops at the version already
/// applied, `next` applies only the first pending migration. A concrete version that matches no migration is an
/// error (see ``MigrationInfoService/validateTarget()``) unless it was written with a trailing `?`.
public enum MigrationTarget: Sendable, Hashable, CustomStringConvertible {
    /// Every pending migration (Flyway's default).
    case latest
    /// The highest version already applied: nothing new is applied.
    case current
    /// Only the first pending migration.
    case next
    /// Up to and including `version`; `optional` when the value ended in `?`.
    case version(MigrationVersion, optional: Bool)

    /// `Long.MAX_VALUE`, which Flyway reads as `latest`.
    private static let latestNumber = "9223372036854775807"

    /// Parses a `target` setting the way Flyway's `ClassicConfiguration.getTarget` does.
    ///
    /// Surrounding whitespace is ignored. `latest`, `current` and `next` are matched case-insensitively and
    /// `9223372036854775807` means `latest`; anything else must be a version (`1.2`, `1_2`, `20240101120000`), and a
    /// trailing `?` makes it optional.
    ///
    /// - Throws: ``RunwayError`` with code `configuration`, naming the value, when it is not a keyword or a version.
    public init(parsing text: String) throws(RunwayError) {
        let trimmed = text.trimmingSpaces()
        var body = Substring(trimmed)
        let optional = body.hasSuffix("?")
        if optional { body = body.dropLast() }
        switch body.lowercased() {
        case "latest", Self.latestNumber:
            self = .latest
            return
        case "current":
            self = .current
            return
        case "next":
            self = .next
            return
        default:
            break
        }
        do {
            self = .version(try MigrationVersion(String(body)), optional: optional)
        } catch {
            throw .configuration(
                "Invalid value for target: '\(text)'. Use latest, current, next or a version such as 1.2 "
                    + "(append ? to allow a version that no migration has).")
        }
    }

    /// The setting as it would be written: `latest`, `current`, `next`, `1.2` or `1.2?`.
    public var description: String {
        switch self {
        case .latest: "latest"
        case .current: "current"
        case .next: "next"
        case .version(let version, let optional): version.text + (optional ? "?" : "")
        }
    }
}
