// A small PostgreSQL tokenizer for the migration linter.
//
// `SQLScriptParser` decides where statements end, exactly as Flyway does; the linter then needs to look inside one
// statement: its keywords, identifiers and parentheses, with comments and literals out of the way. This lexer follows
// PostgreSQL's own lexical rules (`scan.l`) closely enough for that: it never fails, and anything it does not
// recognise becomes a one-character symbol.

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
    /// The tokens of `text`; comments are dropped unless `keepComments` is true.
    ///
    /// Unterminated literals, quoted identifiers and comments run to the end of the text; an unbalanced `)` never
    /// makes the depth negative.
    static func tokens(_ text: String, keepComments: Bool = false) -> [LintToken] {
        var lexer = LintScanner(scalars: Array(text.unicodeScalars), keepComments: keepComments)
        return lexer.run()
    }
}

// MARK: - Implementation

private struct LintScanner {
    let scalars: [Unicode.Scalar]
    let keepComments: Bool
    var index = 0
    var line = 1
    var depth = 0
    var tokens: [LintToken] = []

    init(scalars: [Unicode.Scalar], keepComments: Bool) {
        self.scalars = scalars
        self.keepComments = keepComments
    }

    private func scalar(_ offset: Int) -> Unicode.Scalar? {
        let position = index + offset
        return position >= 0 && position < scalars.count ? scalars[position] : nil
    }

    mutating func run() -> [LintToken] {
        while index < scalars.count {
            readToken()
        }
        return tokens
    }

    private mutating func emit(_ kind: LintToken.Kind, _ text: String, line startLine: Int) {
        let keyword = kind == .word ? LintLexer.asciiUppercased(text) : ""
        tokens.append(LintToken(kind: kind, text: text, keyword: keyword, line: startLine, depth: depth))
    }

    /// Moves to `end`, counting line feeds on the way.
    private mutating func advance(to end: Int) {
        let target = min(max(end, index), scalars.count)
        while index < target {
            if scalars[index] == "\n" { line += 1 }
            index += 1
        }
    }

    private func text(_ range: Range<Int>) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[range.clamped(to: 0..<scalars.count)])
        return String(result)
    }

    private mutating func readToken() {
        guard let first = scalar(0) else { return }
        let startLine = line
        let next = scalar(1)
        switch first {
        case "-" where next == "-":
            var end = index + 2
            while end < scalars.count && scalars[end] != "\n" { end += 1 }
            let body = text(index + 2..<end)
            advance(to: end)
            if keepComments { emit(.lineComment, body, line: startLine) }
        case "/" where next == "*":
            let start = index
            advance(to: endOfBlockComment())
            if keepComments { emit(.blockComment, text(start..<index), line: startLine) }
        case "'":
            readQuoted(from: index + 1, backslashEscapes: false, line: startLine)
        case "\"":
            let (end, content) = endOfQuoted(from: index + 1, quote: "\"", backslashEscapes: false)
            advance(to: end)
            emit(.quotedIdentifier, content, line: startLine)
        case "$":
            readDollar(line: startLine)
        case "(":
            emit(.symbol, "(", line: startLine)
            depth += 1
            advance(to: index + 1)
        case ")":
            depth = max(0, depth - 1)
            emit(.symbol, ")", line: startLine)
            advance(to: index + 1)
        case "0"..."9":
            readNumber(line: startLine)
        case "." where next.map(LintCharacter.isDigit) ?? false:
            readNumber(line: startLine)
        default:
            if LintCharacter.isIdentifierStart(first) {
                readWord(line: startLine)
            } else if first.properties.isWhitespace || first.value < 0x20 || first.value == 0x7F {
                advance(to: index + 1)
            } else {
                emit(.symbol, String(Character(first)), line: startLine)
                advance(to: index + 1)
            }
        }
    }

    // MARK: Words and numbers

    private mutating func readWord(line startLine: Int) {
        var end = index + 1
        while end < scalars.count && (LintCharacter.isIdentifierPart(scalars[end]) || scalars[end] == "$") { end += 1 }
        let word = text(index..<end)
        let following = end < scalars.count ? scalars[end] : nil
        let afterFollowing = end + 1 < scalars.count ? scalars[end + 1] : nil
        switch (LintLexer.asciiUppercased(word), following) {
        case ("E", "'"):
            advance(to: end)
            readQuoted(from: index + 1, backslashEscapes: true, line: startLine)
        case ("B", "'"), ("X", "'"), ("N", "'"):
            advance(to: end)
            readQuoted(from: index + 1, backslashEscapes: false, line: startLine)
        case ("U", "&") where afterFollowing == "'":
            advance(to: end + 1)
            readQuoted(from: index + 1, backslashEscapes: false, line: startLine)
        default:
            advance(to: end)
            emit(.word, word, line: startLine)
        }
    }

    private mutating func readNumber(line startLine: Int) {
        var end = index + 1
        while end < scalars.count {
            let current = scalars[end]
            if LintCharacter.isDigit(current) || current == "." || current == "_"
                || LintCharacter.isASCIILetter(current)
            {
                end += 1
            } else if (current == "+" || current == "-") && (scalars[end - 1] == "e" || scalars[end - 1] == "E") {
                end += 1
            } else {
                break
            }
        }
        let number = text(index..<end)
        advance(to: end)
        emit(.number, number, line: startLine)
    }

    // MARK: Literals

    /// A `'...'` literal whose opening quote is at `index`; `from` is the first content position.
    private mutating func readQuoted(from contentStart: Int, backslashEscapes: Bool, line startLine: Int) {
        let (end, content) = endOfQuoted(from: contentStart, quote: "'", backslashEscapes: backslashEscapes)
        advance(to: end)
        emit(.string, content, line: startLine)
    }

    /// The position after the closing quote (or the end of the text) and the unescaped content.
    private func endOfQuoted(
        from start: Int, quote: Unicode.Scalar, backslashEscapes: Bool
    ) -> (end: Int, content: String) {
        var content = String.UnicodeScalarView()
        var position = start
        while position < scalars.count {
            let current = scalars[position]
            position += 1
            if backslashEscapes && current == "\\" {
                if position < scalars.count {
                    content.append(scalars[position])
                    position += 1
                }
                continue
            }
            if current == quote {
                if position < scalars.count && scalars[position] == quote {
                    content.append(quote)
                    position += 1
                    continue
                }
                return (position, String(content))
            }
            content.append(current)
        }
        return (scalars.count, String(content))
    }

    /// `$1` (a parameter), `$tag$...$tag$` (a dollar-quoted string) or a lone `$` (a symbol).
    private mutating func readDollar(line startLine: Int) {
        if let next = scalar(1), LintCharacter.isDigit(next) {
            var end = index + 2
            while end < scalars.count && LintCharacter.isDigit(scalars[end]) { end += 1 }
            let parameter = text(index..<end)
            advance(to: end)
            emit(.parameter, parameter, line: startLine)
            return
        }
        // The tag: `$$` or `$` + an identifier without `$` + `$`.
        var tagEnd = index + 1
        if let next = scalar(1), LintCharacter.isIdentifierStart(next) {
            while tagEnd < scalars.count && LintCharacter.isIdentifierPart(scalars[tagEnd]) { tagEnd += 1 }
        }
        guard tagEnd < scalars.count && scalars[tagEnd] == "$" else {
            emit(.symbol, "$", line: startLine)
            advance(to: index + 1)
            return
        }
        let tag = scalars[index...tagEnd]
        let contentStart = tagEnd + 1
        var position = contentStart
        while position < scalars.count {
            if scalars[position] == "$" && scalars[position...].starts(with: tag) {
                let content = text(contentStart..<position)
                advance(to: position + tag.count)
                emit(.string, content, line: startLine)
                return
            }
            position += 1
        }
        let content = text(contentStart..<scalars.count)
        advance(to: scalars.count)
        emit(.string, content, line: startLine)
    }

    /// The position after the `*/` that closes the block comment at `index` (block comments nest).
    private func endOfBlockComment() -> Int {
        var position = index + 2
        var nesting = 1
        while position < scalars.count {
            let current = scalars[position]
            let following = position + 1 < scalars.count ? scalars[position + 1] : nil
            if current == "/" && following == "*" {
                nesting += 1
                position += 2
            } else if current == "*" && following == "/" {
                nesting -= 1
                position += 2
                if nesting == 0 { return position }
            } else {
                position += 1
            }
        }
        return scalars.count
    }
}

// MARK: - Character classes

private enum LintCharacter {
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= 0x30 && scalar.value <= 0x39 }

    static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value >= 0x41 && scalar.value <= 0x5A) || (scalar.value >= 0x61 && scalar.value <= 0x7A)
    }

    /// PostgreSQL's `ident_start`: an ASCII letter, `_`, or any non-ASCII character.
    static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
        isASCIILetter(scalar) || scalar == "_" || scalar.value >= 0x80
    }

    /// PostgreSQL's `ident_cont` without `$` (which dollar-quote tags may not contain).
    static func isIdentifierPart(_ scalar: Unicode.Scalar) -> Bool { isIdentifierStart(scalar) || isDigit(scalar) }
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
