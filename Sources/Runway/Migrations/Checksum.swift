import CZlib

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
        var body = buffer[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        var crc = crc32(0, nil, 0)
        // Feed zlib the runs between line terminators; CR and LF bytes never occur inside a UTF-8 sequence.
        var runStart = body.startIndex
        var index = body.startIndex
        func feed(_ from: Int, _ to: Int) {
            guard to > from, let base = buffer.baseAddress else { return }
            crc = crc32(crc, base + from, uInt(to - from))
        }
        while index < body.endIndex {
            let byte = buffer[index]
            if byte == 0x0A || byte == 0x0D {
                feed(runStart, index)
                runStart = index + 1
            }
            index += 1
        }
        feed(runStart, body.endIndex)
        value = Int32(bitPattern: UInt32(truncatingIfNeeded: crc))
    }

    /// The decimal value.
    public var description: String { String(value) }
}
