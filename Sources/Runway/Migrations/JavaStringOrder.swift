#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif

/// Java's `String.compareTo` order (UTF-16 code units), which Flyway sorts file paths and repeatable descriptions
/// by, computed on UTF-8 bytes with `memcmp`.
///
/// UTF-8 byte order is code-point order. UTF-16 order is the same except between the characters U+E000...U+FFFF
/// (UTF-8 lead bytes 0xEE, 0xEF) and those above U+FFFF (lead bytes 0xF0 and up, UTF-16 surrogates 0xD800...0xDFFF,
/// which sort first). So the first differing byte decides, unless the characters it belongs to are one of each.
enum JavaStringOrder {
    /// Whether `lhs` sorts before `rhs` in Java's `String.compareTo` order.
    static func less(_ lhs: String, _ rhs: String) -> Bool {
        let inPlace = lhs.utf8.withContiguousStorageIfAvailable { a in
            rhs.utf8.withContiguousStorageIfAvailable { b in less(a, b) }
        }
        if let result = inPlace ?? nil { return result }
        return Array(lhs.utf8).withUnsafeBufferPointer { a in Array(rhs.utf8).withUnsafeBufferPointer { less(a, $0) } }
    }

    /// ``less(_:_:)-(String,String)`` on valid UTF-8 bytes.
    static func less(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = min(a.count, b.count)
        guard common > 0, let pa = a.baseAddress, let pb = b.baseAddress, memcmp(pa, pb, common) != 0 else {
            return a.count < b.count
        }
        var index = 0
        while pa[index] == pb[index] { index += 1 }
        // The bytes before are equal, so the characters that differ start at the same offset: at a lead byte both
        // (compared below), or inside characters with the same lead byte (the same range: bytes decide).
        let x = pa[index]
        let y = pb[index]
        if (x == 0xEE || x == 0xEF) && y >= 0xF0 { return false }  // x in E000...FFFF, y a surrogate pair: y first
        if (y == 0xEE || y == 0xEF) && x >= 0xF0 { return true }
        return x < y
    }
}
