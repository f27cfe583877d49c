#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Runway

/// Writes one line per event to stderr: readable text, or one JSON object per line for log pipelines.
///
/// In JSON, metadata logged as `.stringConvertible` keeps its type: integers and floating-point numbers become JSON
/// numbers and booleans JSON booleans (Runway logs `duration_ms`, `attempt`, `transactional`... that way); strings,
/// arrays and dictionaries map onto their JSON counterparts.
struct CLILogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let json: Bool

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        Self.write(level: event.level, message: event.message.description, metadata: merged, json: json)
    }

    /// Writes one event to stderr; also used before logging is bootstrapped (argument errors).
    static func write(level: Logger.Level, message: String, metadata: Logger.Metadata, json: Bool) {
        let timestamp = Timestamps.utc()
        var line: String
        if json {
            var object = JSONValue.object([
                ("timestamp", .string(timestamp)), ("level", .string(level.rawValue.uppercased())),
                ("message", .string(message)),
            ])
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                object.append(key, Self.json(value))
            }
            line = object.compact
        } else {
            line = "\(timestamp) \(level.rawValue.uppercased()) \(message)"
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                let text = value.description
                line += text.contains(" ") ? " \(key)=\"\(text)\"" : " \(key)=\(text)"
            }
        }
        StandardStream.error.write(line + "\n")
    }

    /// A metadata value as JSON, numbers and booleans typed.
    static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text):
            return .string(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let flag as Bool: return .bool(flag)
            case let number as any BinaryInteger: return Int(exactly: number).map(JSONValue.int) ?? .string("\(number)")
            case let number as any BinaryFloatingPoint: return .double(Double(number))
            default: return .string(convertible.description)
            }
        case .array(let items):
            return .array(items.map(json))
        case .dictionary(let entries):
            return .object(entries.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) })
        }
    }
}
