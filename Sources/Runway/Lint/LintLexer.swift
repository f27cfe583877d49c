// The linter's view of a statement's tokens.
//
// `SQLScriptParser` decides where statements end, exactly as Flyway does; the linter then needs to look inside one
// statement: its keywords, identifiers and parentheses, with comments and literals out of the way. Both read the text
// with the same lexer (`Scanner` in `Migrations/SQLScript.swift`), the splitter in its Flyway reading and the linter
// in its server reading (each part of a dotted name on its own, numbers with fractions), so the two never disagree
// on where a literal, a quoted identifier, a dollar quote or a comment ends.

/// One token of a statement, as the linter sees it.
struct LintToken: Sendable, Equatable {
    /// What the token is.
    enum Kind: Sendable, Equatable {
        /// A keyword or an unquoted identifier (`ALTER`, `orders`, `gen_random_uuid`).
        case word
        /// A `"quoted identifier"`; `text` holds the name with `""` unescaped.
        case quotedIdentifier
        /// A string constant (`'...'`, `E'...'`, `$tag$...$tag$`, `B'...'`, `X'...'`, `U&'...'`); `text` holds its
        /// content.
        case string
        /// A number (`42`, `1.5e3`).
        case number
        /// A positional parameter (`$1`).
        case parameter
        /// Any other single character: `(`, `)`, `,`, `.`, `;`, operators.
        case symbol
        /// A `-- comment` (only when comments are kept); `text` holds everything after `--`.
        case lineComment
        /// A `/* comment */` (only when comments are kept); `text` holds the whole comment.
        case blockComment
    }

    /// What the token is.
    var kind: Kind
    /// The token's text: as written for words, numbers and symbols, the content for literals and quoted identifiers.
    var text: String
    /// For words: `text` upper-cased (ASCII only, as PostgreSQL folds keywords); empty for every other kind.
    var keyword: String
    /// The 1-based line of the token's first character in the lexed text.
    var line: Int
    /// Parenthesis depth: the number of `(` open before the token; `(` and its `)` both have the outer depth.
    var depth: Int

    /// Whether the token is the keyword `word` (an upper-case ASCII word).
    func isKeyword(_ word: String) -> Bool { kind == .word && keyword == word }

    /// Whether the token is the one-character symbol `character`.
    func isSymbol(_ character: Character) -> Bool { kind == .symbol && text.first == character }

    /// Whether the token can name something: a word or a quoted identifier.
    var isIdentifier: Bool { kind == .word || kind == .quotedIdentifier }

    /// The identifier as PostgreSQL resolves it: unquoted words fold to lower case (ASCII only), quoted identifiers
    /// keep their case.
    var identifier: String { kind == .word ? LintLexer.asciiLowercased(text) : text }
}

/// Tokenizes SQL text; never fails, whatever the input.
enum LintLexer {
    /// The tokens of `text`; comments are dropped unless `keepComments` is true. `standardStrings` is the session's
    /// `standard_conforming_strings` the statement was split with (it decides whether a backslash escapes in a plain
    /// `'...'` literal).
    ///
    /// Unterminated literals, quoted identifiers and comments run to the end of the text; an unbalanced `)` never
    /// makes the depth negative.
    static func tokens(_ text: String, keepComments: Bool = false, standardStrings: Bool = true) -> [LintToken] {
        var text = text
        return text.withUTF8 { bytes in
            var scanner = Scanner(bytes: bytes)
            scanner.reading = .server
            scanner.standardStrings = standardStrings
            var tokens: [LintToken] = []
            var depth = 0
            func emit(_ kind: LintToken.Kind, _ text: String, line: Int) {
                let keyword = kind == .word ? asciiUppercased(text) : ""
                tokens.append(LintToken(kind: kind, text: text, keyword: keyword, line: line, depth: depth))
            }
            while true {
                let start = scanner.pos
                let line = scanner.line
                guard let token = scanner.readToken() else {
                    // Whitespace, or a parenthesis (the scanner only counts those).
                    switch start < bytes.count ? bytes[start] : 0 {
                    case UInt8(ascii: "("):
                        emit(.symbol, "(", line: line)
                        depth += 1
                    case UInt8(ascii: ")"):
                        depth = max(0, depth - 1)
                        emit(.symbol, ")", line: line)
                    default:
                        break
                    }
                    continue
                }
                let text = scanner.string(token.start..<token.end)
                switch token.kind {
                case .eof:
                    return tokens
                case .blankLines:
                    break
                case .comment:
                    guard keepComments else { break }
                    if text.utf8.first == UInt8(ascii: "-") {
                        emit(.lineComment, String(text.dropFirst(2)), line: line)
                    } else {
                        emit(.blockComment, text, line: line)
                    }
                case .string:
                    emit(.string, scanner.literalContent(of: token), line: line)
                case .keyword:
                    emit(.word, text, line: line)
                case .identifier where token.isPlainQuotedIdentifier:
                    emit(.quotedIdentifier, unescapingDoubledQuotes(text), line: line)
                case .identifier:
                    // A word with digits or `$` in it, or the run of NULs Flyway reads as an identifier (skipped).
                    if text.utf8.first != 0 { emit(.word, text, line: line) }
                case .numeric:
                    emit(.number, text, line: line)
                case .delimiter, .symbol:
                    let isParameter = text.utf8.count > 1 && text.utf8.first == UInt8(ascii: "$")
                    emit(isParameter ? .parameter : .symbol, text, line: line)
                }
            }
        }
    }

    /// A quoted identifier's name: `""` inside it is one `"`.
    private static func unescapingDoubledQuotes(_ text: String) -> String {
        guard text.contains("\"\"") else { return text }
        var result = ""
        var previousWasQuote = false
        for character in text {
            if character == "\"" && previousWasQuote {
                previousWasQuote = false
                continue
            }
            previousWasQuote = character == "\""
            result.append(character)
        }
        return result
    }
}

// MARK: - Case folding

extension LintLexer {
    /// ASCII-only upper-casing, as PostgreSQL folds keywords.
    static func asciiUppercased(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let isLower = scalar.value >= 0x61 && scalar.value <= 0x7A
            result.append(isLower ? Unicode.Scalar(UInt8(scalar.value - 0x20)) : scalar)
        }
        return String(result)
    }

    /// ASCII-only lower-casing, as PostgreSQL folds unquoted identifiers in a UTF-8 database.
    static func asciiLowercased(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let isUpper = scalar.value >= 0x41 && scalar.value <= 0x5A
            result.append(isUpper ? Unicode.Scalar(UInt8(scalar.value + 0x20)) : scalar)
        }
        return String(result)
    }
}
