// Splits a migration script into statements exactly as Flyway's PostgreSQL parser does
// (`core/internal/parser/Parser.java`, `PeekingReader.java`, `ParserContext.java`, `pg/PostgreSQLParser.java`).
//
// The scanner works on the script's UTF-8 bytes in one forward pass. Every character that decides a token is ASCII,
// and ASCII bytes never occur inside a multi-byte UTF-8 sequence, so byte positions and Java's character positions
// split the text at the same places. Non-ASCII characters are decoded only where Flyway asks a Unicode question
// (`Character.isLetter`, `isDigit`, `isWhitespace`), with Java's `char` semantics: characters outside the Basic
// Multilingual Plane are surrogate pairs in Java, and a surrogate is never a letter, a digit or whitespace.
//
// Deliberate deviations, all where Flyway hangs or sends nothing:
// * a non-ASCII decimal digit (`٣`) outside a literal makes Flyway loop forever; here it is a one-character number;
// * `COPY ... FROM STDIN` without a `\.` line makes Flyway loop forever; here the data runs to the end of the script;
// * a statement that trims to nothing (only control characters or NULs before `;`) is dropped instead of being sent
//   as an empty string.

/// One statement of a migration script.
public struct SQLStatement: Sendable, Equatable {
    /// The statement text, trimmed, without its trailing delimiter; comments that precede it are kept.
    public var sql: String
    /// The 1-based line of the statement's first non-comment token in the script.
    public var line: Int
    /// Whether the statement may run inside a transaction (Flyway's non-transactional statement detection).
    public var canExecuteInTransaction: Bool
    /// For `COPY ... FROM STDIN`: the data lines that follow the statement, with their line endings, without the
    /// terminating `\.` line; `nil` for every other statement.
    public var copyData: String?
    /// For a statement whose splitting depends on `standard_conforming_strings` (it holds a plain `'...'` literal
    /// with a backslash in it): the value it was split with. The executor checks that the session still has that
    /// value when the statement is sent; `nil` for every other statement.
    var splitWithStandardStrings: Bool?
    /// Whether the statement must be sent on its own, never pipelined behind others: it controls the transaction
    /// (its first word is `BEGIN`, `START`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `SAVEPOINT`, `RELEASE` or
    /// `PREPARE`), or it is a `COPY` other than `FROM STDIN` (which ``copyData`` or ``copyDataFollows`` mark).
    var runsOnItsOwn = false
    /// For `COPY ... FROM STDIN` read from a ``StatementStream``: its data follows in the stream
    /// (``StatementStream/copyData(_:)``).
    var copyDataFollows = false

    /// Creates a statement.
    public init(sql: String, line: Int, canExecuteInTransaction: Bool = true, copyData: String? = nil) {
        self.sql = sql
        self.line = line
        self.canExecuteInTransaction = canExecuteInTransaction
        self.copyData = copyData
    }
}

// MARK: - Transaction mode of a script

/// The statements behind Flyway's "mixed" error: a script that holds both transactional and non-transactional
/// statements.
struct MixedTransactionality: Sendable, Equatable {
    /// The first statement that can run in a transaction.
    var firstTransactional: SQLStatement
    /// The first statement that cannot run in a transaction.
    var firstNonTransactional: SQLStatement
    /// The statement Flyway names: the later of the two, the one at which the script became mixed.
    var offending: SQLStatement

    /// Flyway's message for `mixed=false` (`ParserSqlScript.java`); the ` [non-transactional]` suffix is only
    /// there when the offending statement is the non-transactional one.
    var message: String {
        "Detected both transactional and non-transactional statements within the same migration (even though "
            + "mixed is false). Offending statement found at line \(offending.line): \(offending.sql)"
            + (offending.canExecuteInTransaction ? "" : " [non-transactional]")
    }
}

extension Array where Element == SQLStatement {
    /// Flyway's rule: a script can run in a transaction iff none of its statements is non-transactional.
    var canExecuteInTransaction: Bool {
        allSatisfy(\.canExecuteInTransaction)
    }

    /// The first transactional and the first non-transactional statement when the script holds both kinds, else
    /// `nil`. The caller raises `message` when `mixed` is false and no `.conf` file sets `executeInTransaction`.
    var mixedTransactionality: MixedTransactionality? {
        guard let transactional = firstIndex(where: { $0.canExecuteInTransaction }),
            let nonTransactional = firstIndex(where: { !$0.canExecuteInTransaction })
        else { return nil }
        return MixedTransactionality(
            firstTransactional: self[transactional], firstNonTransactional: self[nonTransactional],
            offending: self[Swift.max(transactional, nonTransactional)])
    }
}

// MARK: - Parser

/// Flyway's PostgreSQL statement splitter.
package enum SQLScriptParser {
    /// Splits a (placeholder-replaced) script into statements exactly as Flyway's PostgreSQL parser does.
    ///
    /// Runs in time linear in the script's size and never fails on unbalanced quotes, comments or parentheses: like
    /// Flyway, an unterminated literal or comment simply runs to the end of the script.
    ///
    /// - Parameter serverMajorVersion: decides whether `ALTER TYPE ... ADD VALUE` is non-transactional (below 12).
    /// - Throws: `RunwayError(.invalidMigration)` when the script ends inside an open `BEGIN ATOMIC` block
    ///   ("Incomplete statement at line L col C"; the statement's text is in `statement`).
    package static func parse(
        _ text: String, serverMajorVersion: Int = 15, standardConformingStrings: Bool = true
    ) throws(RunwayError) -> [SQLStatement] {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(RunwayError) -> [SQLStatement] in
                var splitter = StatementSplitter(
                    bytes: bytes, serverMajorVersion: serverMajorVersion,
                    standardConformingStrings: standardConformingStrings)
                return try splitter.statements()
            }
        }
        return try result.get()
    }
}

// MARK: - Statement splitting (`Parser.getNextStatement`)

/// Flyway's `getTransactionalDetectionCutoff()`: only the first 10 keywords of a statement decide its kind.
private let keywordCutoff = 10

struct StatementSplitter {
    var scanner: Scanner
    let serverMajorVersion: Int

    /// The session's `standard_conforming_strings` when the script starts (what `RESET` goes back to).
    let initialStandardStrings: Bool

    /// A splitter that goes on with `scanner` (a window of a script, see ``StatementStream``).
    init(scanner: Scanner, serverMajorVersion: Int, initialStandardStrings: Bool) {
        self.scanner = scanner
        self.serverMajorVersion = serverMajorVersion
        self.initialStandardStrings = initialStandardStrings
        copyDataByCaller = true
    }

    init(bytes: UnsafeBufferPointer<UInt8>, serverMajorVersion: Int, standardConformingStrings: Bool = true) {
        scanner = Scanner(bytes: bytes)
        scanner.standardStrings = standardConformingStrings
        initialStandardStrings = standardConformingStrings
        self.serverMajorVersion = serverMajorVersion
    }

    /// First words of the statements that control the transaction (``SQLStatement/runsOnItsOwn``).
    private static let transactionControl: Set<String> = [
        "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE",
    ]

    /// Whether `COPY` data is left for the caller to read (``StatementStream``): the statement is returned with
    /// ``SQLStatement/copyDataFollows`` and the scanner stops after its delimiter.
    var copyDataByCaller = false

    mutating func statements() throws(RunwayError) -> [SQLStatement] {
        var result: [SQLStatement] = []
        while case .statement(let statement) = try step() {
            result.append(statement)
        }
        return result
    }

    /// What one call of ``step()`` found.
    enum Step {
        case statement(SQLStatement)
        /// The script ended.
        case end
        /// The bytes ended before the statement did, and they are not the end of the script (``Scanner/isFinal``):
        /// read more and split again from the snapshot taken before this step.
        case needsMore
    }

    /// One iteration of Flyway's `getNextStatement`.
    mutating func step() throws(RunwayError) -> Step {
        var state = StatementState(at: scanner)
        scanner.backslashInStandardString = false
        while true {
            guard let token = scanner.readToken() else {
                // Whitespace and parentheses: before the first token they are not recorded.
                if state.tokenCount == 0 {
                    state.restartRecording(at: scanner)
                } else {
                    state.confirmedEnd = scanner.pos
                }
                continue
            }
            if token.kind == .delimiter && !state.nonCommentSeen {
                // `;;` or a comment-only statement: dropped, comments included.
                state = StatementState(at: scanner)
                continue
            }
            if token.kind == .keyword && token.depth == 0 {
                state.keywordCount += 1
                adjustBlockDepth(for: token, previousIsBegin: state.previous == .begin)
            }
            if token.kind == .eof && !scanner.isFinal { return .needsMore }
            if token.kind == .eof || (token.kind == .delimiter && token.depth == 0 && scanner.blocks.isEmpty) {
                if token.kind == .delimiter && scanner.javaTrimmed(state.recordStart..<state.confirmedEnd).isEmpty {
                    // Only control characters (or NULs) before the delimiter: Flyway would send an empty string,
                    // which does nothing; Runway drops the statement.
                    state = StatementState(at: scanner)
                    continue
                }
                return try finish(state, at: token).map { .statement($0) } ?? .end
            }
            if !state.nonCommentSeen {
                state.line = token.line
                state.column = token.column
            }
            state.tokenCount += 1
            state.confirmedEnd = scanner.pos
            if !state.nonCommentSeen && token.kind != .comment && token.kind != .blankLines {
                state.nonCommentSeen = true
            }
            state.notePrevious(token, isBegin: token.depth == 0 && scanner.isBegin(token))
            if state.head.count < StandardStringsSetting.headLength, token.depth == 0,
                token.kind != .comment && token.kind != .blankLines
            {
                state.head.append(
                    token.kind == .keyword ? scanner.comparableText(of: token) : scanner.string(token.start..<token.end)
                )
            }
            if state.keywordCount <= keywordCutoff && (token.kind == .keyword || token.isAtSign) && token.depth == 0
                && (!state.isCopy || state.canExecuteInTransaction == nil)
            {
                state.words.append(token.kind == .keyword ? scanner.comparableText(of: token) : "@")
                if !state.isCopy && state.words.matchesCopyFromStdin {
                    state.isCopy = true
                }
                if state.canExecuteInTransaction == nil {
                    state.canExecuteInTransaction = decideTransactionality(state, otherwise: nil)
                }
            }
        }
    }

    private mutating func finish(_ state: StatementState, at token: Token) throws(RunwayError) -> SQLStatement? {
        let range = scanner.javaTrimmed(state.recordStart..<state.confirmedEnd)
        if token.kind == .eof && (range.isEmpty || state.tokenCount == 0 || !state.nonCommentSeen) {
            return nil
        }
        let canExecuteInTransaction =
            state.canExecuteInTransaction ?? decideTransactionality(state, otherwise: true) ?? true
        let sql = scanner.string(range)
        if token.kind == .eof && !scanner.blocks.isEmpty {
            throw RunwayError(
                .invalidMigration, "Incomplete statement at line \(state.line) col \(state.column)",
                line: state.line, statement: sql)
        }
        var statement = SQLStatement(sql: sql, line: state.line, canExecuteInTransaction: canExecuteInTransaction)
        if scanner.backslashInStandardString { statement.splitWithStandardStrings = scanner.standardStrings }
        let firstWord = state.head.first ?? ""
        statement.runsOnItsOwn = Self.transactionControl.contains(firstWord) || (firstWord == "COPY" && !state.isCopy)
        // psql follows the session's setting statement by statement; a script that changes it with a plain SET or
        // RESET is split the same way (anything else is caught by the executor's check).
        switch StandardStringsSetting(head: state.head) {
        case .set(let value)?: scanner.standardStrings = value
        case .reset?: scanner.standardStrings = initialStandardStrings
        case nil: break
        }
        guard state.isCopy else { return statement }
        if copyDataByCaller {
            statement.copyDataFollows = true
            return statement
        }
        statement.copyData = scanner.string(scanner.readCopyData())
        return statement
    }

    /// `PostgreSQLParser.adjustBlockDepth`: `BEGIN ATOMIC` opens a block, `CASE` directly inside it opens one, and
    /// `END` closes the innermost `ATOMIC` or `CASE` block.
    private mutating func adjustBlockDepth(for keyword: Token, previousIsBegin: Bool) {
        if previousIsBegin && scanner.keyword(keyword, is: "ATOMIC") {
            scanner.blocks.append(.atomic)
        }
        if scanner.blocks.last == .atomic && scanner.keyword(keyword, is: "CASE") {
            scanner.blocks.append(.case)
        }
        if !scanner.blocks.isEmpty && scanner.keyword(keyword, is: "END") {
            scanner.blocks.removeLast()
        }
    }

    /// Flyway's `determineCanExecuteInTransaction` + `PostgreSQLParser.detectCanExecuteInTransaction`: `false` as
    /// soon as the keywords so far match a non-transactional pattern; `otherwise` while undecided.
    private func decideTransactionality(_ state: StatementState, otherwise: Bool?) -> Bool? {
        if state.keywordCount > keywordCutoff { return true }
        if state.words.isNonTransactional { return false }
        if serverMajorVersion < 12 && state.words.isAlterTypeAddValue { return false }
        return otherwise
    }
}

/// What Flyway tracks while it collects the tokens of one statement.
struct StatementState {
    /// Start of the recorder (`recorder.start()`) and end of its confirmed part (`recorder.confirm()`).
    var recordStart: Int
    var confirmedEnd: Int
    /// Line and column of the first non-comment token (of the current position before any token).
    var line: Int
    var column: Int
    var tokenCount = 0
    var keywordCount = 0
    var nonCommentSeen = false
    var isCopy = false
    var canExecuteInTransaction: Bool?
    var words = SimplifiedStatement()
    /// The first tokens at parenthesis depth 0 (keywords upper-cased, others as written), for
    /// ``StandardStringsSetting``.
    var head: [String] = []
    /// What `Parser.getPreviousToken(tokens, 0)` would return, as far as `lastTokenIs(..., "BEGIN")` cares.
    var previous = PreviousToken.none

    enum PreviousToken { case none, begin, other }

    init(at scanner: Scanner) {
        recordStart = scanner.pos
        confirmedEnd = scanner.pos
        line = scanner.line
        column = scanner.column
    }

    mutating func restartRecording(at scanner: Scanner) {
        recordStart = scanner.pos
        confirmedEnd = scanner.pos
        line = scanner.line
        column = scanner.column
    }

    /// `getPreviousToken` walks back over deeper tokens, comments and blank lines, and stops at a shallower one.
    mutating func notePrevious(_ token: Token, isBegin: Bool) {
        if token.depth < 0 {
            previous = .none
        } else if token.depth == 0 && token.kind != .comment && token.kind != .blankLines {
            previous = isBegin ? .begin : .other
        }
    }
}

/// Flyway's `simplifiedStatement`: the upper-cased keywords (and `@` symbols) at parenthesis depth 0, joined by
/// single spaces. Every pattern Flyway tries is anchored at both ends and only looks at whole words at the start
/// and the end, so the first two and last two words and the count decide every match.
struct SimplifiedStatement {
    private(set) var count = 0
    private var first = ""
    private var second = ""
    private var penultimate = ""
    private var last = ""

    mutating func append(_ word: String) {
        if count == 0 { first = word }
        if count == 1 { second = word }
        penultimate = last
        last = word
        count += 1
    }

    /// `^COPY( .*)? FROM STDIN`
    var matchesCopyFromStdin: Bool {
        count >= 3 && first == "COPY" && penultimate == "FROM" && last == "STDIN"
    }

    /// `^(CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION)`, `^ALTER SYSTEM`,
    /// `^(CREATE|DROP)( UNIQUE)? INDEX CONCURRENTLY`, `^REINDEX( VERBOSE)? (SCHEMA|DATABASE|SYSTEM)`, `^VACUUM`,
    /// `^DISCARD ALL`, each matched against the whole string.
    var isNonTransactional: Bool {
        let createOrDrop = first == "CREATE" || first == "DROP"
        let reindexTarget = last == "SCHEMA" || last == "DATABASE" || last == "SYSTEM"
        switch count {
        case 1:
            return first == "VACUUM"
        case 2:
            return (createOrDrop && (second == "DATABASE" || second == "TABLESPACE" || second == "SUBSCRIPTION"))
                || (first == "ALTER" && second == "SYSTEM")
                || (first == "REINDEX" && reindexTarget)
                || (first == "DISCARD" && second == "ALL")
        case 3:
            return (createOrDrop && second == "INDEX" && last == "CONCURRENTLY")
                || (first == "REINDEX" && second == "VERBOSE" && reindexTarget)
        case 4:
            return createOrDrop && second == "UNIQUE" && penultimate == "INDEX" && last == "CONCURRENTLY"
        default:
            return false
        }
    }

    /// `^ALTER TYPE( .*)? ADD VALUE` (non-transactional before PostgreSQL 12).
    var isAlterTypeAddValue: Bool {
        count >= 4 && first == "ALTER" && second == "TYPE" && penultimate == "ADD" && last == "VALUE"
    }
}

/// A statement that sets `standard_conforming_strings` the way scripts do it: `SET [SESSION | LOCAL]
/// standard_conforming_strings {TO | =} value`, `RESET standard_conforming_strings`, `RESET ALL`, `DISCARD ALL`.
enum StandardStringsSetting {
    case set(Bool)
    case reset

    /// How many leading tokens the recognition needs.
    static let headLength = 6

    init?(head: [String]) {
        guard let first = head.first else { return nil }
        if first == "RESET" || first == "DISCARD", head.count == 2,
            head[1] == "STANDARD_CONFORMING_STRINGS" && first == "RESET" || head[1] == "ALL"
        {
            self = .reset
            return
        }
        guard first == "SET" else { return nil }
        var index = 1
        if head.count > 1, head[1] == "SESSION" || head[1] == "LOCAL" { index = 2 }
        guard head.count == index + 3, head[index] == "STANDARD_CONFORMING_STRINGS",
            head[index + 1] == "TO" || head[index + 1] == "="
        else { return nil }
        var value = head[index + 2].lowercased()
        if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") { value = String(value.dropFirst().dropLast()) }
        if value == "default" {
            self = .reset
            return
        }
        guard let parsed = Self.boolean(value) else { return nil }
        self = .set(parsed)
    }

    /// PostgreSQL's `parse_bool`: `on`/`off`, `1`/`0`, and any unambiguous prefix of `true`, `false`, `yes`, `no`
    /// (`of` and `off` are off, `o` is ambiguous).
    private static func boolean(_ value: String) -> Bool? {
        switch value {
        case "on", "1": return true
        case "of", "off", "0": return false
        case "": return nil
        default:
            if "true".hasPrefix(value) || "yes".hasPrefix(value) { return true }
            if "false".hasPrefix(value) || "no".hasPrefix(value) { return false }
            return nil
        }
    }
}

// MARK: - Tokens (`Parser.readToken`)

enum TokenKind {
    case comment, blankLines, string, identifier, keyword, numeric, delimiter, symbol, eof
}

enum Block {
    case atomic, `case`
}

struct Token {
    var kind: TokenKind
    /// Parenthesis depth when the token was read (0 for end of file, as in Flyway).
    var depth: Int
    var line: Int
    var column: Int
    /// The token's bytes; for quoted identifiers, the bytes between the quotes.
    var start: Int
    var end: Int
    /// A quoted identifier without dotted parts (its text can be `BEGIN`).
    var isPlainQuotedIdentifier = false
    /// Whether a keyword's bytes are all ASCII (so comparisons need no Unicode case mapping).
    var isASCII = true

    var isAtSign = false
}

/// The one SQL lexer: the splitter, the linter (``LintLexer``) and the offline checks all read literals, quoted
/// identifiers, dollar quotes, comments and `standard_conforming_strings` through it, so they can never disagree on
/// where a string or a comment ends.
struct Scanner {
    /// How words and numbers are read; everything else is read the same way in both.
    enum Reading {
        /// As Flyway's parser reads them, to split statements: a dotted name (`a.b`, `"a"."b"`) is one token and a
        /// number is a run of ASCII digits.
        case flyway
        /// As the server's lexer reads them, to look inside a statement: each part of a dotted name is a token of its
        /// own, and a number takes its fraction and exponent (`0.5`, `.5`, `1e3`).
        case server
    }

    let bytes: UnsafeBufferPointer<UInt8>
    /// How words and numbers are read.
    var reading = Reading.flyway
    private(set) var pos = 0
    private(set) var line = 1
    private(set) var column = 1
    private(set) var parensDepth = 0
    /// The open `BEGIN ATOMIC` / `CASE` blocks (Flyway's block depth and initiator stack); persists across statements.
    var blocks: [Block] = []
    /// The line of a block comment that is still open at the end of the script.
    private(set) var unclosedCommentLine: Int?
    /// The session's `standard_conforming_strings` as the script has set it so far: when off, a backslash escapes
    /// the next character in a plain `'...'` literal too (psql's lexer follows the session in the same way).
    var standardStrings = true
    /// Whether a plain `'...'` literal of the current statement holds a backslash (its end then depends on
    /// `standard_conforming_strings`).
    var backslashInStandardString = false
    /// Whether `bytes` reach the end of the script; `false` for a window of a longer script (``StatementStream``),
    /// where reaching the end of the bytes means "read more".
    var isFinal = true
    /// The first literal or quoted identifier left open (it then runs to the end of the script).
    private(set) var unterminated: Unterminated?
    /// Whether ``lineComments`` and ``codeLines`` are collected (for the linter's disable comments).
    var tracksLines = false
    /// `--` comments read (their text after `--`), with their lines.
    var lineComments: [(line: Int, text: String)] = []
    /// The lines on which a token other than a comment starts (parentheses included).
    var codeLines: [Int] = []

    /// A construct opened and never closed.
    struct Unterminated: Sendable, Equatable {
        /// "string literal", "quoted identifier", "dollar-quoted string $tag$".
        var construct: String
        var line: Int
    }

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The scanner's state between two statements, to go on splitting in another window of the same script.
    struct Snapshot {
        var pos = 0
        var line = 1
        var column = 1
        var parensDepth = 0
        var blocks: [Block] = []
        var unclosedCommentLine: Int?
        var standardStrings = true
        var unterminated: Unterminated?
    }

    /// The state now.
    var snapshot: Snapshot {
        Snapshot(
            pos: pos, line: line, column: column, parensDepth: parensDepth, blocks: blocks,
            unclosedCommentLine: unclosedCommentLine, standardStrings: standardStrings, unterminated: unterminated)
    }

    /// A scanner over `bytes` that goes on from `snapshot` (whose `pos` is an index into `bytes`).
    init(bytes: UnsafeBufferPointer<UInt8>, resuming snapshot: Snapshot, isFinal: Bool) {
        self.init(bytes: bytes)
        pos = snapshot.pos
        line = snapshot.line
        column = snapshot.column
        parensDepth = snapshot.parensDepth
        blocks = snapshot.blocks
        unclosedCommentLine = snapshot.unclosedCommentLine
        standardStrings = snapshot.standardStrings
        unterminated = snapshot.unterminated
        self.isFinal = isFinal
    }

    /// Moves past `count` bytes the caller consumed itself (`COPY` data), counting their lines.
    mutating func skip(_ count: Int) {
        advance(to: pos + count)
    }

    private var count: Int { bytes.count }

    private func byte(_ index: Int) -> UInt8? {
        index >= 0 && index < bytes.count ? bytes[index] : nil
    }

    /// Moves to `newPosition`, tracking line and column like Flyway's `PositionTrackingReader` (LF starts a line, CR
    /// only resets the column, columns count UTF-16 code units).
    private mutating func advance(to newPosition: Int) {
        let end = min(max(newPosition, pos), bytes.count)
        var index = pos
        while index < end {
            let current = bytes[index]
            if current == ASCII.lineFeed {
                line += 1
                column = 1
            } else if current == ASCII.carriageReturn {
                column = 1
            } else if current < 0x80 || (current >= 0xC0 && current < 0xF0) {
                column += 1
            } else if current >= 0xF0 {
                column += 2
            }
            index += 1
        }
        pos = end
    }

    /// Reads the next token; `nil` for what Flyway reads without producing a token (whitespace, parentheses).
    mutating func readToken() -> Token? {
        guard tracksLines else { return readRawToken() }
        let start = pos
        let startLine = line
        let first = byte(pos)
        let token = readRawToken()
        if let token {
            switch token.kind {
            case .comment where first == ASCII.minus:
                lineComments.append((startLine, string((start + 2)..<pos)))
            case .comment, .blankLines, .eof:
                break
            default:
                codeLines.append(startLine)
            }
        } else if first == ASCII.openParenthesis || first == ASCII.closeParenthesis {
            codeLines.append(startLine)
        }
        return token
    }

    private mutating func noteUnterminated(_ construct: String, closed: Bool) {
        if !closed, unterminated == nil { unterminated = Unterminated(construct: construct, line: line) }
    }

    private mutating func readRawToken() -> Token? {
        guard let first = byte(pos) else {
            return Token(kind: .eof, depth: 0, line: line, column: column, start: pos, end: pos)
        }
        let start = pos
        let startLine = line
        let startColumn = column
        func token(_ kind: TokenKind, _ end: Int) -> Token {
            Token(kind: kind, depth: parensDepth, line: startLine, column: startColumn, start: start, end: end)
        }
        let second = byte(pos + 1)
        switch first {
        case ASCII.dollar:
            guard let tagEnd = endOfDollarTag(from: pos) else {
                // `$1` (a parameter) or a lone `$`: not a quote, as in the server's and psql's lexers.
                var index = pos + 1
                while let digit = byte(index), digit >= ASCII.zero && digit <= ASCII.nine { index += 1 }
                advance(to: index)
                return token(.symbol, pos)
            }
            let (end, closed) = endOfDollarQuote(from: pos, tagEnd: tagEnd)
            let tag = string(pos..<tagEnd)
            noteUnterminated("dollar-quoted string \(tag)", closed: closed)
            advance(to: end)
            return token(.string, pos)
        case ASCII.quote:
            skipStandardString(bodyStart: pos + 1)
            return token(.string, pos)
        case ASCII.openParenthesis:
            parensDepth += 1
            advance(to: pos + 1)
            return nil
        case ASCII.closeParenthesis:
            parensDepth -= 1
            advance(to: pos + 1)
            return nil
        case ASCII.doubleQuote:
            return readQuotedIdentifier(line: startLine, column: startColumn)
        case ASCII.minus where second == ASCII.minus:
            var index = pos + 2
            while index < count && bytes[index] != ASCII.lineFeed && bytes[index] != ASCII.carriageReturn {
                index += 1
            }
            advance(to: index)
            return token(.comment, pos)
        case ASCII.slash where second == ASCII.star:
            let (end, closed) = endOfBlockComment(from: pos)
            if !closed, unclosedCommentLine == nil { unclosedCommentLine = startLine }
            advance(to: end)
            return token(.comment, pos)
        case ASCII.zero...ASCII.nine:
            advance(to: reading == .server ? endOfServerNumber(from: pos) : endOfDigits(from: pos + 1))
            return token(.numeric, pos)
        case ASCII.dot where reading == .server && isDigit(second):
            advance(to: endOfServerNumber(from: pos))
            return token(.numeric, pos)
        case ASCII.upperE where second == ASCII.quote, ASCII.lowerE where second == ASCII.quote:
            // `E'...'` in either case: a backslash escapes the next character. (Flyway reads only the upper-case
            // prefix and splits `e'it\'s; x'` inside the literal; psql and the server do not.)
            skipLiteral(bodyStart: pos + 2, backslashEscapes: true)
            return token(.string, pos)
        case ASCII.upperB where second == ASCII.quote, ASCII.lowerB where second == ASCII.quote,
            ASCII.upperX where second == ASCII.quote, ASCII.lowerX where second == ASCII.quote:
            // Bit strings: no backslash escapes, whatever standard_conforming_strings says.
            skipLiteral(bodyStart: pos + 2, backslashEscapes: false)
            return token(.string, pos)
        case ASCII.upperN where second == ASCII.quote, ASCII.lowerN where second == ASCII.quote:
            // `N'...'`: a plain literal of the national character type.
            skipStandardString(bodyStart: pos + 2)
            return token(.string, pos)
        case ASCII.upperU where second == ASCII.ampersand && byte(pos + 2) == ASCII.quote,
            ASCII.lowerU where second == ASCII.ampersand && byte(pos + 2) == ASCII.quote:
            skipLiteral(bodyStart: pos + 3, backslashEscapes: false)
            return token(.string, pos)
        case ASCII.semicolon:
            advance(to: pos + 1)
            return token(.delimiter, pos)
        case 0:
            // Flyway's `getOpeningIdentifierSymbol()` is 0 on PostgreSQL, so a NUL opens an "identifier" that runs
            // to the next NUL (included).
            var index = pos + 1
            while index < count && bytes[index] != 0 { index += 1 }
            advance(to: min(index + 1, count))
            return token(.identifier, pos)
        case ASCII.space, ASCII.carriageReturn:
            advance(to: pos + 1)
            return nil
        default:
            break
        }
        let (scalar, length) = decodeScalar(at: pos)
        let category = JavaCharacter.category(scalar)
        if category == .digit {
            // Only non-ASCII digits get here. Flyway's `readNumeric` only takes ASCII digits and never returns for
            // other decimal digits (it loops forever); Runway reads the digit as a one-character number instead.
            advance(to: pos + length)
            return token(.numeric, pos)
        }
        if first == ASCII.underscore || category == .letter {
            return readWord(line: startLine, column: startColumn)
        }
        if scalar == 0xA0 {
            // A no-break space is skipped one character at a time and never counts towards blank lines.
            advance(to: pos + length)
            return nil
        }
        if JavaCharacter.isWhitespace(scalar) {
            var index = pos
            var lineFeeds = 0
            while index < count {
                let (next, nextLength) = decodeScalar(at: index)
                guard JavaCharacter.isWhitespace(next) else { break }
                if next == 0x0A { lineFeeds += 1 }
                index += nextLength
            }
            advance(to: index)
            return lineFeeds >= 2 ? token(.blankLines, pos) : nil
        }
        advance(to: pos + length)
        var symbol = token(.symbol, pos)
        symbol.isAtSign = first == ASCII.at
        return symbol
    }

    // MARK: Numbers

    private func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= ASCII.zero && byte <= ASCII.nine
    }

    private func endOfDigits(from start: Int) -> Int {
        var index = start
        while isDigit(byte(index)) { index += 1 }
        return index
    }

    /// The server's `decimal` and `real`: digits, then `.` and digits, then an exponent when digits follow it.
    private func endOfServerNumber(from start: Int) -> Int {
        var index = endOfDigits(from: start)
        if byte(index) == ASCII.dot { index = endOfDigits(from: index + 1) }
        if byte(index) == ASCII.upperE || byte(index) == ASCII.lowerE {
            let sign = byte(index + 1) == ASCII.plus || byte(index + 1) == ASCII.minus ? 1 : 0
            if isDigit(byte(index + 1 + sign)) { index = endOfDigits(from: index + 1 + sign) }
        }
        return index
    }

    // MARK: Literals and comments

    /// `PostgreSQLParser.handleAlternativeStringLiteral`: the tag is `$` plus everything up to and including the next
    /// `$` (any characters, so `$1` opens a quote), and the literal ends after the next occurrence of the same tag.
    /// Flyway's `peek` never looks past a line feed, so a tag that contains one never closes.
    private func endOfDollarQuote(from start: Int, tagEnd: Int) -> (end: Int, closed: Bool) {
        let tag = UnsafeBufferPointer(rebasing: bytes[start..<tagEnd])
        guard let found = ByteSearch.firstIndex(of: tag, in: bytes, from: tagEnd) else { return (count, false) }
        return (found + tag.count, true)
    }

    /// The end of a dollar-quote tag starting at `start` (`$$` or `$name$`, where the name starts with a letter,
    /// `_` or a non-ASCII byte and goes on with those and digits: the server's `dolq_start`/`dolq_cont`), or `nil`
    /// when the `$` does not open a quote (`$1` is a parameter).
    private func endOfDollarTag(from start: Int) -> Int? {
        func isStart(_ byte: UInt8) -> Bool {
            (ASCII.upperA...ASCII.upperZ).contains(byte) || (ASCII.lowerA...ASCII.lowerZ).contains(byte)
                || byte == ASCII.underscore || byte >= 0x80
        }
        var index = start + 1
        guard let first = byte(index) else { return nil }
        if first == ASCII.dollar { return index + 1 }
        guard isStart(first) else { return nil }
        index += 1
        while let next = byte(index), isStart(next) || (next >= ASCII.zero && next <= ASCII.nine) { index += 1 }
        return byte(index) == ASCII.dollar ? index + 1 : nil
    }

    /// A plain `'...'` literal (or `N'...'`): `''` stays inside; with `standard_conforming_strings` off a backslash
    /// also escapes the next character. Notes a backslash in it (the statement's split then depends on the setting).
    private mutating func skipStandardString(bodyStart: Int) {
        let end = skipLiteral(bodyStart: bodyStart, backslashEscapes: !standardStrings)
        if !backslashInStandardString, bodyStart < end, bytes[bodyStart..<end].contains(ASCII.backslash) {
            backslashInStandardString = true
        }
    }

    /// Moves past a `'...'` literal whose body starts at `bodyStart` (after its prefix and opening quote), noting it
    /// when it is never closed; returns where it ends.
    @discardableResult
    private mutating func skipLiteral(bodyStart: Int, backslashEscapes: Bool) -> Int {
        let (end, closed) = endOfQuoted(from: bodyStart, quote: ASCII.quote, backslashEscapes: backslashEscapes)
        noteUnterminated("string literal", closed: closed)
        advance(to: end)
        return end
    }

    /// `swallowUntilIncludingWithEscape(quote, true[, '\\'])`: a doubled quote stays inside the literal; with
    /// `backslashEscapes` a backslash skips the next character. `end` is the position after the closing quote, or the
    /// end of the script when the literal is not closed.
    private func endOfQuoted(from start: Int, quote: UInt8, backslashEscapes: Bool) -> (end: Int, closed: Bool) {
        var index = start
        while index < count {
            let current = bytes[index]
            index += 1
            if backslashEscapes && current == ASCII.backslash {
                if index < count { index += 1 }
                continue
            }
            if current == quote {
                if index < count && bytes[index] == quote {
                    index += 1
                    continue
                }
                return (index, true)
            }
        }
        return (count, false)
    }

    /// `Parser.handleMultilineComment`: block comments nest.
    private func endOfBlockComment(from start: Int) -> (end: Int, closed: Bool) {
        func opensComment(_ index: Int) -> Bool {
            index + 1 < count && bytes[index] == ASCII.slash && bytes[index + 1] == ASCII.star
        }
        func closesComment(_ index: Int) -> Bool {
            index + 1 < count && bytes[index] == ASCII.star && bytes[index + 1] == ASCII.slash
        }
        func nextMarker(_ from: Int) -> Int {
            var index = from
            while index < count && !closesComment(index) && !opensComment(index) { index += 1 }
            return index
        }
        var index = nextMarker(start + 2)
        var depth = 0
        while opensComment(index) || depth > 0 {
            depth += opensComment(index) ? 1 : -1
            index = nextMarker(min(index + 2, count))
        }
        return (min(index + 2, count), closesComment(index))
    }

    // MARK: Words and identifiers

    /// A word starts with a letter or `_` and goes on with letters, digits, `_` and `$`; up to two dotted parts
    /// (quoted or not) are joined to it. Only a word made of letters and `_` is a keyword.
    private mutating func readWord(line: Int, column: Int) -> Token {
        let start = pos
        var isKeyword = true
        var isASCII = true
        var index = pos
        var first = true
        while index < count {
            let (scalar, length) = decodeScalar(at: index)
            let category = JavaCharacter.category(scalar)
            let letter = scalar == 0x5F || category == .letter
            guard first || letter || scalar == 0x24 || category == .digit else { break }
            if !letter { isKeyword = false }
            if scalar >= 0x80 { isASCII = false }
            first = false
            index += length
        }
        if reading == .flyway, byte(index) == ASCII.dot {
            index = endOfAdditionalIdentifierParts(from: index)
            isKeyword = false
        }
        advance(to: index)
        return Token(
            kind: isKeyword ? .keyword : .identifier, depth: parensDepth, line: line, column: column, start: start,
            end: pos, isASCII: isASCII)
    }

    /// `"..."` with `""` inside; dotted parts may follow.
    private mutating func readQuotedIdentifier(line: Int, column: Int) -> Token {
        let contentStart = pos + 1
        let (end, closed) = endOfQuoted(from: contentStart, quote: ASCII.doubleQuote, backslashEscapes: false)
        noteUnterminated("quoted identifier", closed: closed)
        var index = end
        var plain = true
        if reading == .flyway, byte(index) == ASCII.dot {
            index = endOfAdditionalIdentifierParts(from: index)
            plain = false
        }
        advance(to: index)
        return Token(
            kind: .identifier, depth: parensDepth, line: line, column: column, start: contentStart,
            end: closed ? end - 1 : end, isPlainQuotedIdentifier: plain)
    }

    /// `Parser.readAdditionalIdentifierParts`: `.part` or `."part"`, at most twice.
    private mutating func endOfAdditionalIdentifierParts(from dot: Int) -> Int {
        var index = dot
        for _ in 0..<2 {
            guard byte(index) == ASCII.dot else { break }
            index += 1
            if byte(index) == ASCII.doubleQuote {
                let (end, closed) = endOfQuoted(from: index + 1, quote: ASCII.doubleQuote, backslashEscapes: false)
                // A quoted part left open runs to the end of the script, as a quoted identifier does.
                noteUnterminated("quoted identifier", closed: closed)
                index = end
            } else {
                while index < count {
                    let (scalar, length) = decodeScalar(at: index)
                    let part = scalar == 0x5F || scalar == 0x24 || JavaCharacter.category(scalar) != .other
                    guard part else { break }
                    index += length
                }
            }
        }
        return index
    }

    // MARK: Token text

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// A string token's content as the server reads it: without its prefix, quotes or dollar tags, `''` read as `'`,
    /// and a backslash escaping the next character where the literal takes escapes (`E'...'`, or a plain literal
    /// read with `standard_conforming_strings` off). An unterminated literal's content runs to the end.
    func literalContent(of token: Token) -> String {
        var index = token.start
        guard index < token.end else { return "" }
        if bytes[index] == ASCII.dollar {
            var tagEnd = index + 1
            while tagEnd < token.end && bytes[tagEnd] != ASCII.dollar { tagEnd += 1 }
            tagEnd = min(tagEnd + 1, token.end)
            let tag = bytes[index..<tagEnd]
            let closed =
                token.end - tagEnd >= tag.count && bytes[(token.end - tag.count)..<token.end].elementsEqual(tag)
            return string(tagEnd..<(closed ? token.end - tag.count : token.end))
        }
        var backslashEscapes = !standardStrings
        while index < token.end && bytes[index] != ASCII.quote {
            switch bytes[index] {
            case ASCII.upperE, ASCII.lowerE: backslashEscapes = true
            case ASCII.upperN, ASCII.lowerN: break
            default: backslashEscapes = false
            }
            index += 1
        }
        var content: [UInt8] = []
        index += 1
        while index < token.end {
            let current = bytes[index]
            index += 1
            if backslashEscapes && current == ASCII.backslash {
                if index < token.end {
                    content.append(bytes[index])
                    index += 1
                }
                continue
            }
            if current == ASCII.quote {
                guard index < token.end && bytes[index] == ASCII.quote else { break }
                index += 1
            }
            content.append(current)
        }
        return String(decoding: content, as: UTF8.self)
    }

    /// A keyword's text as Flyway compares it: `toUpperCase(Locale.ENGLISH)`.
    ///
    /// Flyway only ever compares that text with upper-case ASCII words. Upper-casing maps every character on its own,
    /// so a word holding a character whose upper case is not ASCII can never match; such words become U+FFFD rather
    /// than paying for a full Unicode case mapping.
    func comparableText(of token: Token) -> String {
        let range = token.start..<token.end
        guard token.isASCII else {
            return canUpperCaseToASCII(range) ? string(range).uppercased() : "\u{FFFD}"
        }
        return String(unsafeUninitializedCapacity: range.count) { buffer in
            for (offset, byte) in bytes[range].enumerated() {
                buffer[offset] = byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
            }
            return range.count
        }
    }

    /// Whether every non-ASCII character in `range` upper-cases to ASCII: `ß` (SS), dotless `ı` (I), long `ſ` (S)
    /// and the Latin ligatures `ﬀ`–`ﬆ`.
    private func canUpperCaseToASCII(_ range: Range<Int>) -> Bool {
        var index = range.lowerBound
        while index < range.upperBound {
            let (scalar, length) = decodeScalar(at: index)
            switch scalar {
            case 0..<0x80, 0xDF, 0x131, 0x17F, 0xFB00...0xFB06: index += length
            default: return false
            }
        }
        return true
    }

    /// Whether a keyword token upper-cases to `word` (an upper-case ASCII word), without allocating for ASCII.
    func keyword(_ token: Token, is word: StaticString) -> Bool {
        guard token.isASCII else { return comparableText(of: token) == word.description }
        guard token.end - token.start == word.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for offset in 0..<expected.count {
            var byte = bytes[token.start + offset]
            if byte >= 0x61 && byte <= 0x7A { byte -= 0x20 }
            if byte != expected[offset] { return false }
        }
        return true
    }

    /// Whether Flyway's text of `token` is `BEGIN`: the keyword in any case, or the quoted identifier `"BEGIN"`.
    func isBegin(_ token: Token) -> Bool {
        switch token.kind {
        case .keyword:
            return keyword(token, is: "BEGIN")
        case .identifier where token.isPlainQuotedIdentifier:
            return token.end - token.start == 5 && bytes[token.start..<token.end].elementsEqual("BEGIN".utf8)
        default:
            return false
        }
    }

    /// The range without the leading and trailing characters Java's `String.trim()` removes (code points ≤ U+0020).
    func javaTrimmed(_ range: Range<Int>) -> Range<Int> {
        var lower = max(range.lowerBound, 0)
        var upper = min(range.upperBound, count)
        while lower < upper && bytes[lower] <= ASCII.space { lower += 1 }
        while upper > lower && bytes[upper - 1] <= ASCII.space { upper -= 1 }
        return lower..<upper
    }

    // MARK: COPY data

    /// `PostgreSQLParser.readCopyData`: skips the rest of the statement's line, then takes every line up to (not
    /// including) the one whose trimmed content is `\.`.
    ///
    /// Flyway loops forever when that line is missing; Runway takes the data up to the end of the script instead.
    mutating func readCopyData() -> Range<Int> {
        advance(to: endOfLine(from: pos))
        let dataStart = pos
        var dataEnd = pos
        while pos < count {
            let lineEnd = endOfLine(from: pos)
            let content = javaTrimmed(pos..<lineEnd)
            let isTerminator =
                content.count == 2 && bytes[content.lowerBound] == ASCII.backslash
                && bytes[content.lowerBound + 1] == ASCII.dot
            advance(to: lineEnd)
            if isTerminator { break }
            dataEnd = pos
        }
        return dataStart..<dataEnd
    }

    /// The position after the next line feed, or the end of the script.
    private func endOfLine(from start: Int) -> Int {
        var index = start
        while index < count && bytes[index] != ASCII.lineFeed { index += 1 }
        return min(index + 1, count)
    }

    // MARK: UTF-8

    /// The Unicode scalar at `index` and its length in bytes; malformed bytes decode as U+FFFD, one byte long.
    private func decodeScalar(at index: Int) -> (UInt32, Int) {
        guard let lead = byte(index) else { return (0xFFFD, 1) }
        if lead < 0x80 { return (UInt32(lead), 1) }
        let length: Int
        var value: UInt32
        switch lead {
        case 0xC2...0xDF:
            length = 2
            value = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            value = UInt32(lead & 0x0F)
        case 0xF0...0xF4:
            length = 4
            value = UInt32(lead & 0x07)
        default:
            return (0xFFFD, 1)
        }
        guard index + length <= count else { return (0xFFFD, 1) }
        for offset in 1..<length {
            let continuation = bytes[index + offset]
            guard continuation & 0xC0 == 0x80 else { return (0xFFFD, 1) }
            value = value << 6 | UInt32(continuation & 0x3F)
        }
        return (value, length)
    }
}

// MARK: - Java character classes

/// `java.lang.Character` predicates on a single UTF-16 `char`: scalars outside the BMP are surrogate pairs in Java,
/// and surrogates are neither letters, digits nor whitespace.
private enum JavaCharacter {
    enum Category { case letter, digit, other }

    /// Letter (`Lu Ll Lt Lm Lo`), decimal digit (`Nd`) or neither; Latin-1 and the big ideograph and Hangul blocks
    /// are answered without a Unicode table lookup.
    static func category(_ value: UInt32) -> Category {
        switch value {
        case 0x41...0x5A, 0x61...0x7A, 0xAA, 0xB5, 0xBA, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0xFF, 0x4E00...0x9FFF,
            0xAC00...0xD7A3:
            return .letter
        case 0x30...0x39:
            return .digit
        case 0..<0x100, 0x10000...:
            return .other
        default:
            guard let scalar = Unicode.Scalar(value) else { return .other }
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
            case .decimalNumber: return .digit
            default: return .other
            }
        }
    }

    /// `Character.isWhitespace`: space, line and paragraph separators except the no-break ones, plus
    /// `\t \n \u{B} \f \r` and `\u{1C}`–`\u{1F}`.
    static func isWhitespace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x1C...0x20, 0x1680, 0x2000...0x2006, 0x2008...0x200A, 0x2028, 0x2029, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}

// MARK: - Bytes

private enum ASCII {
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let doubleQuote: UInt8 = 0x22
    static let dollar: UInt8 = 0x24
    static let ampersand: UInt8 = 0x26
    static let quote: UInt8 = 0x27
    static let openParenthesis: UInt8 = 0x28
    static let closeParenthesis: UInt8 = 0x29
    static let star: UInt8 = 0x2A
    static let plus: UInt8 = 0x2B
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let semicolon: UInt8 = 0x3B
    static let at: UInt8 = 0x40
    static let upperA: UInt8 = 0x41
    static let upperB: UInt8 = 0x42
    static let upperE: UInt8 = 0x45
    static let upperN: UInt8 = 0x4E
    static let upperU: UInt8 = 0x55
    static let upperX: UInt8 = 0x58
    static let upperZ: UInt8 = 0x5A
    static let lowerA: UInt8 = 0x61
    static let lowerB: UInt8 = 0x62
    static let lowerE: UInt8 = 0x65
    static let lowerN: UInt8 = 0x6E
    static let lowerU: UInt8 = 0x75
    static let lowerX: UInt8 = 0x78
    static let lowerZ: UInt8 = 0x7A
    static let backslash: UInt8 = 0x5C
    static let underscore: UInt8 = 0x5F
}

/// Substring search in linear time (Knuth–Morris–Pratt for long needles, a direct scan for short ones).
enum ByteSearch {
    static func firstIndex(
        of needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>, from start: Int
    ) -> Int? {
        let n = haystack.count
        let m = needle.count
        guard m > 0 else { return start <= n ? start : nil }
        guard start >= 0, n - start >= m else { return nil }
        if m <= 16 {
            let firstByte = needle[0]
            var index = start
            let lastStart = n - m
            while index <= lastStart {
                if haystack[index] == firstByte {
                    var offset = 1
                    while offset < m && haystack[index + offset] == needle[offset] { offset += 1 }
                    if offset == m { return index }
                }
                index += 1
            }
            return nil
        }
        var failure = [Int](repeating: 0, count: m)
        var k = 0
        for i in 1..<m {
            while k > 0 && needle[i] != needle[k] { k = failure[k - 1] }
            if needle[i] == needle[k] { k += 1 }
            failure[i] = k
        }
        k = 0
        for i in start..<n {
            while k > 0 && haystack[i] != needle[k] { k = failure[k - 1] }
            if haystack[i] == needle[k] { k += 1 }
            if k == m { return i - m + 1 }
        }
        return nil
    }
}
