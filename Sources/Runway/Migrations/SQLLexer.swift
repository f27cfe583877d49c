/// PostgreSQL's own lexical rules, used by `validate --offline` to find SQL that cannot run: a string, quoted
/// identifier, dollar quote or block comment that is never closed.
///
/// Flyway's splitter (``SQLScriptParser``) silently runs such text to the end of the file; PostgreSQL would then
/// reject the statement at migrate time. Checking the lexical structure up front turns that into a CI failure
/// naming the file and line.
package enum SQLLexer {
    /// A construct that is opened but never closed.
    package struct Unterminated: Sendable, Equatable {
        /// What was left open: "string literal", "quoted identifier", "dollar-quoted string $tag$", "block comment".
        package var construct: String
        /// 1-based line where it starts.
        package var line: Int
    }

    /// The first unterminated construct in `sql`, or `nil`. `firstLine` is the line of the first byte of `sql`.
    package static func firstUnterminated(in sql: String, firstLine: Int = 1) -> Unterminated? {
        let bytes = Array(sql.utf8)
        let count = bytes.count
        var index = 0
        var line = firstLine
        func isIdentifierStart(_ b: UInt8) -> Bool {
            b == 0x5F || (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A || b >= 0x80
        }
        func isIdentifierPart(_ b: UInt8) -> Bool { isIdentifierStart(b) || (b >= 0x30 && b <= 0x39) }
        while index < count {
            let byte = bytes[index]
            let next: UInt8? = index + 1 < count ? bytes[index + 1] : nil
            let startLine = line
            switch byte {
            case 0x0A:
                line += 1
                index += 1
            case 0x2D where next == 0x2D:  // -- comment
                while index < count && bytes[index] != 0x0A { index += 1 }
            case 0x2F where next == 0x2A:  // /* nested */
                var depth = 0
                repeat {
                    if index + 1 < count && bytes[index] == 0x2F && bytes[index + 1] == 0x2A {
                        depth += 1
                        index += 2
                    } else if index + 1 < count && bytes[index] == 0x2A && bytes[index + 1] == 0x2F {
                        depth -= 1
                        index += 2
                    } else {
                        if bytes[index] == 0x0A { line += 1 }
                        index += 1
                    }
                } while depth > 0 && index < count
                if depth > 0 { return Unterminated(construct: "block comment", line: startLine) }
            case 0x27, 0x22:  // 'string' or "identifier"; E'...' handled by the preceding letter check below
                let escapes =
                    index > 0 && (bytes[index - 1] | 0x20) == 0x65 && byte == 0x27
                    && (index < 2 || !isIdentifierPart(bytes[index - 2]))
                index += 1
                var closed = false
                while index < count {
                    let current = bytes[index]
                    if current == 0x0A { line += 1 }
                    index += 1
                    if escapes && current == 0x5C {
                        if index < count {
                            if bytes[index] == 0x0A { line += 1 }
                            index += 1
                        }
                        continue
                    }
                    if current == byte {
                        if index < count && bytes[index] == byte {
                            index += 1
                            continue
                        }
                        closed = true
                        break
                    }
                }
                if !closed {
                    return Unterminated(
                        construct: byte == 0x27 ? "string literal" : "quoted identifier", line: startLine)
                }
            case 0x24:  // $tag$ ... $tag$ (a $ after an identifier character or a $1 parameter is not a tag)
                if index > 0 && isIdentifierPart(bytes[index - 1]) {
                    index += 1
                    continue
                }
                var end = index + 1
                while end < count && bytes[end] != 0x24 && isIdentifierPart(bytes[end]) { end += 1 }
                let validTag =
                    end < count && bytes[end] == 0x24
                    && (end == index + 1 || !(bytes[index + 1] >= 0x30 && bytes[index + 1] <= 0x39))
                guard validTag else {
                    index += 1
                    continue
                }
                let tag = Array(bytes[index...end])
                var search = end + 1
                var found = false
                while search + tag.count <= count {
                    if bytes[search] == 0x24 && Array(bytes[search..<(search + tag.count)]) == tag {
                        found = true
                        break
                    }
                    if bytes[search] == 0x0A { line += 1 }
                    search += 1
                }
                if !found {
                    return Unterminated(
                        construct: "dollar-quoted string \(String(decoding: tag, as: UTF8.self))", line: startLine)
                }
                index = search + tag.count
            default:
                if isIdentifierStart(byte) {
                    // Skip a whole word so that `$` inside identifiers and E'' prefixes are judged correctly.
                    var end = index + 1
                    while end < count && (isIdentifierPart(bytes[end]) || bytes[end] == 0x24) { end += 1 }
                    // Leave a trailing quote for the string case (E'..', U&'..', B'..', X'..').
                    index = end
                } else {
                    index += 1
                }
            }
        }
        return nil
    }
}
