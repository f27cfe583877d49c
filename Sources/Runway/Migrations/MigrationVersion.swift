/// A migration version as Flyway understands it: dot-separated unsigned integers of any size.
///
/// `_` in a file name becomes `.`; the text keeps its form (`01.2` stays `01.2`) while comparison is numeric part by
/// part with trailing zero parts ignored, so `1 == 1.0 == 01` and `1.10 > 1.9`. Numbers of any length compare
/// correctly (timestamps such as `20240101120000` are common versions).
public struct MigrationVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The normalised text as written in the file name and stored in the history table (`1_1` → `1.1`).
    public let text: String
    /// Numeric parts without leading zeros and without trailing zero parts (never empty).
    let parts: [Part]

    /// One dot-separated number: in a `UInt64` when it has at most 19 digits (every real version), else its digits.
    struct Part: Hashable, Comparable {
        var small: UInt64 = 0
        /// The digits (no leading zeros) of a number too large for `small`.
        var large: [UInt8]?

        init<Digits: Collection<UInt8>>(digits: Digits) {
            let significant = digits.drop { $0 == UInt8(ascii: "0") }
            if significant.count <= 19 {
                small = significant.reduce(0) { $0 * 10 + UInt64($1 - UInt8(ascii: "0")) }
            } else {
                large = Array(significant)
            }
        }

        static func < (lhs: Part, rhs: Part) -> Bool {
            switch (lhs.large, rhs.large) {
            case (nil, nil): lhs.small < rhs.small
            case (nil, .some): true  // more than 19 digits is larger than any UInt64 part
            case (.some, nil): false
            case (let a?, let b?): a.count != b.count ? a.count < b.count : a.lexicographicallyPrecedes(b)
            }
        }

        static let zero = Part(digits: [UInt8]())
    }

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
        var numbers: [Part] = []
        var start = 0
        for i in 0...bytes.count where i == bytes.count || (bytes[i] == UInt8(ascii: ".") && i + 1 < bytes.count && isDigit(bytes[i + 1])) {
            let piece = bytes[start..<i]
            guard !piece.isEmpty, piece.allSatisfy(isDigit) else {
                throw .configuration("Version may only contain 0..9 and . (dot). Invalid version: \(normalised)")
            }
            numbers.append(Part(digits: piece))
            start = i + 1
        }
        while numbers.count > 1, numbers.last == .zero { numbers.removeLast() }
        self.text = normalised
        self.parts = numbers
    }

    /// The version text.
    public var description: String { text }

    /// Numeric equality: `1`, `1.0` and `01` are the same version.
    public static func == (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool { lhs.parts == rhs.parts }

    /// Hashes the numeric value, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(parts) }

    /// Numeric, part-by-part order; missing parts count as zero.
    public static func < (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        let count = max(lhs.parts.count, rhs.parts.count)
        for i in 0..<count {
            let a = i < lhs.parts.count ? lhs.parts[i] : .zero
            let b = i < rhs.parts.count ? rhs.parts[i] : .zero
            if a != b { return a < b }
        }
        return false
    }
}
