import CZlib
#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif

// Reading migration files without holding them in memory.
//
// A scan computes every file's checksum by streaming it through a fixed buffer (UTF-8 validation, NUL check and
// Flyway's line-ending-blind CRC-32 in one pass), so a 1 GB file costs 256 KB of memory. Execution maps a file
// read-only (``ScriptBytes``) and gives pages back to the kernel behind the cursor, so a 500 MB `COPY ... FROM STDIN`
// migration streams to the server with a bounded resident set.

/// What identifies one version of a file: if any of it changes between the scan and the execution, the file was
/// edited while Runway ran and the checksum it computed no longer describes what it would execute.
struct FileStamp: Sendable, Equatable {
    var size: Int
    var device: UInt64
    var inode: UInt64
    var modifiedSeconds: Int
    var modifiedNanoseconds: Int

    init(_ info: stat) {
        size = Int(info.st_size)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        modifiedSeconds = Int(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
    }
}

/// An open, regular migration file.
struct ScriptFileHandle: ~Copyable {
    let descriptor: Int32
    let stamp: FileStamp

    /// Opens `path` for reading. Anything but a regular file (a FIFO, a device, a directory) is refused before it is
    /// read, so a named pipe called `V2__x.sql` cannot block the scan.
    init(path: String, relativePath: String) throws(RunwayError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw .invalidMigration("Unable to read migration file \(path): \(reason)", file: relativePath)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .invalidMigration("Unable to read migration file \(path): \(reason)", file: relativePath)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw .invalidMigration(
                "Unable to read migration file \(path): not a regular file (a migration must be a plain file)",
                file: relativePath)
        }
        self.descriptor = descriptor
        stamp = FileStamp(info)
    }

    /// The whole file (a file in another encoding than UTF-8 is decoded whole), read through this descriptor: the
    /// file checked to be regular is the one read.
    func readAll(path: String, relativePath: String) throws(RunwayError) -> Data {
        var data = Data(count: stamp.size)
        var total = 0
        while true {
            if total == data.count { data.count += max(4096, data.count / 2) }  // grew since fstat: read on
            let got = data.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + total, $0.count - total) }
            if got < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                throw .invalidMigration("Unable to read migration file \(path): \(reason)", file: relativePath)
            }
            if got == 0 { break }
            total += got
        }
        data.count = total
        return data
    }

    deinit { close(descriptor) }
}

/// Streams a UTF-8 migration file once: checks it is valid UTF-8 without NUL bytes and computes Flyway's checksum.
enum ScriptFileReader {
    /// Bytes read per step: large enough for few system calls, small enough to stay in the CPU cache between the
    /// validation and the CRC pass.
    static let chunkSize = 256 << 10

    /// The checksum and stamp of the file at `path`.
    ///
    /// - Throws: `RunwayError(.invalidMigration)` naming the file (and the line) when it cannot be read, is not a
    ///   regular file, is not valid UTF-8, or contains a NUL byte (libpq sends statements as C strings: a NUL would
    ///   silently cut a statement short).
    static func checksum(path: String, relativePath: String) throws(RunwayError) -> (Checksum, FileStamp) {
        let handle = try ScriptFileHandle(path: path, relativePath: relativePath)
        // A small file fits whole (plus the byte that shows the end): no larger buffer to allocate and fill.
        let capacity = min(chunkSize, max(handle.stamp.size + 1, 64))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var state = Checksum.Accumulator()
        var carried = 0  // bytes of an incomplete UTF-8 sequence kept at the start of the buffer
        var offset = 0  // file offset of the buffer's first byte
        var totalRead = 0
        var first = true
        while true {
            let got = read(handle.descriptor, base + carried, capacity - carried)
            if got < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                throw .invalidMigration("Unable to read migration file \(path): \(reason)", file: relativePath)
            }
            let available = carried + got
            totalRead += got
            // At the size fstat gave, the file is read: no further read() just to see it return 0. (A file that grows
            // meanwhile changes its stamp, which execution checks.)
            let atEnd = got == 0 || totalRead == handle.stamp.size
            var chunk = UnsafeBufferPointer(start: base, count: available)
            if first, available >= 3 || atEnd {
                first = false
                if chunk.starts(with: [0xEF, 0xBB, 0xBF]) {
                    chunk = UnsafeBufferPointer(rebasing: chunk[3...])
                    offset = 3
                }
            } else if first {
                carried = available
                continue
            }
            // Validate up to the last complete character; an incomplete one moves to the next read.
            let complete = atEnd ? chunk.count : UTF8Validation.completePrefixLength(chunk)
            let body = UnsafeBufferPointer(rebasing: chunk[..<complete])
            do throws(UTF8.ValidationError) {
                // The fast check passes valid text; the standard library's validator then finds where it fails.
                if !UTF8Validation.isValid(body) { _ = try UTF8Span(validating: body.span) }
            } catch {
                let errorLine = Self.line(at: offset + error.byteOffsets.lowerBound, of: handle)
                throw .invalidMigration(
                    "Unable to calculate checksum of \(relativePath): the file is not valid UTF-8 (line \(errorLine)). "
                        + "Please ensure the file is saved as UTF-8.", file: relativePath, line: errorLine)
            }
            if let start = body.baseAddress, let nul = memchr(start, 0, body.count) {
                let nulLine = Self.line(at: offset + (UnsafeRawPointer(nul) - UnsafeRawPointer(start)), of: handle)
                throw .invalidMigration(
                    "Migration \(relativePath) contains a NUL byte at line \(nulLine): a NUL cannot be sent to "
                        + "PostgreSQL and would cut the statement short. Remove it (is this a binary file?)",
                    file: relativePath, line: nulLine)
            }
            state.update(body)
            offset += complete
            if atEnd { break }
            let rest = chunk.count - complete
            if rest > 0 {
                UnsafeMutableRawPointer(base).copyMemory(from: body.baseAddress! + complete, byteCount: rest)
            }
            carried = rest
        }
        return (state.checksum, handle.stamp)
    }

    /// The 1-based line of byte `offset` of the file (read again: only errors need it).
    private static func line(at offset: Int, of handle: borrowing ScriptFileHandle) -> Int {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var position = 0
        var line = 1
        while position < offset {
            let got = buffer.withUnsafeMutableBytes {
                pread(handle.descriptor, $0.baseAddress, min($0.count, offset - position), off_t(position))
            }
            guard got > 0 else { break }
            line += buffer[..<got].count(where: { $0 == 0x0A })
            position += got
        }
        return line
    }
}

enum UTF8Validation {
    /// Whether `bytes` are valid UTF-8 (the Unicode standard's table 3-7: no overlong forms, surrogates or code points
    /// above U+10FFFF). Migrations are nearly all ASCII: eight bytes at a time are checked for a byte with the high
    /// bit set, and only the sequences found are decoded; about three times the standard library's validator on
    /// mostly-ASCII text. It says only yes or no: ``UTF8Span`` locates an error.
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        let raw = UnsafeRawPointer(base)
        var index = 0
        while index < count {
            // ASCII runs, 32 then 8 bytes at a time.
            while index + 32 <= count {
                let word =
                    raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    | raw.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
                    | raw.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self)
                    | raw.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
                guard word & 0x8080_8080_8080_8080 == 0 else { break }
                index += 32
            }
            while index + 8 <= count,
                raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                index += 8
            }
            while index < count, base[index] < 0x80 { index += 1 }
            guard index < count else { return true }
            // A multi-byte sequence: its lead byte fixes the length and the range of the second byte.
            let lead = base[index]
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false  // a continuation byte without a lead, C0, C1, F5-FF
            }
            guard index + length <= count, base[index + 1] >= low, base[index + 1] <= high else { return false }
            for next in (index + 2)..<(index + length) where base[next] & 0xC0 != 0x80 { return false }
            index += length
        }
        return true
    }

    /// The length of `chunk` without a trailing, possibly incomplete multi-byte sequence (at most 3 bytes).
    static func completePrefixLength(_ chunk: UnsafeBufferPointer<UInt8>) -> Int {
        var index = chunk.count
        var continuation = 0
        while index > 0, continuation < 3, chunk[index - 1] & 0xC0 == 0x80 {
            index -= 1
            continuation += 1
        }
        guard index > 0 else { return chunk.count }
        let lead = chunk[index - 1]
        let expected: Int
        switch lead {
        case 0xC0...0xDF: expected = 1
        case 0xE0...0xEF: expected = 2
        case 0xF0...0xF7: expected = 3
        default: return chunk.count  // ASCII or an invalid byte: nothing to carry, validation judges it
        }
        return continuation < expected ? index - 1 : chunk.count
    }
}

/// A script's bytes in memory: a file read whole (to replace its placeholders), or text after placeholder
/// replacement or decoding from another encoding. Scripts without placeholders are never held whole: they are read
/// piece by piece (``ScriptSource``, ``StatementStream``).
final class ScriptBytes: @unchecked Sendable {
    private let owned: UnsafeMutableBufferPointer<UInt8>

    /// The bytes, without a UTF-8 byte order mark at the start of a file: Flyway drops it before checksumming and
    /// before parsing, and the server would read it as part of the first word.
    let bytes: UnsafeBufferPointer<UInt8>

    /// Holds `bytes` in memory.
    init(copying source: UnsafeBufferPointer<UInt8>) {
        let storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(source.count, 1))
        _ = storage.initialize(from: source)
        owned = storage
        bytes = UnsafeBufferPointer(rebasing: storage[..<source.count])
    }

    /// Holds the UTF-8 bytes of `text` in memory.
    static func holding(_ text: String) -> ScriptBytes {
        var text = text
        return text.withUTF8 { ScriptBytes(copying: $0) }
    }

    /// Reads a source whole through ``ScriptReader``, which refuses a file that changed since the scan (its stamp
    /// when opened, its size and checksum as read) and drops a byte order mark.
    init(reading source: ScriptSource, expectedSize: Int) throws(RunwayError) {
        let reader = try ScriptReader(source)
        // One byte more than expected: the read that finds the end is the one that checks size and checksum.
        let storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: expectedSize + 1)
        var filled = 0
        do {
            while true {
                let got = try reader.read(into: UnsafeMutableBufferPointer(rebasing: storage[filled...]))
                if got == 0 { break }
                filled += got
            }
        } catch {
            storage.deallocate()
            throw error
        }
        owned = storage
        bytes = UnsafeBufferPointer(rebasing: storage[..<filled])
    }

    /// U+FEFF in UTF-8.
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    deinit { owned.deallocate() }

    /// Whether `pattern` occurs in the bytes.
    func contains(_ pattern: String) -> Bool {
        let needle = Array(pattern.utf8)
        guard !needle.isEmpty else { return false }
        return needle.withUnsafeBufferPointer { ByteSearch.firstIndex(of: $0, in: bytes, from: 0) } != nil
    }
}
