#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Runway

/// `check --drift` results: text, JSON, GitHub Actions annotations.
enum DriftOutput {
    /// One line per drifted object, then one indented line per attribute, then a summary.
    static func text(_ report: DriftReport) -> String {
        var lines: [String] = []
        for difference in report.differences {
            lines.append("\(difference.change.rawValue) \(difference.kind.rawValue) \(difference.name)")
            for attribute in difference.attributes {
                lines.append("    " + describe(attribute, change: difference.change))
            }
        }
        let schemas = report.schemas.joined(separator: ", ")
        lines.append(
            report.hasDrift
                ? "check --drift: \(report.differences.count) difference(s) in database \(report.database) "
                    + "(schemas \(schemas)) against \(report.migrationsReplayed.count) applied migration(s)"
                : "check --drift: no drift in database \(report.database) (schemas \(schemas)), "
                    + "\(report.migrationsReplayed.count) applied migration(s) replayed")
        return lines.joined(separator: "\n")
    }

    /// `name: value` on the side the object has, `name: expected X, actual Y` for a change.
    static func describe(_ attribute: DriftAttribute, change: DriftChange) -> String {
        func shown(_ value: String?) -> String { value.map { "\"\($0)\"" } ?? "(none)" }
        switch change {
        case .added: return "\(attribute.name): \(shown(attribute.actual))"
        case .removed: return "\(attribute.name): \(shown(attribute.expected))"
        case .changed:
            return "\(attribute.name): expected \(shown(attribute.expected)), actual \(shown(attribute.actual))"
        }
    }

    static func json(_ report: DriftReport) -> JSONValue {
        .object([
            ("operation", .string("check")), ("timestamp", .string(JSONOutput.timestamp)),
            ("flywayVersion", .string("runway-\(RunwayVersion.current)")), ("database", .string(report.database)),
            ("schemas", .array(report.schemas.map(JSONValue.string))), ("drift", .bool(report.hasDrift)),
            ("success", .bool(!report.hasDrift)),
            ("migrationsReplayed", .array(report.migrationsReplayed.map(JSONValue.string))),
            (
                "differences",
                .array(
                    report.differences.map { difference in
                        .object([
                            ("change", .string(difference.change.rawValue)),
                            ("kind", .string(difference.kind.rawValue)), ("name", .string(difference.name)),
                            (
                                "attributes",
                                .array(
                                    difference.attributes.map {
                                        .object([
                                            ("name", .string($0.name)), ("expected", .optional($0.expected)),
                                            ("actual", .optional($0.actual)),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
        ])
    }

    /// One `::error` annotation per drifted object (no file: drift is in the database), or a notice.
    static func github(_ report: DriftReport) -> String {
        func escape(_ text: String) -> String {
            text.replacingEvery("%", with: "%25").replacingEvery("\r", with: "%0D").replacingEvery("\n", with: "%0A")
        }
        var lines = report.differences.map { difference in
            let details = difference.attributes.map { describe($0, change: difference.change) }
            return "::error title=drift (\(difference.change.rawValue) \(difference.kind.rawValue))::"
                + escape(([difference.name] + details).joined(separator: "\n"))
        }
        if !report.hasDrift {
            lines.append("::notice::no drift in database \(escape(report.database))")
        }
        return lines.joined(separator: "\n")
    }
}
