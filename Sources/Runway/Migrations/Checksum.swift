import CZlib
import Foundation

/// Flyway's migration checksum: a signed 32-bit CRC-32.
///
/// The file is decoded strictly as UTF-8, a leading byte-order mark is dropped, every CR and LF is removed and the
/// CRC-32 (zlib's) of the remaining UTF-8 bytes is reinterpreted as a signed 32-bit integer. Line endings and blank
/// lines therefore never change a checksum; spaces do.
public struct Checksum: Sendable, Hashable, CustomStringConvertible {
    /// The value stored in the `checksum` column.
    public let value: Int32

    /// Wraps a stored checksum value.
    public init(_ value: Int32) { self.value = value }

    /// Computes the checksum of UTF-8 text.
    public init(text: String) {
        var copy = text
        self = copy.withUTF8 { Checksum(validUTF8: $0) }
    }

    /// Computes the checksum of a file's bytes, which must be valid UTF-8.
    ///
    /// - Returns: `nil` when the bytes are not valid UTF-8.
    public init?(utf8Bytes bytes: [UInt8]) {
        guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
        self = bytes.withUnsafeBufferPointer { Checksum(validUTF8: $0) }
    }

    /// Checksum of bytes already known to be valid UTF-8.
    init(validUTF8 buffer: UnsafeBufferPointer<UInt8>) {
        var body = buffer
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = UnsafeBufferPointer(rebasing: body[3...]) }
        var accumulator = Accumulator()
        accumulator.update(body)
        self = accumulator.checksum
    }

    /// Flyway's checksum fed in pieces (a file streamed through a buffer): the CRC-32 of every byte but CR and LF.
    /// CR and LF never occur inside a multi-byte UTF-8 sequence, so pieces may split the text anywhere.
    struct Accumulator {
        private var crc = crc32(0, nil, 0)

        /// Adds the next piece (after the byte-order mark, which the caller drops).
        mutating func update(_ piece: UnsafeBufferPointer<UInt8>) {
            guard let base = piece.baseAddress, !piece.isEmpty else { return }
            let end = base + piece.count
            if memchr(base, 0x0D, piece.count) == nil {
                // The usual case: LF line endings only. Find each LF with memchr and CRC the runs between them.
                var runStart = base
                while runStart < end, let found = memchr(runStart, 0x0A, end - runStart) {
                    let lineFeed = UnsafePointer(found.assumingMemoryBound(to: UInt8.self))
                    feed(runStart, lineFeed)
                    runStart = lineFeed + 1
                }
                feed(runStart, end)
                return
            }
            var runStart = base
            var cursor = base
            while cursor < end {
                if cursor.pointee == 0x0A || cursor.pointee == 0x0D {
                    feed(runStart, cursor)
                    runStart = cursor + 1
                }
                cursor += 1
            }
            feed(runStart, end)
        }

        private mutating func feed(_ from: UnsafePointer<UInt8>, _ to: UnsafePointer<UInt8>) {
            guard to > from else { return }
            crc = crc32(crc, from, uInt(to - from))
        }

        /// The checksum of everything fed so far.
        var checksum: Checksum { Checksum(Int32(bitPattern: UInt32(truncatingIfNeeded: crc))) }
    }

    /// The decimal value.
    public var description: String { String(value) }
}
