import CZlib
#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif

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
        let checksum = bytes.withUnsafeBufferPointer { buffer -> Checksum? in
            guard UTF8Validation.isValid(buffer) else { return nil }
            return Checksum(validUTF8: buffer)
        }
        guard let checksum else { return nil }
        self = checksum
    }

    /// Checksum of bytes already known to be valid UTF-8.
    init(validUTF8 buffer: UnsafeBufferPointer<UInt8>) {
        var body = buffer
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = UnsafeBufferPointer(rebasing: body[3...]) }
        var accumulator = Accumulator()
        accumulator.update(body)  // splits it into pieces itself
        self = accumulator.checksum
    }

    /// Flyway's checksum fed in pieces (a file streamed through a buffer): the CRC-32 of every byte but CR and LF.
    /// CR and LF never occur inside a multi-byte UTF-8 sequence, so pieces may split the text anywhere.
    ///
    /// Each piece's lines are first copied together without their line endings, so zlib gets one long run per piece
    /// (it computes short runs, such as single lines, a byte at a time).
    struct Accumulator {
        /// The largest piece ``update(_:)`` compacts at once; larger ones are split.
        static let pieceSize = 256 << 10
        private var crc = crc32(0, nil, 0)
        private var scratch: [UInt8] = []

        /// Adds the next piece (after the byte-order mark, which the caller drops).
        mutating func update(_ piece: UnsafeBufferPointer<UInt8>) {
            guard let base = piece.baseAddress, !piece.isEmpty else { return }
            guard piece.count <= Self.pieceSize else {
                var start = 0
                while start < piece.count {
                    let end = min(start + Self.pieceSize, piece.count)
                    update(UnsafeBufferPointer(rebasing: piece[start..<end]))
                    start = end
                }
                return
            }
            if scratch.count < piece.count { scratch = [UInt8](repeating: 0, count: piece.count) }
            let end = base + piece.count
            let hasCarriageReturn = memchr(base, 0x0D, piece.count) != nil
            let kept = scratch.withUnsafeMutableBufferPointer { output -> Int in
                let out = output.baseAddress!
                var written = 0
                if !hasCarriageReturn {
                    // The usual case, LF line endings only: copy the runs between the LFs memchr finds.
                    var runStart = base
                    while runStart < end, let found = memchr(runStart, 0x0A, end - runStart) {
                        let lineFeed = UnsafePointer(found.assumingMemoryBound(to: UInt8.self))
                        let length = lineFeed - runStart
                        (out + written).update(from: runStart, count: length)
                        written += length
                        runStart = lineFeed + 1
                    }
                    (out + written).update(from: runStart, count: end - runStart)
                    return written + (end - runStart)
                }
                var cursor = base
                while cursor < end {
                    let byte = cursor.pointee
                    out[written] = byte
                    written &+= byte == 0x0A || byte == 0x0D ? 0 : 1
                    cursor += 1
                }
                return written
            }
            scratch.withUnsafeBufferPointer { crc = crc32(crc, $0.baseAddress, uInt(kept)) }
        }

        /// The checksum of everything fed so far.
        var checksum: Checksum { Checksum(Int32(bitPattern: UInt32(truncatingIfNeeded: crc))) }
    }

    /// The decimal value.
    public var description: String { String(value) }
}
