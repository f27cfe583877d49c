/// A migration version as Flyway understands it: dot-separated unsigned integers of any size.
///
/// `_` in a file name becomes `.`; the text keeps its form (`01.2` stays `01.2`) while comparison is numeric part by
/// part with trailing zero parts ignored, so `1 == 1.0 == 01` and `1.10 > 1.9`. Numbers of any length compare
/// correctly (timestamps such as `20240101120000` are common versions).
public struct MigrationVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The normalised text as written in the file name and stored in the history table (`1_1` → `1.1`).
    public let text: String
    /// Numeric parts without trailing zero parts (never empty). A part of more than 19 digits, which no `UInt64`
    /// holds, is ``oversized`` here (above every 19-digit number) and its digits are in ``largeParts``: the common
    /// version compares and hashes as plain integers.
    let parts: [UInt64]
    /// The digits (no leading zeros) of each oversized part, in order; empty for every real version.
    let largeParts: [[UInt8]]

    /// Marks a part of more than 19 digits in ``parts``.
    static let oversized = UInt64.max

    /// Parses a version, replacing `_` with `.` first, exactly as Flyway's `MigrationVersion.fromVersion` does.
    ///
    /// - Throws: ``RunwayError`` when a part is not a plain decimal number (`1.`, `1..2`, `1.2a`).
    public init(_ raw: String) throws(RunwayError) {
        let bytes = raw.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: ".") : $0 }
        let normalised = String(decoding: bytes, as: UTF8.self)
        guard !bytes.isEmpty else {
            throw .configuration("Version may only contain 0..9 and . (dot). Invalid version: (empty)")
        }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        // Split on a "." that is followed by a digit (Flyway's regex `\.(?=\d)`).
        var numbers: [UInt64] = []
        var large: [[UInt8]] = []
        var start = 0
        for i in 0...bytes.count where i == bytes.count || (bytes[i] == UInt8(ascii: ".") && i + 1 < bytes.count && isDigit(bytes[i + 1])) {
            let piece = bytes[start..<i]
            guard !piece.isEmpty, piece.allSatisfy(isDigit) else {
                throw .configuration("Version may only contain 0..9 and . (dot). Invalid version: \(normalised)")
            }
            let significant = piece.drop { $0 == UInt8(ascii: "0") }
            if significant.count <= 19 {
                numbers.append(significant.reduce(0) { $0 * 10 + UInt64($1 - UInt8(ascii: "0")) })
            } else {
                numbers.append(Self.oversized)
                large.append(Array(significant))
            }
            start = i + 1
        }
        while numbers.count > 1, numbers.last == 0 { numbers.removeLast() }
        self.text = normalised
        self.parts = numbers
        self.largeParts = large
    }

    /// The version text.
    public var description: String { text }

    /// Numeric equality: `1`, `1.0` and `01` are the same version.
    public static func == (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        lhs.parts == rhs.parts && lhs.largeParts == rhs.largeParts
    }

    /// Hashes the numeric value, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(parts)
        if !largeParts.isEmpty { hasher.combine(largeParts) }
    }

    /// Numeric, part-by-part order; missing parts count as zero.
    public static func < (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        var large = 0  // oversized parts passed so far (the same number in both: the parts before were equal)
        for i in 0..<max(lhs.parts.count, rhs.parts.count) {
            let a = i < lhs.parts.count ? lhs.parts[i] : 0
            let b = i < rhs.parts.count ? rhs.parts[i] : 0
            if a != b { return a < b }
            guard a == oversized else { continue }
            let x = lhs.largeParts[large]
            let y = rhs.largeParts[large]
            if x != y { return x.count != y.count ? x.count < y.count : x.lexicographicallyPrecedes(y) }
            large += 1
        }
        return false
    }
}
