import Foundation
import Logging

/// A SQL file found in a location, before placeholders are applied.
struct ScannedFile: Sendable {
    /// The parsed name.
    var name: ParsedName
    /// Path relative to the location root, with `/` separators (the `script` column).
    var relativePath: String
    /// Absolute path.
    var path: String
    /// The file's bytes decoded as UTF-8 (validated strictly).
    var text: String
    /// Checksum of the raw text.
    var rawChecksum: Checksum
    /// Settings from the `<file>.conf` side file.
    var config = ScriptConfig()
    /// The file name without folders.
    var filename: String { relativePath.split(separator: "/").last.map(String.init) ?? relativePath }
}

/// What a scan of the configured locations found.
struct ScanResult: Sendable {
    /// Migration files (versioned, repeatable, baseline), in relative-path order.
    var migrations: [ScannedFile] = []
    /// Callback files (`beforeMigrate.sql`...), in relative-path order.
    var callbacks: [ScannedFile] = []
    /// Flyway's messages for files whose names do not follow the convention.
    var invalidNames: [String] = []
}

/// Finds migration files in filesystem locations exactly as Flyway's `FileSystemScanner` does.
struct MigrationScanner {
    var locations: [String]
    var naming: NamingConvention
    var failOnMissingLocations: Bool
    var logger: Logger
    /// Default file encoding (Flyway's `encoding`).
    var encoding = "UTF-8"
    /// Folder relative locations are resolved against (`nil`: the current directory).
    var workingDirectory: String?

    /// Normalises the location list: strips `filesystem:`, rejects other prefixes, sorts, drops duplicates and
    /// sub-locations (Flyway's `Locations` rules).
    static func normalise(
        _ locations: [String], workingDirectory: String? = nil, logger: Logger
    ) throws(RunwayError) -> [String] {
        var paths: [String] = []
        for raw in locations {
            let descriptor = raw.trimmingCharacters(in: .whitespaces)
            guard !descriptor.isEmpty else { continue }
            var path = descriptor
            if let colon = descriptor.firstIndex(of: ":") {
                let prefix = descriptor[..<colon].lowercased()
                if prefix == "filesystem" {
                    path = String(descriptor[descriptor.index(after: colon)...])
                } else if prefix == "classpath" {
                    throw .configuration(
                        "Unsupported location '\(descriptor)': Runway reads migrations from the filesystem only; "
                            + "use 'filesystem:<folder>' or a plain folder path (setting: locations)")
                } else if !descriptor.hasPrefix("file:") {
                    throw .configuration(
                        "Unknown prefix for location (should be one of filesystem:): \(descriptor) (setting: locations)"
                    )
                }
            }
            if let workingDirectory, !path.hasPrefix("/") { path = workingDirectory + "/" + path }
            var url = URL(fileURLWithPath: path)
            url.standardize()
            let normalised = url.path
            if paths.contains(normalised) {
                logger.warning("Discarding duplicate location", metadata: ["location": "\(descriptor)"])
                continue
            }
            paths.append(normalised)
        }
        paths.sort()
        var result: [String] = []
        for path in paths {
            if let parent = result.first(where: { path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) {
                logger.warning(
                    "Discarding location as it is a sub-location of another",
                    metadata: ["location": "\(path)", "parent": "\(parent)"])
                continue
            }
            result.append(path)
        }
        return result
    }

    /// Scans every location; file contents are read and validated as UTF-8. The first bad file is an error.
    func scan() throws(RunwayError) -> ScanResult {
        let (result, fileErrors) = try scanCollectingErrors()
        if let first = fileErrors.first { throw first }
        return result
    }

    /// Scans every location, collecting the errors of individual files (unreadable, not valid in their encoding,
    /// bad `.conf` side file) instead of stopping at the first; errors about the locations themselves still throw.
    func scanCollectingErrors() throws(RunwayError) -> (ScanResult, [RunwayError]) {
        var result = ScanResult()
        var fileErrors: [RunwayError] = []
        var seen: [String: ScannedFile] = [:]  // relative path -> first file, to merge identical copies
        for root in try Self.normalise(locations, workingDirectory: workingDirectory, logger: logger) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                let reason = FileManager.default.fileExists(atPath: root) ? "NOT_A_DIRECTORY" : "NOT_FOUND"
                if failOnMissingLocations {
                    throw .configuration("Failed to find filesystem location: \(root) (\(reason)) (setting: locations)")
                }
                logger.error("Skipping filesystem location", metadata: ["location": "\(root)", "reason": "\(reason)"])
                continue
            }
            let allFiles = Self.listFiles(root: root)
            var confFiles: [String: String] = [:]
            for relative in allFiles where relative.lowercased().hasSuffix(".conf") {
                confFiles[relative.lowercased()] = relative
            }
            for relative in allFiles {
                let filename = relative.split(separator: "/").last.map(String.init) ?? relative
                let name = naming.parse(filename)
                switch name {
                case .notSQL: continue
                case .invalid(let message):
                    result.invalidNames.append(message)
                    continue
                case .migration, .callback: break
                }
                let path = root + "/" + relative
                var file: ScannedFile
                do throws(RunwayError) {
                    var config = ScriptConfig()
                    if let confRelative = confFiles[(relative + ".conf").lowercased()] {
                        let confPath = root + "/" + confRelative
                        guard let data = FileManager.default.contents(atPath: confPath),
                            let text = String(data: data, encoding: .utf8)
                        else {
                            throw .invalidMigration("Unable to read script config \(confPath)", file: confRelative)
                        }
                        config = try ScriptConfig.parse(text, file: confRelative)
                    }
                    file = try Self.load(
                        name: name, relativePath: relative, path: path, encoding: config.encoding ?? encoding)
                    file.config = config
                } catch {
                    fileErrors.append(error)
                    continue
                }
                if let previous = seen[relative], previous.rawChecksum == file.rawChecksum { continue }
                seen[relative] = file
                if case .callback = name { result.callbacks.append(file) } else { result.migrations.append(file) }
            }
        }
        result.migrations.sort { $0.relativePath.utf16.lexicographicallyPrecedes($1.relativePath.utf16) }
        result.callbacks.sort { $0.relativePath.utf16.lexicographicallyPrecedes($1.relativePath.utf16) }
        return (result, fileErrors)
    }

    /// Reads and strictly decodes one file.
    static func load(
        name: ParsedName, relativePath: String, path: String, encoding: String = "UTF-8"
    ) throws(RunwayError) -> ScannedFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidMigration("Unable to read migration file \(path)", file: relativePath)
        }
        guard let foundationEncoding = FileEncoding.named(encoding) else {
            throw .configuration("Unsupported encoding '\(encoding)' for \(relativePath) (setting: encoding)")
        }
        if foundationEncoding != .utf8 {
            guard let text = String(data: data, encoding: foundationEncoding) else {
                throw .invalidMigration(
                    "Unable to calculate checksum of \(relativePath): the file is not valid \(encoding). "
                        + "Please ensure you have configured the correct file encoding.", file: relativePath)
            }
            return ScannedFile(
                name: name, relativePath: relativePath, path: path, text: text, rawChecksum: Checksum(text: text))
        }
        let bytes = [UInt8](data)
        guard let text = String(validating: bytes, as: UTF8.self), let checksum = Checksum(utf8Bytes: bytes) else {
            throw .invalidMigration(
                "Unable to calculate checksum of \(relativePath): the file is not valid UTF-8. "
                    + "Please ensure the file is saved as UTF-8.", file: relativePath)
        }
        return ScannedFile(name: name, relativePath: relativePath, path: path, text: text, rawChecksum: checksum)
    }

    /// Every regular file below `root` (recursively, skipping hidden directories), as relative paths.
    static func listFiles(root: String) -> [String] {
        var files: [String] = []
        var stack = [""]
        let manager = FileManager.default
        while let relativeDir = stack.popLast() {
            let dir = relativeDir.isEmpty ? root : root + "/" + relativeDir
            guard let entries = try? manager.contentsOfDirectory(atPath: dir) else { continue }
            for entry in entries {
                let relative = relativeDir.isEmpty ? entry : relativeDir + "/" + entry
                var isDirectory: ObjCBool = false
                guard manager.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    if !entry.hasPrefix(".") { stack.append(relative) }
                } else {
                    files.append(relative)
                }
            }
        }
        return files
    }
}
