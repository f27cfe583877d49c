#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Per-script settings from a `<file>.sql.conf` side file (Flyway's `SqlScriptMetadata`).
///
/// ```
/// executeInTransaction=false
/// encoding=ISO-8859-1
/// placeholderReplacement=false
/// ```
struct ScriptConfig: Sendable, Hashable {
    /// Overrides whether the script runs in a transaction.
    var executeInTransaction: Bool?
    /// Overrides the file encoding.
    var encoding: String?
    /// Overrides placeholder replacement for this script.
    var placeholderReplacement: Bool?

    /// Parses the Java-properties text of a `.conf` side file; unknown keys and bad values are errors naming the file.
    static func parse(_ text: String, file: String) throws(RunwayError) -> ScriptConfig {
        var config = ScriptConfig()
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw .invalidMigration(
                    "Invalid line in script config \(file): \(line)", file: file, problem: .scriptConfig)
            }
            let key = line[..<separator].trimmingSpaces()
            let value = line[line.index(after: separator)...].trimmingSpaces()
            switch key {
            case "executeInTransaction": config.executeInTransaction = try bool(value, key: key, file: file)
            case "placeholderReplacement": config.placeholderReplacement = try bool(value, key: key, file: file)
            case "encoding": config.encoding = value
            case "shouldExecute":
                throw .invalidMigration(
                    "shouldExecute in \(file) is a Flyway Teams feature that Runway does not support", file: file,
                    problem: .scriptConfig)
            default:
                throw .invalidMigration(
                    "Unknown script config parameter '\(key)' in \(file) (expected executeInTransaction, encoding or "
                        + "placeholderReplacement)", file: file, problem: .scriptConfig)
            }
        }
        return config
    }

    private static func bool(_ value: String, key: String, file: String) throws(RunwayError) -> Bool {
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default:
            throw .invalidMigration(
                "Invalid value for \(key) (should be either true or false): \(value) in \(file)", file: file,
                problem: .scriptConfig)
        }
    }
}

/// Maps Flyway/Java encoding names onto Foundation encodings.
enum FileEncoding {
    static func named(_ name: String) -> String.Encoding? {
        if name == "UTF-8" { return .utf8 }  // the default, asked once per file
        let normalised = String(
            decoding: name.uppercased().utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
        return switch normalised {
        case "UTF-8", "UTF8": .utf8
        case "ISO-8859-1", "ISO8859-1", "LATIN1", "ISO-LATIN-1": .isoLatin1
        case "ISO-8859-2", "LATIN2": .isoLatin2
        case "US-ASCII", "ASCII": .ascii
        case "WINDOWS-1252", "CP1252": .windowsCP1252
        case "WINDOWS-1250", "CP1250": .windowsCP1250
        case "WINDOWS-1251", "CP1251": .windowsCP1251
        case "UTF-16": .utf16
        case "UTF-16LE": .utf16LittleEndian
        case "UTF-16BE": .utf16BigEndian
        default: nil
        }
    }
}
