/// The few string operations Runway took from Foundation's `NSString` bridge, which `FoundationEssentials` does
/// not have (Foundation itself links ICU, most of a static binary's size).
///
/// Searches and replacements compare UTF-8 bytes, as a literal search does: a quote followed by a combining mark is
/// still a quote (character-wise comparison would not see it, which matters when quoting SQL).
extension StringProtocol {
    /// This text with every occurrence of `target` (compared byte for byte) replaced by `replacement`.
    package func replacingEvery(_ target: some StringProtocol, with replacement: some StringProtocol) -> String {
        let text = Array(utf8)
        let needle = Array(target.utf8)
        guard !needle.isEmpty, needle.count <= text.count else { return String(self) }
        var result: [UInt8] = []
        result.reserveCapacity(text.count)
        var position = 0
        var copied = 0
        while position + needle.count <= text.count {
            if text[position] == needle[0], text[position..<position + needle.count].elementsEqual(needle) {
                result.append(contentsOf: text[copied..<position])
                result.append(contentsOf: replacement.utf8)
                position += needle.count
                copied = position
            } else {
                position += 1
            }
        }
        if copied == 0 { return String(self) }
        result.append(contentsOf: text[copied...])
        return String(decoding: result, as: UTF8.self)
    }

    /// Where `target` first occurs (compared byte for byte) within `bounds` (the whole text by default); nil when it
    /// does not, or when `target` is empty.
    package func firstLiteralRange(of target: some StringProtocol, in bounds: Range<Index>? = nil) -> Range<Index>? {
        let needle = Array(target.utf8)
        guard let first = needle.first else { return nil }
        let view = utf8
        let end = bounds?.upperBound ?? view.endIndex
        var start = bounds?.lowerBound ?? view.startIndex
        while start < end, let candidate = view[start..<end].firstIndex(of: first) {
            var index = candidate
            var matched = 0
            while matched < needle.count, index < end, view[index] == needle[matched] {
                view.formIndex(after: &index)
                matched += 1
            }
            if matched == needle.count { return candidate..<index }
            start = view.index(after: candidate)
        }
        return nil
    }

    /// This text without the spaces and tabs (Unicode `Zs` and U+0009) at either end: Foundation's
    /// `trimmingCharacters(in: .whitespaces)`.
    package func trimmingSpaces() -> String {
        trimming { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }
    }

    /// This text without white space or line breaks (Unicode `White_Space`) at either end: Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`.
    package func trimmingWhitespace() -> String {
        trimming { $0.properties.isWhitespace }
    }

    private func trimming(_ isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isTrimmed($0) }),
            let last = scalars.lastIndex(where: { !isTrimmed($0) })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}

extension StringProtocol {
    /// This text with every `%XX` replaced by the byte it stands for: Foundation's `removingPercentEncoding`, nil
    /// when a `%` is not followed by two hex digits or the bytes are not UTF-8.
    package func removingPercentEncoding() -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
            else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
