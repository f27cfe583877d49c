#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `runway:lint-disable` comments of one migration file.
///
/// Syntax (in a `--` comment; case-insensitive; ids separated by commas and/or spaces; anything after a further
/// `--` is a free-form reason):
///
/// ```sql
/// -- runway:lint-disable drop-column, rename-column -- the whole file
/// -- runway:lint-disable all                        -- every rule, the whole file
///
/// -- runway:lint-disable-next create-index-not-concurrently -- the table holds 20 rows
/// CREATE INDEX orders_status_idx ON orders (status);
/// ```
///
/// `lint-disable` anywhere in the file turns the rules off for the whole file. `lint-disable-next` turns them off for
/// the next statement only: it must be in the run of comment-only lines directly above the statement's first line
/// (other `--` lines may sit between it and the statement, a blank or code line may not). Comments inside string
/// literals or dollar-quoted bodies are not directives. A directive that names no rule, an unknown rule or an unknown
/// directive (`runway:lint-disable-nxt`) is reported as `invalid-disable-comment`, and so is a `lint-disable-next`
/// that is not directly above a statement (inside a statement, after the last one, or separated by a blank line).
struct LintDirectives: Sendable {
    /// A directive that could not be used in full, with its line.
    struct Problem: Sendable, Equatable {
        var line: Int
        var message: String
    }

    /// Rule ids (or `all`) turned off for the whole file.
    private(set) var fileDisabled: Set<String> = []
    /// Rule ids (or `all`) of the `lint-disable-next` comments, by the line of the comment.
    private var nextDisabled: [Int: Set<String>] = [:]
    /// The lines of all `lint-disable-next` comments, valid or not.
    private(set) var nextDirectiveLines: Set<Int> = []
    /// Lines that hold a `--` comment, and lines that hold another token (a line in the first and not in the
    /// second is comment-only).
    private var lineCommentLines: Set<Int> = []
    private var codeLines: Set<Int> = []
    /// Directives that name nothing usable.
    private(set) var problems: [Problem] = []

    /// No directives yet: fed comment by comment while a script is split (``add(comment:line:)``).
    init() {}

    /// Reads the directives of a file's text.
    init(text: String) {
        for token in LintLexer.tokens(text, keepComments: true) {
            switch token.kind {
            case .lineComment: add(comment: token.text, line: token.line)
            case .blockComment: break
            default: add(codeLine: token.line)
            }
        }
    }

    /// A `--` comment (its text after `--`) on `line`.
    mutating func add(comment: String, line: Int) {
        lineCommentLines.insert(line)
        read(comment, line: line)
    }

    /// A line on which a token other than a comment starts.
    mutating func add(codeLine line: Int) {
        codeLines.insert(line)
    }

    /// Forgets which lines below `line` hold comments or code: once a statement starts on `line` (a line with
    /// code), no later statement's look-up goes below it. Keeps the bookkeeping of a long script small.
    mutating func forgetLines(below line: Int) {
        lineCommentLines = lineCommentLines.filter { $0 >= line }
        codeLines = codeLines.filter { $0 >= line }
    }

    /// The rule ids (or `all`) turned off by `lint-disable-next` comments for the statement whose first token is on
    /// `line`.
    func nextDisabled(forStatementAt line: Int) -> Set<String> {
        commentLines(above: line).reduce(into: []) { $0.formUnion(nextDisabled[$1] ?? []) }
    }

    /// The lines of the `lint-disable-next` comments that apply to the statement whose first token is on `line`.
    func nextDirectiveLines(forStatementAt line: Int) -> [Int] {
        commentLines(above: line).filter { nextDirectiveLines.contains($0) }
    }

    /// The run of comment-only lines directly above `line`, nearest first.
    private func commentLines(above line: Int) -> [Int] {
        var lines: [Int] = []
        var current = line - 1
        while current >= 1 && lineCommentLines.contains(current) && !codeLines.contains(current) {
            lines.append(current)
            current -= 1
        }
        return lines
    }

    private static let prefix = "runway:lint"

    /// Parses one `--` comment's text (after the `--`).
    private mutating func read(_ comment: String, line: Int) {
        let body = trimmingWhitespace(comment)
        guard LintLexer.asciiLowercased(String(body.prefix(LintDirectives.prefix.count))) == LintDirectives.prefix
        else { return }
        let afterPrefix = body.dropFirst("runway:".count)
        let directive = String(afterPrefix.prefix { !$0.isWhitespace })
        var arguments = String(afterPrefix.dropFirst(directive.count))
        if let reason = arguments.firstLiteralRange(of: "--") {
            arguments = String(arguments[..<reason.lowerBound])
        }
        let ids = arguments.split { $0 == "," || $0.isWhitespace }.map { LintLexer.asciiLowercased(String($0)) }
        let kind = LintLexer.asciiLowercased(directive)
        guard kind == "lint-disable" || kind == "lint-disable-next" else {
            problems.append(
                Problem(
                    line: line,
                    message: "Unknown directive runway:\(directive): use runway:lint-disable <rules> (whole file) or "
                        + "runway:lint-disable-next <rules> (next statement)."))
            return
        }
        if kind == "lint-disable-next" { nextDirectiveLines.insert(line) }
        let valid = Set(LintRule.validIDs)
        let unknown = ids.filter { !valid.contains($0) }
        if ids.isEmpty {
            problems.append(
                Problem(
                    line: line,
                    message: "runway:\(kind) names no rule, so it disables nothing: name the rules to disable "
                        + "(comma-separated) or all."))
        } else if !unknown.isEmpty {
            problems.append(
                Problem(
                    line: line,
                    message: "runway:\(kind) names unknown rule\(unknown.count == 1 ? "" : "s") "
                        + unknown.joined(separator: ", ") + ", which disables nothing. Valid rules: "
                        + LintRule.validIDs.joined(separator: ", ") + "."))
        }
        let known = Set(ids.filter { valid.contains($0) })
        if kind == "lint-disable" {
            fileDisabled.formUnion(known)
        } else {
            nextDisabled[line, default: []].formUnion(known)
        }
    }
}

/// The text without leading and trailing whitespace.
private func trimmingWhitespace(_ text: String) -> Substring {
    guard let first = text.firstIndex(where: { !$0.isWhitespace }),
        let last = text.lastIndex(where: { !$0.isWhitespace })
    else { return Substring() }
    return text[first...last]
}
