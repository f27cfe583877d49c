/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny PRNG whose output depends only on the seed, on every platform
/// and Swift version (unlike `SystemRandomNumberGenerator`, or `Int.random(in:using:)`, whose reduction is the
/// standard library's business).
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (the modulo bias is far below anything a test could notice).
    package mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// True `percent` times in 100.
    package mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    package mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

    /// One of `choices`, each as likely as its weight.
    package mutating func weighted<T>(_ choices: [(Int, T)]) -> T {
        var roll = below(choices.reduce(0) { $0 + $1.0 })
        for (weight, choice) in choices {
            if roll < weight { return choice }
            roll -= weight
        }
        return choices[choices.count - 1].1
    }
}

/// A migration script together with what psql must do with it.
package struct GeneratedScript: Sendable {
    /// The seed that generates exactly this script (`RUNWAY_DIFF_SEED` with `RUNWAY_DIFF_COUNT=1`).
    package var seed: UInt64
    package var text: String
    /// Whether psql applies it with `-1` (no statement in it refuses a transaction block).
    package var transactional: Bool
    /// The line of the first statement written to fail, where psql stops; `nil` when every statement succeeds.
    package var expectedFailureLine: Int?
}

/// Generates migration scripts that stress statement splitting and execution, deterministically from a seed.
///
/// A script creates `t(id serial, v text)` and `u(k int primary key)` (sometimes also a table with a quoted name
/// full of `;`, `""` and quotes), then mixes statements that each store a literal in a table, so that the stored
/// data shows how every literal was lexed:
///
/// - `''` strings with doubled quotes; with `standard_conforming_strings` on, backslashes that are plain characters
///   (`'C:\temp'`, a string ending in `\`); after `SET standard_conforming_strings = off`, backslash escapes
///   (`'C:\\temp'`, `'a\'b'`);
/// - `E''`/`e''` strings with `\'`, `\\`, `\n`, `\x41`, `\101`, `\u00e9`; `U&''` strings with `\0041`, `\+00263A`
///   and `UESCAPE`; `$$` and `$tag$` bodies with other tags, quotes and comment starts inside; `B''` and `X''`;
///   quoted identifiers with `""` and `;`; SQL and PL/pgSQL function bodies, `BEGIN ATOMIC` and `DO` blocks;
/// - `--` and nested `/* /* */ */` comments between and inside statements; semicolons inside all of the above;
/// - `COMMIT`, `ROLLBACK` and `BEGIN` mid-script (transactional scripts), and at a random place a statement that
///   fails (division by zero, a unique violation, a missing table, a bad cast, `U&''` while
///   `standard_conforming_strings` is off);
/// - non-transactional scripts (one in five): `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `VACUUM`.
///
/// What psql does with a script is fully determined: no timestamps, `random()`, or anything else that varies, no
/// psql meta-commands (no backslash outside a literal or comment, no `:name` variables), and no `${` that Runway
/// would take for a placeholder. Two psql quirks are kept
/// out on purpose: a failing statement is always written on one line (psql names the line where a statement ends,
/// Runway the line where it starts), and a statement that changes `standard_conforming_strings` (a `SET`, or a
/// `ROLLBACK` that undoes one) always ends its line, since psql lexes each input line with the setting it had when
/// the line began.
package struct ScriptGenerator {
    private var random: SplitMix64
    private var output = ""
    private var line = 1
    private let transactional: Bool
    /// `standard_conforming_strings` as the server has it at this point of psql's run.
    private var standardStrings = true
    /// Its value when the open transaction began, which a `ROLLBACK` restores.
    private var standardStringsAtBegin = true
    /// Whether psql's session is in a transaction block here (with `-1`, from the start).
    private var inTransaction: Bool
    /// Whether the tables are committed, so that a `ROLLBACK` does not take them away.
    private var tablesCommitted: Bool
    private var tables = ["t"]
    private var functionCount = 0
    private var indexCount = 0
    private var liveIndexes: [String] = []
    private var expectedFailureLine: Int?

    /// The script for `seed`.
    package static func script(seed: UInt64) -> GeneratedScript {
        var generator = ScriptGenerator(seed: seed)
        generator.generate()
        return GeneratedScript(
            seed: seed, text: generator.output, transactional: generator.transactional,
            expectedFailureLine: generator.expectedFailureLine)
    }

    private init(seed: UInt64) {
        random = SplitMix64(seed: seed)
        transactional = !random.chance(20)
        inTransaction = transactional
        tablesCommitted = !transactional
    }

    // MARK: - Script

    private mutating func generate() {
        emit("CREATE TABLE t (id serial PRIMARY KEY, v text);\nCREATE TABLE u (k int PRIMARY KEY);\n")
        if random.chance(20) {
            let name = quotedIdentifier()
            emit("CREATE TABLE \(name) (id serial PRIMARY KEY, v text);\n")
            tables.append(name)
        }
        let count = 3 + random.below(9)
        let failAt = random.chance(40) ? random.below(count) : nil
        // A non-transactional script has at least one statement that refuses a transaction block.
        let nonTransactionalAt = transactional ? nil : random.below(count)
        var lineMustEnd = false
        for index in 0..<count {
            if index > 0 { separator(lineMustEnd: lineMustEnd) }
            lineMustEnd = false
            if index == nonTransactionalAt {
                nonTransactional()
            } else if let failAt, index == failAt || (index > failAt && random.chance(10)) {
                failingStatement()
            } else {
                lineMustEnd = item(last: index == count - 1)
            }
        }
        if random.chance(10) { emit(" -- the end; it's \"over\"") }
        if random.chance(90) { emit("\n") }
    }

    /// Appends text, counting lines.
    private mutating func emit(_ text: String) {
        output += text
        line += text.utf8.count(where: { $0 == UInt8(ascii: "\n") })
    }

    private mutating func separator(lineMustEnd: Bool) {
        let choices: [(Int, String)] = [
            (60, "\n"), (15, " "), (10, "\n\n"), (10, " -- trailing; it's a comment\n"), (5, "\n/* between; */ "),
        ]
        var separator = random.weighted(choices)
        if lineMustEnd && !separator.contains("\n") { separator = "\n" }
        emit(separator)
    }

    /// One item that succeeds when psql runs it; returns whether the line must end after it (it changed
    /// `standard_conforming_strings`).
    private mutating func item(last: Bool) -> Bool {
        enum Kind { case insert, comment, setStrings, transactionControl, routine, nonTransactional }
        var choices: [(Int, Kind)] = [(50, .insert), (10, .comment), (10, .setStrings), (10, .routine)]
        choices.append(transactional ? (8, .transactionControl) : (15, .nonTransactional))
        switch random.weighted(choices) {
        case .insert:
            emit(insert(singleLine: false) + (last && random.chance(15) ? "" : ";"))
        case .comment:
            emit(random.chance(50) ? lineComment() : blockComment(singleLine: false, depth: 0))
        case .setStrings:
            let on = random.chance(50)
            emit(
                random.pick([
                    "SET standard_conforming_strings = \(on ? "on" : "off");",
                    "SET standard_conforming_strings TO '\(on ? "on" : "off")';",
                    "set session standard_conforming_strings=\(on ? "ON" : "OFF");",
                ]))
            standardStrings = on
            return true
        case .transactionControl:
            return transactionControl()
        case .routine:
            routine()
        case .nonTransactional:
            nonTransactional()
        }
        return false
    }

    private mutating func transactionControl() -> Bool {
        if !inTransaction {
            emit(random.pick(["BEGIN;", "START TRANSACTION;", "begin work;"]))
            inTransaction = true
            standardStringsAtBegin = standardStrings
            return false
        }
        if tablesCommitted && random.chance(35) {
            emit(random.pick(["ROLLBACK;", "abort;"]))
            inTransaction = false
            let changed = standardStrings != standardStringsAtBegin
            standardStrings = standardStringsAtBegin
            return changed
        }
        emit(random.pick(["COMMIT;", "END;", "commit work;"]))
        inTransaction = false
        tablesCommitted = true
        return false
    }

    /// A function with a literal in its body and a statement that stores what it returns, or a `DO` block.
    private mutating func routine() {
        functionCount += 1
        let name = "f\(functionCount)"
        let call = "\nINSERT INTO t(v) SELECT \(name)();"
        switch random.below(4) {
        case 0:
            emit(
                "CREATE FUNCTION \(name)() RETURNS text LANGUAGE sql AS $fn$ SELECT 'a;b'; SELECT "
                    + expression(singleLine: false) + " $fn$;" + call)
        case 1:
            emit(
                "CREATE FUNCTION \(name)() RETURNS text LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT "
                    + expression(singleLine: false) + ";\nEND;" + call)
        case 2:
            emit(
                "CREATE OR REPLACE FUNCTION \(name)() RETURNS text AS $fn$\nDECLARE x text := "
                    + expression(singleLine: false) + ";\nBEGIN\n  RETURN x; -- done;\nEND\n$fn$ LANGUAGE plpgsql;"
                    + call)
        default:
            emit(
                "DO $do$\nBEGIN\n  INSERT INTO t(v) VALUES (" + expression(singleLine: false)
                    + "); /* ; */\nEND\n$do$;")
        }
    }

    private mutating func nonTransactional() {
        if let index = liveIndexes.last, random.chance(25) {
            liveIndexes.removeLast()
            emit("DROP INDEX CONCURRENTLY \(index);")
            return
        }
        if random.chance(30) {
            emit(random.pick(["VACUUM t;", "vacuum (analyze) t;"]))
            return
        }
        indexCount += 1
        let index = "i\(indexCount)"
        liveIndexes.append(index)
        let table = random.pick(tables)
        emit(
            random.pick([
                "CREATE INDEX CONCURRENTLY \(index) ON \(table) (v);",
                "create index concurrently if not exists \(index)\n  on \(table) (v, id);",
                "CREATE INDEX CONCURRENTLY \(index) ON \(table) (lower(v)) WHERE v <> ';';",
            ]))
    }

    /// A statement on one line that fails; psql stops at the first one.
    private mutating func failingStatement() {
        if expectedFailureLine == nil { expectedFailureLine = line }
        var choices = [
            "INSERT INTO t(v) VALUES (\(expression(singleLine: true)) || (1/0)::text);",
            "INSERT INTO u(k) VALUES (1), (1);",
            "INSERT INTO missing_table(v) VALUES (\(expression(singleLine: true)));",
            "SELECT 'not a number'::int;",
            "INSERT INTO t(v) SELECT \(expression(singleLine: true)) FROM missing_table;",
        ]
        if !standardStrings { choices.append("INSERT INTO t(v) VALUES (U&'\\0041');") }
        if !transactional { choices.append("CREATE INDEX CONCURRENTLY ifail ON missing_table (v);") }
        emit(random.pick(choices))
    }

    // MARK: - Statements

    /// An `INSERT` of one to three expressions into `t` or the quoted table, without its `;`.
    private mutating func insert(singleLine: Bool) -> String {
        let table = random.pick(tables)
        let head = "INSERT INTO \(table)(v)" + gap(singleLine)
        switch random.below(4) {
        case 0, 1:
            let rows = (0...random.below(3)).map { _ in "(" + expression(singleLine: singleLine) + ")" }
            return head + "VALUES" + gap(singleLine) + rows.joined(separator: "," + gap(singleLine))
        case 2:
            return head + "SELECT" + gap(singleLine) + expression(singleLine: singleLine)
        default:
            let alias = quotedIdentifier()
            return head + "SELECT \(alias)" + gap(singleLine) + "FROM (SELECT "
                + expression(singleLine: singleLine) + " AS \(alias)) s"
        }
    }

    /// What separates two tokens: mostly a space, sometimes a line break or a comment.
    private mutating func gap(_ singleLine: Bool) -> String {
        if singleLine { return random.chance(85) ? " " : " " + blockComment(singleLine: true, depth: 0) + " " }
        return random.weighted([
            (70, " "), (10, "\n  "), (10, " " + blockComment(singleLine: false, depth: 0) + " "),
            (10, " " + lineComment()),
        ])
    }

    /// A literal, sometimes cast or concatenated with another.
    private mutating func expression(singleLine: Bool) -> String {
        var text = literal(singleLine: singleLine)
        if random.chance(15) { text += "::text" }
        if random.chance(20) { text += gap(singleLine) + "||" + gap(singleLine) + literal(singleLine: singleLine) }
        return text
    }

    private mutating func literal(singleLine: Bool) -> String {
        enum Kind { case standard, escape, unicode, dollar, bits }
        switch random.weighted([(30, Kind.standard), (25, .escape), (12, .unicode), (23, .dollar), (10, .bits)]) {
        case .standard: return standardString(singleLine: singleLine)
        case .escape: return escapeString(singleLine: singleLine)
        case .unicode: return standardStrings ? unicodeString(singleLine: singleLine) : escapeString(singleLine: true)
        case .dollar: return dollarQuoted(singleLine: singleLine, depth: 0)
        case .bits: return bitString()
        }
    }

    /// 1 to 5 pieces joined by nothing or a space; newlines only when allowed.
    private mutating func pieces(_ choices: [String], singleLine: Bool) -> String {
        var text = ""
        for _ in 0...random.below(5) {
            var piece = random.pick(choices)
            if piece == "\n" && singleLine { piece = " " }
            text += piece
            if random.chance(40) { text += " " }
        }
        return text
    }

    private static let textPieces = [
        "abc", "it", "x y", ";", "; ", "--", "/*", "*/", "$$", "$a$", "\"", "é", "日本", "\n", "e", "U&", "E",
    ]

    private mutating func standardString(singleLine: Bool) -> String {
        var choices = Self.textPieces + ["''", "''", "'';''"]
        // With standard_conforming_strings on, a backslash is a character like any other (even before a quote);
        // off, it starts an escape.
        choices +=
            standardStrings
            ? ["\\", "C:\\temp", "\\n", "a\\", "\\''"] : ["\\\\", "\\'", "C:\\\\temp", "\\n", "\\t"]
        let body = pieces(choices, singleLine: singleLine)
        // With standard_conforming_strings on, end on a backslash now and then.
        return "'" + body + (standardStrings && random.chance(10) ? "\\" : "") + "'"
    }

    private mutating func escapeString(singleLine: Bool) -> String {
        let choices =
            Self.textPieces + ["\\'", "\\'", "''", "\\\\", "\\n", "\\t", "\\x41", "\\101", "\\u00e9", "; \\' ;"]
        return random.pick(["E", "e"]) + "'" + pieces(choices, singleLine: singleLine) + "'"
    }

    private mutating func unicodeString(singleLine: Bool) -> String {
        let prefix = random.pick(["U&", "u&"])
        guard random.chance(40) else {
            let choices = Self.textPieces + ["\\0041", "\\+00263A", "\\\\", "''", "\\00e9"]
            return prefix + "'" + pieces(choices, singleLine: singleLine) + "'"
        }
        let escape = random.pick(["!", "~"])
        let choices = Self.textPieces + ["\(escape)0041", "\(escape)\(escape)", "\\", "C:\\temp", "''", "\\''"]
        let space = singleLine ? " " : random.pick([" ", "\n", " /* ; */ "])
        return prefix + "'" + pieces(choices, singleLine: singleLine) + "'" + space + "UESCAPE '\(escape)'"
    }

    private static let dollarTags = ["", "a", "tag", "_1", "ü"]

    private mutating func dollarQuoted(singleLine: Bool, depth: Int) -> String {
        let tag = random.pick(Self.dollarTags)
        var choices =
            Self.textPieces.filter { $0 != "$\(tag)$" } + [
                "'", "it's", "e'", "\"", "\\", "$", "$1", "';'", "-- ;", "/* ; ",
            ]
        if !tag.isEmpty { choices.append("$$") }
        let delimiter = "$\(tag)$"
        // The body ends at the first `$tag$` (PostgreSQL's lexer and psql's agree on that): draw again until it is
        // the closing one. An inner dollar quote with another tag is only text to the outer one.
        for _ in 0..<20 {
            var body = pieces(choices, singleLine: singleLine)
            if depth == 0 && random.chance(30) {
                body +=
                    " " + dollarQuoted(singleLine: singleLine, depth: depth + 1) + " "
                    + pieces(choices, singleLine: singleLine)
            }
            let quoted = body + delimiter
            if quoted.firstRange(of: delimiter)?.upperBound == quoted.endIndex { return delimiter + quoted }
        }
        return delimiter + "x" + delimiter
    }

    private mutating func bitString() -> String {
        if random.chance(50) {
            let bits = (0...random.below(8)).map { _ in random.pick(["0", "1"]) }.joined()
            return random.pick(["B", "b"]) + "'" + bits + "'::text"
        }
        let digits = (0...random.below(4)).map { _ in random.pick(["0", "7", "a", "F", "1f"]) }.joined()
        return random.pick(["X", "x"]) + "'" + digits + "'::text"
    }

    /// A quoted identifier with `""`, `;` and comment starts inside.
    private mutating func quotedIdentifier() -> String {
        let choices = ["a", "b;c", "\"\"", ";", "'", " ", "--", "/*", "$$", "é", "E'"]
        var name = ""
        for _ in 0...random.below(4) { name += random.pick(choices) }
        return "\"" + name + "\""
    }

    // MARK: - Comments

    private static let commentPieces = [
        ";", "it's", "'", "\"", "$$", "$a$", "e'", "\\", "U&'", "BEGIN", "COMMIT;", "x", "é",
    ]

    private mutating func lineComment() -> String {
        "--" + pieces(Self.commentPieces + ["/*", "*/"], singleLine: true) + "\n"
    }

    private mutating func blockComment(singleLine: Bool, depth: Int) -> String {
        var body = pieces(Self.commentPieces + ["--", "\n"], singleLine: singleLine)
        if depth < 2 && random.chance(30) {
            body +=
                " " + blockComment(singleLine: singleLine, depth: depth + 1) + " "
                + pieces(Self.commentPieces, singleLine: singleLine)
        }
        // `*` or `/` next to the delimiters would make `*/` or `/*`.
        return "/* " + body + " */"
    }
}
