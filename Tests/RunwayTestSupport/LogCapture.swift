import Foundation
import Logging

/// Collects log messages (with metadata) so tests can assert what a run logged.
package final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    package init() {}

    package var messages: [String] { lock.withLock { lines } }

    package func append(_ line: String) { lock.withLock { lines.append(line) } }

    package var logger: Logger {
        Logger(label: "capture") { _ in CaptureHandler(capture: self) }
    }

    package struct CaptureHandler: LogHandler {
        package let capture: LogCapture
        package var metadata: Logger.Metadata = [:]
        package var logLevel: Logger.Level = .debug
        package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        package func log(event: LogEvent) {
            let meta = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            capture.append(([event.message.description] + meta).joined(separator: " "))
        }
    }
}
