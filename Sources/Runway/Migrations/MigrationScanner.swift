#if canImport(FoundationEssentials)
    import Dispatch
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif
import Logging

/// A SQL file found in a location, before placeholders are applied. (A class: lists of ten thousand files are sorted
/// and merged, and a copy should cost one reference count.)
final class ScannedFile: Sendable {
    /// The parsed name.
    let name: ParsedName
    /// Path relative to the location root, with `/` separators (the `script` column).
    let relativePath: String
    /// Absolute path.
    let path: String
    /// Checksum of the raw text.
    let rawChecksum: Checksum
    /// Size, inode and modification time when the checksum was computed (UTF-8 files, which are read again when
    /// executed); `nil` for files decoded from another encoding, whose text is kept in ``decodedText``.
    let stamp: FileStamp?
    /// The text of a file in another encoding than UTF-8, decoded once during the scan.
    let decodedText: String?
    /// Settings from the `<file>.conf` side file.
    let config: ScriptConfig

    init(
        name: ParsedName, relativePath: String, path: String, rawChecksum: Checksum, stamp: FileStamp? = nil,
        decodedText: String? = nil, config: ScriptConfig = ScriptConfig()
    ) {
        self.name = name
        self.relativePath = relativePath
        self.path = path
        self.rawChecksum = rawChecksum
        self.stamp = stamp
        // A byte order mark is not part of the script (Flyway drops it after decoding, whatever the encoding).
        self.decodedText = decodedText.map { $0.hasPrefix("\u{FEFF}") ? String($0.dropFirst()) : $0 }
        self.config = config
    }

    /// The file name without folders.
    var filename: String { relativePath.split(separator: "/").last.map(String.init) ?? relativePath }

    /// The file's bytes for execution: read again (mapped when large), after checking the file did not change
    /// since the scan.
    func bytes() throws(RunwayError) -> ScriptBytes {
        if let decodedText { return ScriptBytes.holding(decodedText) }
        guard let stamp else { throw .invalidMigration("Unable to read migration file \(path)", file: relativePath) }
        return try ScriptBytes(
            reading: .file(path: path, relativePath: relativePath, stamp: stamp, checksum: rawChecksum),
            expectedSize: stamp.size)
    }

    /// The file's text (read again; see ``bytes()``).
    func text() throws(RunwayError) -> String {
        if let decodedText { return decodedText }
        let bytes = try bytes()
        return String(decoding: bytes.bytes, as: UTF8.self)
    }
}

/// What a scan of the configured locations found.
struct ScanResult: Sendable {
    /// Migration files (versioned, repeatable, baseline), in relative-path order.
    var migrations: [ScannedFile] = []
    /// Callback files (`beforeMigrate.sql`...), in relative-path order.
    var callbacks: [ScannedFile] = []
    /// Undo files (`U<version>__<description>.sql`), in relative-path order; only `undo`, `info`, `validate` and
    /// the lint look at them, so nothing else changes when a folder holds some.
    var undoMigrations: [ScannedFile] = []
    /// Flyway's messages for files whose names do not follow the convention.
    var invalidNames: [String] = []
    /// One message per configured location that was skipped because it is not a folder (without
    /// `failOnMissingLocations`); results carry them as warnings.
    var skippedLocations: [String] = []
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

    /// A configured location and the folder it names.
    struct Location: Sendable, Equatable {
        /// As configured, trimmed (`filesystem:../sql`, `migrations`).
        var descriptor: String
        /// The absolute folder, `.` and `..` resolved.
        var path: String
    }

    /// Normalises the location list: strips `filesystem:`, rejects other prefixes, makes relative paths absolute
    /// against `workingDirectory` (default: the process's current directory, as Flyway's `new File(path)`), sorts,
    /// drops duplicates and sub-locations (Flyway's `Locations` rules). Blank entries are skipped.
    static func resolve(
        _ locations: [String], workingDirectory: String? = nil, logger: Logger
    ) throws(RunwayError) -> [Location] {
        let base = baseDirectory(workingDirectory)
        var found: [Location] = []
        for raw in locations {
            let descriptor = raw.trimmingSpaces()
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
            let normalised = FilePaths.absolute(path, relativeTo: base)
            if found.contains(where: { $0.path == normalised }) {
                logger.warning("Discarding duplicate location", metadata: ["location": "\(descriptor)"])
                continue
            }
            found.append(Location(descriptor: descriptor, path: normalised))
        }
        found.sort { $0.path < $1.path }
        var result: [Location] = []
        for location in found {
            let path = location.path
            if let parent = result.first(where: { path.hasPrefix($0.path.hasSuffix("/") ? $0.path : $0.path + "/") }) {
                logger.warning(
                    "Discarding location as it is a sub-location of another",
                    metadata: ["location": "\(path)", "parent": "\(parent.path)"])
                continue
            }
            result.append(location)
        }
        return result
    }

    /// The folder relative locations are resolved against: `workingDirectory` (itself relative to the current
    /// directory when relative), else the current directory.
    static func baseDirectory(_ workingDirectory: String?) -> String {
        let currentDirectory = FileManager.default.currentDirectoryPath
        return workingDirectory.map { FilePaths.absolute($0, relativeTo: currentDirectory) } ?? currentDirectory
    }

    /// The folders of ``resolve(_:workingDirectory:logger:)``.
    static func normalise(
        _ locations: [String], workingDirectory: String? = nil, logger: Logger
    ) throws(RunwayError) -> [String] {
        try resolve(locations, workingDirectory: workingDirectory, logger: logger).map(\.path)
    }

    /// The folders to scan. A location that is not a folder is skipped with an error log, as Flyway does, or is an
    /// error with `failOnMissingLocations`. No location at all, or none that is a folder, is always an error, before
    /// anything connects: a misspelt or wrongly relative location would otherwise "apply" nothing and succeed.
    func roots() throws(RunwayError) -> (roots: [String], skipped: [String]) {
        let resolved = try Self.resolve(locations, workingDirectory: workingDirectory, logger: logger)
        guard !resolved.isEmpty else {
            throw .configuration(
                "No migration location is configured (setting: locations is empty): set it to the folders that hold "
                    + "the migrations")
        }
        var roots: [String] = []
        var missing: [String] = []
        for location in resolved {
            var info = stat()
            if stat(location.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                roots.append(location.path)
                continue
            }
            let reason = access(location.path, F_OK) == 0 ? "NOT_A_DIRECTORY" : "NOT_FOUND"
            if failOnMissingLocations {
                throw .configuration(
                    "Failed to find filesystem location: \(location.path) (\(reason)) (setting: locations, "
                        + "'\(location.descriptor)')")
            }
            logger.error(
                "Skipping filesystem location", metadata: ["location": "\(location.path)", "reason": "\(reason)"])
            missing.append("'\(location.descriptor)' is \(location.path) (\(reason))")
        }
        let skipped = missing.map { "Skipped migration location \($0): it is not a folder" }
        guard !roots.isEmpty else {
            throw .configuration(
                "No configured migration location is a folder (setting: locations): "
                    + "\(missing.joined(separator: ", ")). Relative locations are resolved against the working "
                    + "directory, \(Self.baseDirectory(workingDirectory))")
        }
        return (roots, skipped)
    }

    /// Scans every location; file contents are read and validated as UTF-8. The first bad file is an error.
    func scan() throws(RunwayError) -> ScanResult {
        let (result, fileErrors) = try scanCollectingErrors()
        if let first = fileErrors.first { throw first }
        return result
    }

    /// Scans every location, collecting the errors of individual files (unreadable, not valid in their encoding,
    /// bad `.conf` side file, broken links, folder loops) instead of stopping at the first; errors about the
    /// locations themselves still throw.
    func scanCollectingErrors() throws(RunwayError) -> (ScanResult, [RunwayError]) {
        var result = ScanResult()
        var fileErrors: [RunwayError] = []
        var seen: [String: Checksum] = [:]  // relative path -> first file's checksum, to merge identical copies
        let (roots, skipped) = try roots()
        result.skippedLocations = skipped
        for root in roots {
            let listing = Self.listFiles(root: root)
            for problem in listing.problems {
                fileErrors.append(.invalidMigration(problem.message, file: problem.relativePath))
            }
            for directory in listing.directories {
                let name = directory.split(separator: "/").last.map(String.init) ?? directory
                if case .migration = naming.parse(name) {
                    result.invalidNames.append(
                        "\(root)/\(directory) is a folder, not a migration file (its name looks like a migration)")
                }
            }
            var confFiles: [String: String] = [:]
            for entry in listing.files where Self.isConfFile(entry.name) {
                confFiles[entry.relativePath.lowercased()] = entry.relativePath
            }
            var work: [(entry: Listing.Entry, name: ParsedName)] = []
            work.reserveCapacity(listing.files.count)
            for entry in listing.files {
                let name = naming.parse(entry.name)
                switch name {
                case .notSQL: continue
                case .invalid(let message):
                    result.invalidNames.append(message)
                    continue
                case .migration, .callback: work.append((entry, name))
                }
            }
            // Reading and checksumming the files is independent per file: two threads share it (the machines this
            // runs on at application start have a core or two; the connection is being opened meanwhile).
            let conf = confFiles
            let encoding = encoding
            let loaded = Self.concurrentMap(work) { item -> Result<ScannedFile, RunwayError> in
                Result { () throws(RunwayError) -> ScannedFile in
                    try Self.load(item.entry, name: item.name, root: root, confFiles: conf, encoding: encoding)
                }
            }
            for (item, outcome) in zip(work, loaded) {
                let file: ScannedFile
                switch outcome {
                case .success(let value): file = value
                case .failure(let error):
                    fileErrors.append(error)
                    continue
                }
                let relative = item.entry.relativePath
                if let previous = seen[relative], previous == file.rawChecksum { continue }
                seen[relative] = file.rawChecksum
                switch item.name {
                case .callback: result.callbacks.append(file)
                case .migration(kind: .undo, _, _): result.undoMigrations.append(file)
                default: result.migrations.append(file)
                }
            }
        }
        result.migrations = Self.sortedByPath(result.migrations)
        result.callbacks = Self.sortedByPath(result.callbacks)
        result.undoMigrations = Self.sortedByPath(result.undoMigrations)
        return (result, fileErrors)
    }

    /// Sorted by relative path in UTF-16 order (Java's `String.compareTo`).
    static func sortedByPath(_ files: [ScannedFile]) -> [ScannedFile] {
        files.sorted { JavaStringOrder.less($0.relativePath, $1.relativePath) }
    }

    /// Whether a file name ends in `.conf`, in any case (without lowercasing every name of a scan).
    private static func isConfFile(_ name: String) -> Bool {
        let suffix = ".conf".utf8
        let bytes = name.utf8
        guard bytes.count >= suffix.count else { return false }
        return zip(bytes.suffix(suffix.count), suffix).allSatisfy { $0 | 0x20 == $1 | 0x20 }
    }

    /// One listed file: its `.conf` side file, then the file itself.
    private static func load(
        _ entry: Listing.Entry, name: ParsedName, root: String, confFiles: [String: String], encoding: String
    ) throws(RunwayError) -> ScannedFile {
        let relative = entry.relativePath
        let path = root + "/" + relative
        if entry.isBrokenLink {
            throw .invalidMigration(
                "Unable to read migration file \(path): it is a symbolic link whose target does not exist",
                file: relative)
        }
        var config = ScriptConfig()
        if !confFiles.isEmpty, let confRelative = confFiles[(relative + ".conf").lowercased()] {
            let confPath = root + "/" + confRelative
            guard let data = FileManager.default.contents(atPath: confPath),
                let text = String(data: data, encoding: .utf8)
            else {
                throw .invalidMigration(
                    "Unable to read script config \(confPath)", file: confRelative, problem: .scriptConfig)
            }
            config = try ScriptConfig.parse(text, file: confRelative)
        }
        return try load(
            name: name, relativePath: relative, path: path, encoding: config.encoding ?? encoding, config: config)
    }

    /// `transform` applied to every element, on two threads for long inputs; results in input order.
    private static func concurrentMap<Element: Sendable, Value: Sendable>(
        _ elements: [Element], _ transform: @escaping @Sendable (Element) -> Value
    ) -> [Value] {
        guard elements.count >= 64 else { return elements.map(transform) }
        let buffer = UnsafeMutableBufferPointer<Value>.allocate(capacity: elements.count)
        defer { buffer.deallocate() }
        let output = DisjointOutput(base: buffer.baseAddress!)
        let parts = 2
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = (elements.count * part / parts)..<(elements.count * (part + 1) / parts)
            for index in range { (output.base + index).initialize(to: transform(elements[index])) }
        }
        let values = Array(buffer)
        _ = buffer.deinitialize()
        return values
    }

    /// Where each thread of ``concurrentMap(_:_:)`` initialises its own, disjoint range of the output.
    private struct DisjointOutput<Value>: @unchecked Sendable { let base: UnsafeMutablePointer<Value> }

    /// Checksums one file (streaming UTF-8 files; decoding others whole).
    static func load(
        name: ParsedName, relativePath: String, path: String, encoding: String = "UTF-8",
        config: ScriptConfig = ScriptConfig()
    ) throws(RunwayError) -> ScannedFile {
        guard let foundationEncoding = FileEncoding.named(encoding) else {
            throw .configuration("Unsupported encoding '\(encoding)' for \(relativePath) (setting: encoding)")
        }
        if foundationEncoding != .utf8 {
            let data = try ScriptFileHandle(path: path, relativePath: relativePath).readAll(
                path: path, relativePath: relativePath)
            guard let text = String(data: data, encoding: foundationEncoding) else {
                throw .invalidMigration(
                    "Unable to calculate checksum of \(relativePath): the file is not valid \(encoding). "
                        + "Please ensure you have configured the correct file encoding.", file: relativePath)
            }
            if let nul = text.utf8.firstIndex(of: 0) {
                let line = text.utf8[..<nul].count(where: { $0 == 0x0A }) + 1
                throw .invalidMigration(
                    "Migration \(relativePath) contains a NUL character at line \(line): a NUL cannot be sent to "
                        + "PostgreSQL and would cut the statement short. Remove it", file: relativePath, line: line)
            }
            return ScannedFile(
                name: name, relativePath: relativePath, path: path, rawChecksum: Checksum(text: text),
                decodedText: text, config: config)
        }
        let (checksum, stamp) = try ScriptFileReader.checksum(path: path, relativePath: relativePath)
        return ScannedFile(
            name: name, relativePath: relativePath, path: path, rawChecksum: checksum, stamp: stamp, config: config)
    }

    /// What a walk of one location found.
    struct Listing {
        struct Entry {
            var relativePath: String
            /// The file name (the last component of ``relativePath``).
            var name: String
            /// A symbolic link whose target does not exist.
            var isBrokenLink = false
        }
        /// Every file that is not a folder (regular files, broken links, FIFOs...), as relative paths.
        var files: [Entry] = []
        /// Every folder walked, as relative paths.
        var directories: [String] = []
        /// Folders that could not be walked and symbolic links that lead back into a folder being walked.
        var problems: [(relativePath: String, message: String)] = []
    }

    /// Walks `root` recursively, following symbolic links and skipping hidden folders. A link to a folder that is
    /// already being walked (the folder itself or one of its parents) would recurse forever: it is reported as a
    /// problem and not followed.
    static func listFiles(root: String) -> Listing {
        var listing = Listing()
        var rootInfo = stat()
        guard stat(root, &rootInfo) == 0 else { return listing }
        walk(root: root, relativeDir: "", ancestors: [DirectoryID(rootInfo)], into: &listing)
        return listing
    }

    private struct DirectoryID: Hashable {
        var device: UInt64
        var inode: UInt64
        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    private static func walk(root: String, relativeDir: String, ancestors: [DirectoryID], into listing: inout Listing) {
        let dir = relativeDir.isEmpty ? root : root + "/" + relativeDir
        guard let handle = opendir(dir) else {
            if !relativeDir.isEmpty {
                listing.problems.append(
                    (relativeDir, "Unable to read folder \(dir): \(String(cString: strerror(errno)))"))
            }
            return
        }
        var entries: [(name: String, type: UInt8)] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            entries.append((name, entry.pointee.d_type))
        }
        closedir(handle)
        for (name, type) in entries {
            let relative = relativeDir.isEmpty ? name : relativeDir + "/" + name
            var isDirectory = type == DT_DIR
            var directoryID: DirectoryID?
            if type == DT_LNK || type == DT_UNKNOWN || type == DT_DIR {
                var info = stat()
                if stat(dir + "/" + name, &info) != 0 {
                    // A link whose target is missing (or unreachable).
                    listing.files.append(.init(relativePath: relative, name: name, isBrokenLink: true))
                    continue
                }
                isDirectory = info.st_mode & S_IFMT == S_IFDIR
                if isDirectory { directoryID = DirectoryID(info) }
            }
            guard isDirectory, let directoryID else {
                listing.files.append(.init(relativePath: relative, name: name))
                continue
            }
            if name.hasPrefix(".") { continue }
            if ancestors.contains(directoryID) {
                listing.problems.append(
                    (
                        relative,
                        "Folder loop: \(root)/\(relative) leads back to a folder that contains it (a symbolic link "
                            + "to itself or a parent?); remove the link or point it elsewhere"
                    ))
                continue
            }
            listing.directories.append(relative)
            walk(root: root, relativeDir: relative, ancestors: ancestors + [directoryID], into: &listing)
        }
    }
}
