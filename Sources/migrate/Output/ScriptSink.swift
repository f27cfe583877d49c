#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif
import Runway

/// Where a dry run's script goes: a file (created or truncated) or stdout (`-`), written as it is produced.
final class ScriptSink: @unchecked Sendable {
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    /// What the command calls the destination in messages.
    let name: String

    /// Opens `path` (`-` is stdout); a file that cannot be created is a configuration error naming it.
    init(path: String) throws(RunwayError) {
        if path == "-" {
            descriptor = STDOUT_FILENO
            ownsDescriptor = false
            name = "stdout"
            return
        }
        let opened = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard opened >= 0 else {
            throw RunwayError(
                .configuration, "dryRunOutput \(path): cannot be written (\(String(cString: strerror(errno))))")
        }
        descriptor = opened
        ownsDescriptor = true
        name = path
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Appends `text`.
    func write(_ text: String) throws(RunwayError) {
        var text = text
        let failure: Int32? = text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure {
            throw RunwayError(
                .configuration, "dryRunOutput \(name): write failed (\(String(cString: strerror(failure))))")
        }
    }
}
