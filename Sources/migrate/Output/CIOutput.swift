#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Runway

/// Findings for CI systems: text, JSON, GitHub Actions annotations, JUnit XML.
enum CIOutput {
    static func render(_ report: CIReport, format: OutputOptions.Format, operation: String) -> String {
        switch format {
        case .text: text(report, operation: operation)
        case .json: json(report, operation: operation).pretty
        case .github: github(report)
        case .junit: junit(report, operation: operation)
        }
    }

    static func location(_ finding: CIFinding) -> String {
        guard let file = finding.file else { return "" }
        return file + (finding.line.map { ":\($0)" } ?? "") + ": "
    }

    static func text(_ report: CIReport, operation: String) -> String {
        var lines = report.findings.map { "\(location($0))\($0.severity.rawValue): [\($0.code)] \($0.message)" }
        for migration in report.applied {
            lines.append("applied \(migration.script) in \(migration.executionTime) ms")
        }
        let errors = report.findings.filter { $0.severity == .error }.count
        let warnings = report.findings.count - errors
        lines.append(
            "\(operation): \(report.migrationsChecked) migration(s) checked, \(errors) error(s), \(warnings) warning(s)"
        )
        return lines.joined(separator: "\n")
    }

    static func json(_ report: CIReport, operation: String) -> JSONValue {
        .object([
            ("operation", .string(operation)), ("success", .bool(report.isValid)),
            ("migrationsChecked", .int(report.migrationsChecked)),
            (
                "findings",
                .array(
                    report.findings.map {
                        .object([
                            ("severity", .string($0.severity.rawValue)), ("code", .string($0.code)),
                            ("file", .optional($0.file)), ("line", .optional($0.line)),
                            ("message", .string($0.message)),
                        ])
                    })
            ),
            (
                "applied",
                .array(
                    report.applied.map {
                        .object([("script", .string($0.script)), ("executionTime", .int($0.executionTime))])
                    })
            ),
        ])
    }

    /// `::error file=…,line=…,title=…::message` workflow commands (newlines and `%` escaped as GitHub requires).
    static func github(_ report: CIReport) -> String {
        func escapeData(_ text: String) -> String {
            text.replacingEvery("%", with: "%25").replacingEvery("\r", with: "%0D")
                .replacingEvery("\n", with: "%0A")
        }
        func escapeProperty(_ text: String) -> String {
            escapeData(text).replacingEvery(":", with: "%3A").replacingEvery(",", with: "%2C")
        }
        var lines = report.findings.map { finding -> String in
            var properties: [String] = []
            if let file = finding.file { properties.append("file=\(escapeProperty(file))") }
            if let line = finding.line { properties.append("line=\(line)") }
            properties.append("title=\(escapeProperty(finding.code))")
            return "::\(finding.severity == .error ? "error" : "warning") \(properties.joined(separator: ","))::"
                + escapeData(finding.message)
        }
        if report.isValid { lines.append("::notice::\(report.migrationsChecked) migration(s) checked, no errors") }
        return lines.joined(separator: "\n")
    }

    /// One test case per finding (errors as failures, warnings as passing cases with system-out), or a single
    /// passing case.
    static func junit(_ report: CIReport, operation: String) -> String {
        func escape(_ text: String) -> String {
            text.replacingEvery("&", with: "&amp;").replacingEvery("<", with: "&lt;")
                .replacingEvery(">", with: "&gt;").replacingEvery("\"", with: "&quot;")
        }
        let errors = report.findings.filter { $0.severity == .error }
        var cases: [String] = report.findings.map { finding in
            let name = escape(location(finding) + finding.code)
            let file = finding.file.map { " file=\"\(escape($0))\"" } ?? ""
            let line = finding.line.map { " line=\"\($0)\"" } ?? ""
            let body =
                finding.severity == .error
                ? "<failure type=\"\(escape(finding.code))\" message=\"\(escape(finding.message))\"/>"
                : "<system-out>\(escape("warning: " + finding.message))</system-out>"
            return "    <testcase classname=\"runway.\(operation)\" name=\"\(name)\"\(file)\(line)>\(body)</testcase>"
        }
        if cases.isEmpty {
            cases.append(
                "    <testcase classname=\"runway.\(operation)\" name=\"\(report.migrationsChecked) migrations\"/>")
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="runway">
              <testsuite name="runway \(operation)" tests="\(cases.count)" failures="\(errors.count)" errors="0">
            \(cases.joined(separator: "\n"))
              </testsuite>
            </testsuites>
            """
    }

    /// Online validation problems as findings.
    static func report(_ result: ValidateResult) -> CIReport {
        CIReport(
            findings: result.problems.map {
                CIFinding(severity: .error, code: $0.code, file: $0.script, line: nil, message: $0.message)
            }, migrationsChecked: result.validateCount)
    }
}
