#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

/// `validate --offline --base <rev>`: migrations released on the base revision must be unchanged, and every new
/// versioned migration must sort above the highest version on the base. Reads git through the `git` command.
struct GitBaseCheck {
    let base: String
    /// Absolute location folders.
    let locations: [String]
    let naming: NamingConvention
    let logger: Logger

    /// A migration file as it is on the base revision.
    struct BaseMigration {
        var version: MigrationVersion
        var kind: MigrationKind
        var description: String
        /// Path relative to the repository root.
        var path: String
        var checksum: Checksum
    }

    func check(_ resolved: [ResolvedMigration]) throws(RunwayError) -> [CIFinding] {
        let root = try git(["rev-parse", "--show-toplevel"], in: locations.first ?? ".").trimmingWhitespace()
        do {
            _ = try git(["rev-parse", "--verify", "--quiet", "\(base)^{commit}"], in: root)
        } catch {
            let shallow = (try? git(["rev-parse", "--is-shallow-repository"], in: root))?.hasPrefix("true") == true
            throw RunwayError(
                .configuration,
                "Base revision '\(base)' not found in the git repository at \(root)."
                    + (shallow
                        ? " This is a shallow clone: fetch the base first, e.g. `git fetch --no-tags --depth=1 origin "
                            + "\(base.replacingEvery("origin/", with: ""))` (or check out with fetch-depth: 0)."
                        : " Fetch it first (`git fetch origin`) or pass an existing revision to --base."))
        }
        let baseMigrations = try readBase(root: root)
        var findings: [CIFinding] = []
        let localByVersion = Dictionary(
            resolved.compactMap { m in m.version.map { (VersionKey($0, m.kind), m) } },
            uniquingKeysWith: { a, _ in a })
        for old in baseMigrations {
            guard let local = localByVersion[VersionKey(old.version, old.kind)] else {
                findings.append(
                    CIFinding(
                        severity: .error, code: "DELETED_AFTER_RELEASE", file: old.path, line: nil,
                        message: "Migration \(old.version) (\(old.path)) exists on \(base) but is gone or was "
                            + "renumbered here. Released migrations must stay; add a new migration instead."))
                continue
            }
            if local.checksum != old.checksum {
                findings.append(
                    CIFinding(
                        severity: .error, code: "CHANGED_AFTER_RELEASE", file: relative(local.path, root: root),
                        line: nil,
                        message: "Migration \(old.version) was edited after release: \(old.path) on \(base) has "
                            + "checksum \(old.checksum), \(relative(local.path, root: root)) now has "
                            + "\(local.checksum). Databases that applied it will fail validation; revert the edit "
                            + "and put the change in a new migration."))
            } else if local.description != old.description {
                findings.append(
                    CIFinding(
                        severity: .error, code: "CHANGED_AFTER_RELEASE", file: relative(local.path, root: root),
                        line: nil,
                        message: "Migration \(old.version) was renamed after release (description '\(old.description)'"
                            + " on \(base), '\(local.description)' now): databases that applied it will report a "
                            + "description mismatch. Keep the released name."))
            }
        }
        let baseKeys = Set(baseMigrations.map { VersionKey($0.version, $0.kind) })
        let highest = baseMigrations.filter { $0.kind == .versioned }.max { $0.version < $1.version }
        for local in resolved where local.kind == .versioned {
            guard let version = local.version, !baseKeys.contains(VersionKey(version, local.kind)) else { continue }
            let path = relative(local.path, root: root)
            if let clash = baseMigrations.first(where: { $0.kind == .versioned && $0.version == version }) {
                findings.append(
                    CIFinding(
                        severity: .error, code: "VERSION_CLASH", file: path, line: nil,
                        message: "New migration \(path) uses version \(version), already used by \(clash.path) on "
                            + "\(base). Renumber it above \(highest?.version.text ?? "\(version)")."))
            } else if let highest, version < highest.version {
                findings.append(
                    CIFinding(
                        severity: .error, code: "OUT_OF_ORDER", file: path, line: nil,
                        message: "New migration \(path) (version \(version)) sorts below \(highest.path) (version "
                            + "\(highest.version)) already on \(base): databases at that version would ignore it. "
                            + "Renumber it above \(highest.version)."))
            }
        }
        return findings
    }

    /// Versioned and baseline migrations in the locations on the base revision.
    private func readBase(root: String) throws(RunwayError) -> [BaseMigration] {
        var result: [BaseMigration] = []
        for location in locations {
            let prefix = relative(location, root: root)
            guard !prefix.hasPrefix("/") else { continue }  // outside the repository
            let listing = try git(
                ["ls-tree", "-r", "-z", "--name-only", base, "--", prefix.isEmpty ? "." : prefix], in: root)
            for path in listing.split(separator: "\0").map(String.init) {
                let filename = path.split(separator: "/").last.map(String.init) ?? path
                guard case .migration(let kind, let version?, let description) = naming.parse(filename),
                    kind != .undo
                else { continue }
                let data = try gitData(["show", "\(base):\(path)"], in: root)
                let checksum =
                    Checksum(utf8Bytes: [UInt8](data)) ?? Checksum(text: String(decoding: data, as: UTF8.self))
                result.append(
                    BaseMigration(
                        version: version, kind: kind, description: description, path: path, checksum: checksum))
            }
        }
        return result
    }

    private struct VersionKey: Hashable {
        let version: MigrationVersion
        let isBaseline: Bool
        init(_ version: MigrationVersion, _ kind: MigrationKind) {
            self.version = version
            self.isBaseline = kind == .baseline
        }
    }

    private func relative(_ path: String, root: String) -> String {
        let resolvedRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        let resolvedPath = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if resolvedPath == resolvedRoot { return "" }
        return resolvedPath.hasPrefix(resolvedRoot + "/")
            ? String(resolvedPath.dropFirst(resolvedRoot.count + 1)) : path
    }

    private func git(_ arguments: [String], in directory: String) throws(RunwayError) -> String {
        String(decoding: try gitData(arguments, in: directory), as: UTF8.self)
    }

    /// Runs `git` and returns its standard output; a failure is a configuration error quoting git's message.
    private func gitData(_ arguments: [String], in directory: String) throws(RunwayError) -> Data {
        let output = try Subprocess.run(["git"] + arguments, in: directory)
        guard output.succeeded else {
            let message = output.standardError.trimmingWhitespace()
            throw RunwayError(.configuration, "git \(arguments.joined(separator: " ")) failed: \(message)")
        }
        return output.standardOutput
    }
}
