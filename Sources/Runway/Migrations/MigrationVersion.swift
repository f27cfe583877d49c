/// A migration version as Flyway understands it: dot-separated unsigned integers of any size.
///
/// `_` in a file name becomes `.`; the text keeps its form (`01.2` stays `01.2`) while comparison is numeric part by
/// part with trailing zero parts ignored, so `1 == 1.0 == 01` and `1.10 > 1.9`. Numbers of any length compare
/// correctly (timestamps such as `20240101120000` are common versions).
public struct MigrationVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The normalised text as written in the file name and stored in the history table (`1_1` → `1.1`).
    public let text: String
    /// Numeric parts without leading zeros and without trailing zero parts (never empty).
    let parts: [Substring]

    /// Parses a version, replacing `_` with `.` first, exactly as Flyway's `MigrationVersion.fromVersion` does.
    ///
    /// - Throws: ``RunwayError`` when a part is not a plain decimal number (`1.`, `1..2`, `1.2a`).
    public init(_ raw: String) throws(RunwayError) {
        let normalised = raw.replacingOccurrences(of: "_", with: ".")
        guard !normalised.isEmpty else {
            throw .configuration("Version may only contain 0..9 and . (dot). Invalid version: (empty)")
        }
        // Split on a "." that is followed by a digit (Flyway's regex `\.(?=\d)`).
        var pieces: [Substring] = []
        let scalars = Array(normalised.utf8)
        var start = 0
        for i in scalars.indices where scalars[i] == UInt8(ascii: ".") {
            if i + 1 < scalars.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(scalars[i + 1]) {
                pieces.append(Self.slice(normalised, start, i))
                start = i + 1
            }
        }
        pieces.append(Self.slice(normalised, start, scalars.count))
        var numbers: [Substring] = []
        for piece in pieces {
            guard !piece.isEmpty, piece.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                throw .configuration("Version may only contain 0..9 and . (dot). Invalid version: \(normalised)")
            }
            let trimmed = piece.drop(while: { $0 == "0" })
            numbers.append(trimmed.isEmpty ? "0" : trimmed)
        }
        while numbers.count > 1, numbers.last == "0" { numbers.removeLast() }
        self.text = normalised
        self.parts = numbers
    }

    private static func slice(_ s: String, _ from: Int, _ to: Int) -> Substring {
        let utf8 = s.utf8
        let a = utf8.index(utf8.startIndex, offsetBy: from)
        let b = utf8.index(utf8.startIndex, offsetBy: to)
        return s[a..<b]
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
            let a = i < lhs.parts.count ? lhs.parts[i] : "0"
            let b = i < rhs.parts.count ? rhs.parts[i] : "0"
            if a.count != b.count { return a.count < b.count }
            if a != b { return a < b }
        }
        return false
    }
}
