/// Flyway's placeholder replacement (`core/internal/parser/PlaceholderReplacingReader.java`): streaming scanner
/// semantics, applied to the whole text (comments and string literals included) before SQL parsing.
///
/// The scanner reproduces Flyway's reader exactly:
/// * It reads ahead only while the characters match the start of the prefix. When the prefix is not completed, the
///   characters read are emitted **without being examined again**, so `$${x}` stays `$${x}` (the second `$` is
///   consumed together with the first) while `$$${x}` becomes `$$` followed by the value.
/// * After a prefix, everything up to the first occurrence of the suffix is the name, spaces and line breaks
///   included: `${ x }` looks up `" x "`.
/// * Names are case-insensitive (Flyway lower-cases the keys and the names it looks up).
/// * Values are inserted literally and never scanned again; an empty value removes the placeholder.
///
/// Deliberate deviation: at the end of the text, a prefix without a suffix is left as it is. Flyway instead drops the
/// last suffix-length characters of the name and looks that up (or fails with an index error when the name is
/// shorter than the suffix), which is a bug rather than behaviour anyone relies on.
public struct PlaceholderReplacer: Sendable {
    /// The characters that open a placeholder (Flyway's `placeholderPrefix`).
    public let prefix: String
    /// The characters that close a placeholder (Flyway's `placeholderSuffix`).
    public let suffix: String
    /// What joins `flyway` and a built-in's name, `:` in `${flyway:filename}` (Flyway's `placeholderSeparator`).
    public let separator: String
    /// The values, keyed by lower-cased name.
    private(set) var values: [String: String]

    /// Creates a replacer; names are matched case-insensitively.
    ///
    /// When two names differ only in case, the one that sorts last wins, so the outcome does not depend on dictionary
    /// order. An empty `prefix` disables replacement. `separator` names the per-file built-in
    /// (``builtInName(_:separator:)``); the other built-ins are among `values`.
    public init(values: [String: String], prefix: String = "${", suffix: String = "}", separator: String = ":") {
        self.prefix = prefix
        self.suffix = suffix
        self.separator = separator
        var lowered: [String: String] = [:]
        lowered.reserveCapacity(values.count)
        for name in values.keys.sorted() {
            lowered[name.lowercased()] = values[name]
        }
        self.values = lowered
    }

    /// The name of Flyway's built-in placeholder `name` with `separator` (Flyway's `placeholderSeparator`):
    /// `flyway:user` by default, `flyway_user` with `_`.
    public static func builtInName(_ name: String, separator: String = ":") -> String {
        "flyway" + separator + name
    }

    /// A copy in which `name` (case-insensitive) has `value`, for example `flyway:filename` for one script.
    func withValue(_ value: String, for name: String) -> PlaceholderReplacer {
        var copy = self
        copy.values[name.lowercased()] = value
        return copy
    }

    /// Replaces placeholders; `file` is used only for the error message.
    ///
    /// Returns `text` itself, without copying it, when it does not contain the prefix.
    ///
    /// - Throws: `RunwayError(.invalidMigration)` for a placeholder that has no value:
    ///   `No value provided for placeholder: ${name}.  Check your configuration!`, or for a name containing
    ///   `flyway:` (whatever the ``separator``, as in Flyway), `Failed to populate value for default placeholder:
    ///   ${flyway:name}`. The error's `line` is the line of the placeholder.
    public func replace(_ text: String, file: String?) throws(RunwayError) -> String {
        guard !prefix.isEmpty else { return text }
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(RunwayError) -> String? in try replace(bytes, file: file) }
        }
        return try result.get() ?? text
    }

    /// A script's bytes with their placeholders replaced, or `nil` when they hold no placeholder prefix (nothing to
    /// replace). `bytes` are kept alive while they are read.
    func replacing(in bytes: ScriptBytes, file: String?) throws(RunwayError) -> ScriptBytes? {
        guard !prefix.isEmpty else { return nil }
        let text = try withExtendedLifetime(bytes) { () throws(RunwayError) in try replace(bytes.bytes, file: file) }
        return text.map { ScriptBytes.holding($0) }
    }

    // MARK: - Scanner

    /// The replaced text, or `nil` when the text holds no prefix at all.
    private func replace(_ bytes: UnsafeBufferPointer<UInt8>, file: String?) throws(RunwayError) -> String? {
        let prefixBytes = Array(prefix.utf8)
        let suffixBytes = Array(suffix.utf8)
        // Only a byte equal to the prefix's first byte can start a prefix; everything else is copied in bulk.
        // Byte-wise matching finds exactly the placeholders a character-wise scan finds: UTF-8 is self-synchronizing
        // and a continuation byte never equals the first byte of the prefix.
        guard let leadByte = prefixBytes.first,
            var candidate = Self.firstIndex(of: leadByte, in: bytes, from: 0),
            Self.firstIndex(of: prefixBytes, in: bytes, from: candidate) != nil
        else { return nil }

        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var copiedUpTo = 0
        let count = bytes.count
        while candidate < count {
            // Flyway's look-ahead: read while the characters read so far are the start of the prefix; stop after
            // the first character that is not, or once the prefix is complete.
            var read = 0
            var matches = true
            while candidate + read < count {
                matches = bytes[candidate + read] == prefixBytes[read]
                read += 1
                if !matches || read == prefixBytes.count { break }
            }
            guard matches && read == prefixBytes.count else {
                // Not a prefix: these characters are emitted as they are, never re-examined.
                candidate = Self.firstIndex(of: leadByte, in: bytes, from: candidate + read) ?? count
                continue
            }
            let nameStart = candidate + read
            let nameEnd: Int
            let resume: Int
            if suffixBytes.isEmpty {
                // Flyway's loop reads one character before it tests for the (empty) suffix.
                guard nameStart < count else { break }
                nameEnd = nameStart + Self.scalarLength(at: nameStart, in: bytes)
                resume = nameEnd
            } else {
                guard let found = Self.firstIndex(of: suffixBytes, in: bytes, from: nameStart) else {
                    // No suffix before the end of the text: keep the rest unchanged (see the type's documentation).
                    break
                }
                nameEnd = found
                resume = found + suffixBytes.count
            }
            let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[nameStart..<nameEnd]), as: UTF8.self)
            guard let value = values[name.lowercased()] else {
                throw undefined(name, line: Self.line(of: candidate, in: bytes), file: file)
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copiedUpTo..<candidate]))
            output.append(contentsOf: value.utf8)
            copiedUpTo = resume
            candidate = Self.firstIndex(of: leadByte, in: bytes, from: resume) ?? count
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copiedUpTo..<count]))
        return String(decoding: output, as: UTF8.self)
    }

    private func undefined(_ name: String, line: Int, file: String?) -> RunwayError {
        let placeholder = prefix + name + suffix
        // Flyway tests the name as written, case-sensitively, anywhere in it.
        if Self.firstIndex(of: Array("flyway:".utf8), in: Array(name.utf8), from: 0) != nil {
            return .invalidMigration(
                "Failed to populate value for default placeholder: \(placeholder)", file: file, line: line,
                problem: .undefinedPlaceholder)
        }
        return .invalidMigration(
            "No value provided for placeholder: \(placeholder).  Check your configuration!", file: file, line: line,
            problem: .undefinedPlaceholder)
    }

    // MARK: - Bytes

    private static func firstIndex(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    private static func firstIndex<Haystack: RandomAccessCollection<UInt8>>(
        of needle: [UInt8], in haystack: Haystack, from start: Int
    ) -> Int? where Haystack.Index == Int {
        guard let first = needle.first else { return start }
        let lastStart = haystack.endIndex - needle.count
        var index = max(start, haystack.startIndex)
        while index <= lastStart {
            if haystack[index] == first {
                var offset = 1
                while offset < needle.count && haystack[index + offset] == needle[offset] { offset += 1 }
                if offset == needle.count { return index }
            }
            index += 1
        }
        return nil
    }

    /// The length in bytes of the UTF-8 sequence that starts at `index` (1 for a stray byte).
    private static func scalarLength(at index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let lead = bytes[index]
        let length = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        return min(length, bytes.count - index)
    }

    private static func line(of index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        1 + bytes[..<index].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
}
