import Foundation
import Testing

/// The layering `docs/architecture.md` promises, checked on the sources themselves: which folder of `Sources/Runway`
/// may name types declared in which other folder, and that only `PostgreSQL/` talks to libpq.
@Suite struct ArchitectureTests {
    /// Each folder and the folders whose types it may name. `RunwayError` (the root's public error) may be named
    /// everywhere; everything else follows the diagram in docs/architecture.md, top to bottom.
    static let allowed: [String: Set<String>] = [
        ".": [
            "Execution", "Results", "Configuration", "Planning", "Lint", "History", "Migrations", "PostgreSQL",
            "Support",
        ],
        "Execution": [
            "CI", "Scratch", "Results", "Configuration", "Planning", "Lint", "History", "Migrations", "PostgreSQL",
            "Support",
        ],
        "CI": ["Results", "Migrations", "Support"],
        "Scratch": ["Configuration", "Support"],
        "Results": ["Planning", "Lint", "Migrations"],
        "Configuration": ["Planning", "Lint", "Migrations", "PostgreSQL", "Support"],
        "Planning": ["History", "Migrations"],
        "Lint": ["Migrations"],
        "History": ["Migrations", "PostgreSQL"],
        "Migrations": ["Support"],
        "PostgreSQL": ["Support"],
        "Support": [],
    ]

    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")

    @Test func everyFolderNamesOnlyTheLayersBelowIt() throws {
        let tree = try SourceTree(directory: Self.sources.appendingPathComponent("Runway"))
        #expect(Set(tree.folders) == Set(Self.allowed.keys), "a new folder needs its place in the layering")
        #expect(tree.violations(allowed: Self.allowed, exempt: ["RunwayError"]) == [])
    }

    @Test func onlyPostgreSQLTalksToLibpq() throws {
        var offenders: [String] = []
        for target in ["Runway", "migrate", "RunwayServiceLifecycle"] {
            let tree = try SourceTree(directory: Self.sources.appendingPathComponent(target))
            for (path, code) in tree.files where !(target == "Runway" && path.hasPrefix("PostgreSQL/")) {
                if code.contains("import CLibPQ") || code.firstMatch(of: /\bPQ[a-zA-Z]+\(/) != nil {
                    offenders.append("\(target)/\(path)")
                }
            }
        }
        #expect(offenders == [])
    }

    /// The check itself can fail: a PostgreSQL file naming a Configuration type, and a comment or string that names
    /// one (which must not count).
    @Test func theCheckFindsAnArrowPointingUp() {
        let tree = SourceTree(files: [
            "PostgreSQL/Connection.swift": "struct Connection { let settings: ConnectionSettings }",
            "PostgreSQL/Quote.swift": "// ConnectionSettings\nlet text = \"ConnectionSettings\"\nenum Quote {}",
            "Configuration/ConnectionSettings.swift": "public struct ConnectionSettings { var c: Connection? }",
        ])
        #expect(
            tree.violations(allowed: ["PostgreSQL": [], "Configuration": ["PostgreSQL"]], exempt: [])
                == ["PostgreSQL/Connection.swift names ConnectionSettings (Configuration)"])
    }
}

/// A target's Swift files with comments and string literals blanked out, and the top-level types each declares.
private struct SourceTree {
    /// Path relative to the target → code.
    var files: [String: String]

    init(files: [String: String]) {
        self.files = files.mapValues(Self.code)
    }

    init(directory: URL) throws {
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "swift" else { continue }
            let relative = String(url.path.dropFirst(directory.path.count + 1))
            files[relative] = try String(contentsOf: url, encoding: .utf8)
        }
        self.init(files: files)
    }

    static func folder(of path: String) -> String {
        path.split(separator: "/").dropLast().first.map(String.init) ?? "."
    }

    var folders: [String] { Array(Set(files.keys.map(Self.folder))) }

    /// Types declared at the top level of each file, by the folder that declares them.
    var declarations: [String: String] {
        var result: [String: String] = [:]
        for (path, code) in files {
            let pattern =
                /(?m)^(?:(?:public|package|internal|private|fileprivate|final|indirect)\s+)*(?:struct|enum|class|protocol|actor|typealias)\s+([A-Z]\w*)/
            for match in code.matches(of: pattern) { result[String(match.1)] = Self.folder(of: path) }
        }
        return result
    }

    /// "file names Type (Folder)" for every type a file names from a folder it may not depend on.
    func violations(allowed: [String: Set<String>], exempt: Set<String>) -> [String] {
        let declarations = declarations
        var result: [String] = []
        for (path, code) in files.sorted(by: { $0.key < $1.key }) {
            let folder = Self.folder(of: path)
            let words = Set(code.matches(of: /[A-Za-z_]\w*/).map { String($0.0) })
            for word in words.sorted() {
                guard let home = declarations[word], home != folder, !exempt.contains(word) else { continue }
                if !(allowed[folder] ?? []).contains(home) { result.append("\(path) names \(word) (\(home))") }
            }
        }
        return result
    }

    /// Swift source with comments removed and string literals emptied (so words in them are not references).
    static func code(_ source: String) -> String {
        var output = ""
        var index = source.startIndex
        func rest() -> Substring { source[index...] }
        while index < source.endIndex {
            if rest().hasPrefix("//") {
                index = source[index...].firstIndex(of: "\n") ?? source.endIndex
            } else if rest().hasPrefix("/*") {
                var depth = 0
                while index < source.endIndex {
                    if rest().hasPrefix("/*") {
                        depth += 1
                        index = source.index(index, offsetBy: 2)
                    } else if rest().hasPrefix("*/") {
                        depth -= 1
                        index = source.index(index, offsetBy: 2)
                        if depth == 0 { break }
                    } else {
                        index = source.index(after: index)
                    }
                }
            } else if rest().hasPrefix("\"\"\"") {
                let body = source.index(index, offsetBy: 3)
                let end = source[body...].range(of: "\"\"\"")?.upperBound ?? source.endIndex
                output += "\"\""
                index = end
            } else if source[index] == "\"" {
                index = source.index(after: index)
                while index < source.endIndex && source[index] != "\"" && source[index] != "\n" {
                    if source[index] == "\\" && source.index(after: index) < source.endIndex {
                        index = source.index(after: index)
                    }
                    index = source.index(after: index)
                }
                if index < source.endIndex { index = source.index(after: index) }
                output += "\"\""
            } else {
                output.append(source[index])
                index = source.index(after: index)
            }
        }
        return output
    }
}
