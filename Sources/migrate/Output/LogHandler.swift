import Foundation
import Logging
import Runway

/// Writes one line per event to stderr: readable text, or one JSON object per line for log pipelines.
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
        let timestamp = Timestamps.utc()
        var line: String
        if json {
            var object = JSONValue.object([
                ("timestamp", .string(timestamp)), ("level", .string(event.level.rawValue.uppercased())),
                ("message", .string(event.message.description)),
            ])
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                object.append(key, .string(value.description))
            }
            line = object.compact
        } else {
            line = "\(timestamp) \(event.level.rawValue.uppercased()) \(event.message)"
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                let text = value.description
                line += text.contains(" ") ? " \(key)=\"\(text)\"" : " \(key)=\(text)"
            }
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
