// The statement rules of the migration linter: what each statement does to which table, and which findings and
// locks follow. `MigrationLinter` applies disable comments and severities on top.

// MARK: - Names

/// A table or index name as PostgreSQL resolves it: unquoted parts folded to lower case, quoted parts kept.
///
/// Only the last two parts of a name are kept (`db.schema.table` → `schema.table`). Two names match when their names
/// are equal and either one has no schema or both have the same: `public.orders`, `app.orders` and `orders` all
/// match `orders`, since the linter does not know the `search_path`.
struct LintName: Sendable, Hashable, CustomStringConvertible {
    var schema: String?
    var name: String

    /// Whether the two names can denote the same object.
    func matches(_ other: LintName) -> Bool {
        name == other.name && (schema == nil || other.schema == nil || schema == other.schema)
    }

    /// The name as one would write it in SQL: quoted only where needed.
    var description: String {
        (schema.map { displayIdentifier($0) + "." } ?? "") + displayIdentifier(name)
    }
}

/// An identifier as one would write it in SQL: bare when it is lower-case ASCII, quoted otherwise.
private func displayIdentifier(_ name: String) -> String {
    let isPlain =
        !name.isEmpty
        && name.unicodeScalars.enumerated().allSatisfy { offset, scalar in
            switch scalar {
            case "a"..."z", "_": return true
            case "0"..."9", "$": return offset > 0
            default: return false
            }
        }
    return isPlain ? name : quoteIdentifier(name)
}

/// Tokens written back as SQL, spaced as one would type them: `numeric(12, 2)`, `varchar(255)[]`, `app."My Type"`.
private func sqlText(_ tokens: ArraySlice<LintToken>) -> String {
    var result = ""
    var previous: LintToken?
    for token in tokens {
        let glued =
            token.isSymbol("(") || token.isSymbol(")") || token.isSymbol("[") || token.isSymbol("]")
            || token.isSymbol(",") || token.isSymbol(".") || token.isSymbol(":")
        let afterOpening =
            previous.map { ["(", "[", ".", ":", ","].contains($0.text) && $0.kind == .symbol } ?? true
        if !result.isEmpty && !glued && !afterOpening { result += " " }
        switch token.kind {
        case .quotedIdentifier: result += quoteIdentifier(token.text)
        case .string: result += quoteLiteral(token.text)
        default: result += token.text
        }
        if token.isSymbol(",") { result += " " }
        previous = token
    }
    return result
}

// MARK: - Results of one statement

/// A finding before disable comments and severity are applied.
struct LintRawFinding: Sendable, Equatable {
    var rule: LintRule
    var line: Int
    var message: String
}

/// The table-level lock modes that conflict with ordinary reads or writes, weakest first.
enum LintLockMode: Int, Sendable, Comparable {
    /// Blocks INSERT, UPDATE and DELETE (`CREATE INDEX`).
    case share
    /// Blocks INSERT, UPDATE and DELETE (`CREATE TRIGGER`, `ADD FOREIGN KEY`).
    case shareRowExclusive
    /// Blocks everything but plain SELECTs.
    case exclusive
    /// Blocks everything, SELECT included (most of `ALTER TABLE`, `DROP`, `TRUNCATE`).
    case accessExclusive

    static func < (lhs: LintLockMode, rhs: LintLockMode) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The mode's name, with its article: `a SHARE`, `an ACCESS EXCLUSIVE`.
    var withArticle: String {
        switch self {
        case .share: return "a SHARE"
        case .shareRowExclusive: return "a SHARE ROW EXCLUSIVE"
        case .exclusive: return "an EXCLUSIVE"
        case .accessExclusive: return "an ACCESS EXCLUSIVE"
        }
    }

    /// What the lock holds up.
    var blocks: String {
        switch self {
        case .share, .shareRowExclusive, .exclusive: return "every write to it"
        case .accessExclusive: return "every query on it"
        }
    }
}

/// A lock a statement takes on an existing table.
struct LintLockEvent: Sendable, Equatable {
    /// The line of the statement.
    var line: Int
    /// What takes the lock, e.g. `ALTER TABLE`.
    var statement: String
    var mode: LintLockMode
    /// The locked object, e.g. `existing table orders`.
    var target: String
}

/// What one statement contributed.
struct LintStatementOutcome: Sendable {
    var findings: [LintRawFinding] = []
    var locks: [LintLockEvent] = []
}

// MARK: - Token cursor

/// A position in a statement's tokens, with look-ahead helpers that never go out of bounds.
struct LintTokenCursor {
    let tokens: [LintToken]
    private(set) var position: Int

    init(_ tokens: [LintToken], at position: Int = 0) {
        self.tokens = tokens
        self.position = min(max(position, 0), tokens.count)
    }

    /// The token at the position plus `offset`, if any.
    func peek(_ offset: Int = 0) -> LintToken? {
        let index = position + offset
        return index >= 0 && index < tokens.count ? tokens[index] : nil
    }

    var current: LintToken? { peek() }
    var isAtEnd: Bool { position >= tokens.count }

    /// Whether the next tokens are these keywords.
    func isKeyword(_ words: String...) -> Bool { matches(words) }

    private func matches(_ words: [String]) -> Bool {
        for (offset, word) in words.enumerated() where peek(offset)?.isKeyword(word) != true { return false }
        return true
    }

    /// Consumes the keywords if the next tokens are exactly these.
    mutating func accept(_ words: String...) -> Bool {
        guard matches(words) else { return false }
        position += words.count
        return true
    }

    /// Consumes the symbol if it is next.
    mutating func acceptSymbol(_ character: Character) -> Bool {
        guard current?.isSymbol(character) == true else { return false }
        position += 1
        return true
    }

    mutating func advance(by count: Int = 1) {
        position = min(position + count, tokens.count)
    }

    /// Consumes one identifier (a word or a quoted identifier).
    mutating func identifier() -> String? {
        guard let token = current, token.isIdentifier else { return nil }
        position += 1
        return token.identifier
    }

    /// Consumes a dotted name (`t`, `public.t`, `"My Schema"."My Table"`).
    mutating func qualifiedName() -> LintName? {
        guard let first = current, first.isIdentifier else { return nil }
        var parts = [first.identifier]
        position += 1
        while current?.isSymbol(".") == true, let part = peek(1), part.isIdentifier {
            parts.append(part.identifier)
            position += 2
        }
        return LintName(schema: parts.count > 1 ? parts[parts.count - 2] : nil, name: parts[parts.count - 1])
    }

    /// Consumes a comma-separated list of names, each optionally preceded by `ONLY` and followed by `*`.
    mutating func nameList() -> [LintName] {
        var names: [LintName] = []
        repeat {
            _ = accept("ONLY")
            guard let name = qualifiedName() else { break }
            names.append(name)
            _ = acceptSymbol("*")
        } while acceptSymbol(",")
        return names
    }

    /// The tokens from the position on.
    var rest: [LintToken] { Array(tokens[position...]) }
}

extension Array where Element == LintToken {
    /// The index of the first `words` sequence at parenthesis depth `depth`.
    func firstIndex(ofKeywords words: String..., atDepth depth: Int) -> Int? {
        guard !words.isEmpty, count >= words.count else { return nil }
        for start in 0...(count - words.count) where self[start].depth == depth {
            if words.enumerated().allSatisfy({ self[start + $0.offset].isKeyword($0.element) }) { return start }
        }
        return nil
    }

    /// The tokens split at the commas at parenthesis depth `depth`.
    func split(atCommasOfDepth depth: Int) -> [[LintToken]] {
        split(omittingEmptySubsequences: true) { $0.isSymbol(",") && $0.depth == depth }.map(Array.init)
    }
}

// MARK: - One file

/// The PostgreSQL functions a column default may call that return a new value on each call (`provolatile = 'v'`).
private let volatileFunctions: Set<String> = [
    "random", "random_normal", "clock_timestamp", "timeofday", "gen_random_uuid", "gen_random_bytes", "uuidv4",
    "uuidv7", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "nextval", "setval",
]

/// The types whose columns get a `nextval()` default.
private let serialTypes: Set<String> = ["SERIAL", "SERIAL2", "SERIAL4", "SERIAL8", "SMALLSERIAL", "BIGSERIAL"]

/// Lints the statements of one file, in order, tracking which tables the file created and whether a lock timeout is
/// in force.
struct LintFileAnalysis {
    /// Whether the migration runs in a transaction: none of its statements is non-transactional (Flyway's rule).
    let isTransactional: Bool
    fileprivate(set) var createdTables: [LintName] = []
    private(set) var createdIndexes: [LintName] = []
    private(set) var lockTimeout = LockTimeout.unset

    /// The last lock timeout setting seen in the file.
    enum LockTimeout: Sendable, Equatable {
        case unset, session, local
    }

    init(isTransactional: Bool) {
        self.isTransactional = isTransactional
    }

    /// Whether a lock timeout is in force: set for the session, or for the transaction the migration runs in.
    var lockTimeoutIsEffective: Bool {
        lockTimeout == .session || (lockTimeout == .local && isTransactional)
    }

    /// Whether the file created the table (before the current statement).
    func isNew(_ table: LintName) -> Bool {
        createdTables.contains { $0.matches(table) }
    }

    /// Analyses one statement and updates what the file has created and set.
    mutating func analyze(_ statement: SQLStatement) -> LintStatementOutcome {
        let tokens = LintLexer.tokens(statement.sql, standardStrings: statement.splitWithStandardStrings ?? true)
        guard let first = tokens.first else { return LintStatementOutcome() }
        var context = LintStatementContext(tokens: tokens, statementLine: statement.line, firstTokenLine: first.line)
        switch first.keyword {
        case "CREATE": create(&context)
        case "ALTER": alterTable(&context)
        case "DROP": drop(&context)
        case "TRUNCATE": truncate(&context)
        case "LOCK": lock(&context)
        case "SET": set(&context)
        case "RESET": reset(&context)
        default: break
        }
        noteSetConfig(in: tokens)
        return context.outcome
    }
}

/// The tokens of the statement being analysed and what it produced so far.
struct LintStatementContext {
    let tokens: [LintToken]
    let statementLine: Int
    let firstTokenLine: Int
    var outcome = LintStatementOutcome()

    /// The line in the file of a token of the statement.
    func line(of token: LintToken) -> Int {
        max(1, statementLine + token.line - firstTokenLine)
    }

    mutating func report(_ rule: LintRule, at token: LintToken, _ message: String) {
        outcome.findings.append(LintRawFinding(rule: rule, line: line(of: token), message: message))
    }

    mutating func lock(_ mode: LintLockMode, _ target: String, by statement: String, first: Bool = false) {
        let event = LintLockEvent(line: statementLine, statement: statement, mode: mode, target: target)
        if first {
            outcome.locks.insert(event, at: 0)
        } else {
            outcome.locks.append(event)
        }
    }
}

// MARK: - CREATE

extension LintFileAnalysis {
    private mutating func create(_ context: inout LintStatementContext) {
        var cursor = LintTokenCursor(context.tokens, at: 1)
        _ = cursor.accept("OR", "REPLACE")
        _ = cursor.accept("GLOBAL") || cursor.accept("LOCAL")
        _ = cursor.accept("TEMPORARY") || cursor.accept("TEMP") || cursor.accept("UNLOGGED")
        if cursor.accept("TABLE") {
            createTable(&cursor, &context)
        } else if cursor.accept("MATERIALIZED", "VIEW") {
            _ = cursor.accept("IF", "NOT", "EXISTS")
            if let name = cursor.qualifiedName() { createdTables.append(name) }
        } else if cursor.isKeyword("INDEX") || cursor.isKeyword("UNIQUE", "INDEX") {
            let unique = cursor.accept("UNIQUE")
            _ = cursor.accept("INDEX")
            createIndex(&cursor, &context, unique: unique)
        } else if cursor.isKeyword("TRIGGER") || cursor.isKeyword("CONSTRAINT", "TRIGGER") {
            createTrigger(&cursor, &context)
        }
    }

    /// `CREATE TABLE`: the table is new; a foreign key to an existing table, or a partition of one, locks it.
    private mutating func createTable(_ cursor: inout LintTokenCursor, _ context: inout LintStatementContext) {
        _ = cursor.accept("IF", "NOT", "EXISTS")
        guard let table = cursor.qualifiedName() else { return }
        if cursor.accept("PARTITION", "OF"), let parent = cursor.qualifiedName(), !isNew(parent) {
            context.lock(.accessExclusive, "existing table \(parent)", by: "CREATE TABLE ... PARTITION OF")
        }
        for (index, token) in context.tokens.enumerated() where token.isKeyword("REFERENCES") {
            var referenced = LintTokenCursor(context.tokens, at: index + 1)
            if let target = referenced.qualifiedName(), !target.matches(table), !isNew(target) {
                context.lock(
                    .shareRowExclusive, "existing table \(target)", by: "CREATE TABLE with a foreign key")
                break
            }
        }
        createdTables.append(table)
    }

    /// `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table ...`
    private mutating func createIndex(
        _ cursor: inout LintTokenCursor, _ context: inout LintStatementContext, unique: Bool
    ) {
        let concurrently = cursor.accept("CONCURRENTLY")
        _ = cursor.accept("IF", "NOT", "EXISTS")
        let index = cursor.isKeyword("ON") ? nil : cursor.qualifiedName()
        guard cursor.accept("ON") else { return }
        let only = cursor.accept("ONLY")
        guard let table = cursor.qualifiedName(), let first = context.tokens.first else { return }
        if let index {
            createdIndexes.append(LintName(schema: index.schema ?? table.schema, name: index.name))
        }
        guard !isNew(table), !concurrently else { return }
        let command = unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX"
        context.lock(.share, "existing table \(table)", by: command)
        guard !only else { return }
        let named = index.map { " " + displayIdentifier($0.name) } ?? ""
        context.report(
            .createIndexNotConcurrently, at: first,
            "\(command)\(named) on existing table \(table) without CONCURRENTLY holds a "
                + "SHARE lock that blocks every INSERT, UPDATE and DELETE on the table for the whole build. Use "
                + "\(command) CONCURRENTLY instead, alone in a migration of its own (it cannot run in a "
                + "transaction).")
    }

    /// `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER name ... ON table`
    private mutating func createTrigger(_ cursor: inout LintTokenCursor, _ context: inout LintStatementContext) {
        let rest = cursor.rest
        guard let on = rest.firstIndex(ofKeywords: "ON", atDepth: 0) else { return }
        var target = LintTokenCursor(rest, at: on + 1)
        guard let table = target.qualifiedName(), !isNew(table) else { return }
        context.lock(.shareRowExclusive, "existing table \(table)", by: "CREATE TRIGGER")
    }
}

// MARK: - ALTER TABLE

extension LintFileAnalysis {
    /// `ALTER TABLE [IF EXISTS] [ONLY] name [*] action [, ...]`
    private mutating func alterTable(_ context: inout LintStatementContext) {
        var cursor = LintTokenCursor(context.tokens, at: 1)
        guard cursor.accept("TABLE"), !cursor.isKeyword("ALL") else { return }
        _ = cursor.accept("IF", "EXISTS")
        _ = cursor.accept("ONLY")
        guard let table = cursor.qualifiedName() else { return }
        _ = cursor.acceptSymbol("*")
        let existing = !isNew(table)
        var strongest: LintLockMode?
        for action in cursor.rest.split(atCommasOfDepth: 0) {
            var alteration = LintTableAlteration(table: table, existing: existing, tokens: action)
            if let mode = alteration.analyze(in: &self, &context) {
                strongest = max(strongest ?? mode, mode)
            }
        }
        if existing, let strongest {
            context.lock(strongest, "existing table \(table)", by: "ALTER TABLE", first: true)
        }
    }
}

/// One action of an `ALTER TABLE` statement.
private struct LintTableAlteration {
    let table: LintName
    let existing: Bool
    var cursor: LintTokenCursor

    init(table: LintName, existing: Bool, tokens: [LintToken]) {
        self.table = table
        self.existing = existing
        cursor = LintTokenCursor(tokens)
    }

    /// Reports what the action risks; returns the lock it takes on the altered table, `nil` when that lock does not
    /// conflict with ordinary reads and writes.
    mutating func analyze(in file: inout LintFileAnalysis, _ context: inout LintStatementContext) -> LintLockMode? {
        guard let head = cursor.current else { return nil }
        cursor.advance()
        switch head.keyword {
        case "ADD":
            if cursor.isKeyword("CONSTRAINT") || cursor.isKeyword("PRIMARY") || cursor.isKeyword("UNIQUE")
                || cursor.isKeyword("CHECK") || cursor.isKeyword("FOREIGN") || cursor.isKeyword("EXCLUDE")
            {
                return addConstraint(in: &file, &context)
            }
            _ = cursor.accept("COLUMN")
            _ = cursor.accept("IF", "NOT", "EXISTS")
            guard let column = cursor.identifier() else { return .accessExclusive }
            addColumn(column, in: &file, &context)
            return .accessExclusive
        case "DROP":
            if cursor.accept("CONSTRAINT") { return .accessExclusive }
            _ = cursor.accept("COLUMN")
            _ = cursor.accept("IF", "EXISTS")
            if existing, let column = cursor.identifier() {
                context.report(
                    .dropColumn, at: head,
                    "Dropping column \(displayIdentifier(column)) of existing table \(table) breaks the instances of "
                        + "the previous release that still read or write it while the new one rolls out. Expand and "
                        + "contract: first release code that no longer uses the column, then drop it in a later "
                        + "migration.")
            }
            return .accessExclusive
        case "ALTER":
            return alterColumn(&context)
        case "RENAME":
            rename(head, in: &file, &context)
            return .accessExclusive
        case "VALIDATE", "ATTACH", "CLUSTER", "RESET":
            // SHARE UPDATE EXCLUSIVE: does not block reads or writes.
            return nil
        case "DETACH":
            let rest = cursor.rest
            let online = rest.contains { $0.isKeyword("CONCURRENTLY") || $0.isKeyword("FINALIZE") }
            return online ? nil : .accessExclusive
        case "SET":
            if cursor.current?.isSymbol("(") == true || cursor.isKeyword("WITHOUT", "CLUSTER") { return nil }
            return .accessExclusive
        case "ENABLE", "DISABLE":
            return cursor.rest.contains { $0.isKeyword("TRIGGER") } ? .shareRowExclusive : .accessExclusive
        default:
            return .accessExclusive
        }
    }

    // MARK: ADD COLUMN

    private mutating func addColumn(
        _ column: String, in file: inout LintFileAnalysis, _ context: inout LintStatementContext
    ) {
        let definition = LintColumnDefinition(cursor.rest)
        let name = displayIdentifier(column)
        if let references = definition.references, let target = references.table {
            if !target.matches(table) && !file.isNew(target) {
                context.lock(.shareRowExclusive, "existing table \(target)", by: "ADD COLUMN ... REFERENCES")
            }
        }
        guard existing else { return }
        if let (function, token) = definition.volatileCall {
            context.report(
                .volatileDefault, at: token,
                "Adding column \(name) to existing table \(table) with DEFAULT \(function)(), a volatile function, "
                    + "rewrites the table and all its indexes under an ACCESS EXCLUSIVE lock, blocking every query "
                    + "until it finishes. Add the column without a default (or with a constant one), then SET "
                    + "DEFAULT \(function)() (it applies to new rows only) and backfill existing rows in batches.")
        } else if let token = definition.serial {
            context.report(
                .volatileDefault, at: token,
                "Adding \(token.text) column \(name) to existing table \(table) fills every row from a sequence "
                    + "(DEFAULT nextval()), which rewrites the table and all its indexes under an ACCESS EXCLUSIVE "
                    + "lock. Add a nullable integer column, attach a sequence with SET DEFAULT nextval(...), and "
                    + "backfill existing rows in batches.")
        } else if let token = definition.identity {
            context.report(
                .volatileDefault, at: token,
                "Adding identity column \(name) to existing table \(table) fills every row from a sequence, which "
                    + "rewrites the table and all its indexes under an ACCESS EXCLUSIVE lock. Add a nullable column, "
                    + "backfill it in batches, then make it an identity column (ALTER COLUMN ... ADD GENERATED ... AS "
                    + "IDENTITY).")
        } else if let token = definition.storedGenerated {
            context.report(
                .volatileDefault, at: token,
                "Adding stored generated column \(name) to existing table \(table) computes it for every row, "
                    + "which rewrites the table and all its indexes under an ACCESS EXCLUSIVE lock. Add a plain "
                    + "nullable column kept up to date by the application or a trigger and backfill it in batches "
                    + "(or, on PostgreSQL 18, use a VIRTUAL generated column).")
        }
        let fillsItself =
            definition.hasDefault || definition.serial != nil || definition.identity != nil
            || definition.storedGenerated != nil
        if let token = definition.notNull ?? definition.primaryKey, !fillsItself {
            context.report(
                .addColumnNotNullWithoutDefault, at: token,
                "Adding column \(name) to existing table \(table) as NOT NULL without a DEFAULT fails as soon as "
                    + "the table has a row. Add the column as nullable, backfill it, then SET NOT NULL in a later "
                    + "migration; or add it with a constant DEFAULT.")
        }
        if let references = definition.references {
            let target = references.table.map { " and a SHARE ROW EXCLUSIVE lock on \($0)" } ?? ""
            context.report(
                .foreignKeyWithoutNotValid, at: references.token,
                "REFERENCES in ADD COLUMN \(name) on existing table \(table) checks every row while holding an "
                    + "ACCESS EXCLUSIVE lock on \(table)\(target). Add the column without REFERENCES, then ADD "
                    + "CONSTRAINT ... FOREIGN KEY (\(name)) REFERENCES ... NOT VALID, and VALIDATE CONSTRAINT in a "
                    + "later migration.")
        }
        if let token = definition.check {
            context.report(
                .checkWithoutNotValid, at: token,
                "CHECK in ADD COLUMN \(name) on existing table \(table) checks every row under an ACCESS EXCLUSIVE "
                    + "lock. Add the column without it, then ADD CONSTRAINT ... CHECK (...) NOT VALID, and VALIDATE "
                    + "CONSTRAINT in a later migration.")
        }
        if let token = definition.unique ?? definition.primaryKey {
            let kind = definition.unique != nil ? "UNIQUE" : "PRIMARY KEY"
            context.report(
                .addUniqueConstraint, at: token,
                "\(kind) in ADD COLUMN \(name) on existing table \(table) builds an index while holding an ACCESS "
                    + "EXCLUSIVE lock, blocking every query for the whole build. Add the column without it, create "
                    + "the index with CREATE UNIQUE INDEX CONCURRENTLY in a migration of its own, then ADD "
                    + "CONSTRAINT ... \(kind) USING INDEX.")
        }
    }

    // MARK: ADD CONSTRAINT

    private mutating func addConstraint(in file: inout LintFileAnalysis, _ context: inout LintStatementContext)
        -> LintLockMode
    {
        var constraint: String?
        if cursor.accept("CONSTRAINT") { constraint = cursor.identifier() }
        let rest = cursor.rest
        guard let kind = rest.first else { return .accessExclusive }
        let depth = kind.depth
        let notValid = rest.firstIndex(ofKeywords: "NOT", "VALID", atDepth: depth) != nil
        let named = constraint.map { " " + displayIdentifier($0) } ?? ""
        let validate =
            "ALTER TABLE \(table) VALIDATE CONSTRAINT \(constraint.map(displayIdentifier) ?? "<name>")"
        switch kind.keyword {
        case "FOREIGN":
            var target: LintName?
            if let references = rest.firstIndex(ofKeywords: "REFERENCES", atDepth: depth) {
                var referenced = LintTokenCursor(rest, at: references + 1)
                target = referenced.qualifiedName()
            }
            if let target, !target.matches(table), !file.isNew(target) {
                context.lock(.shareRowExclusive, "existing table \(target)", by: "ADD FOREIGN KEY")
            }
            if existing && !notValid {
                let both = target.map { " on \(table) and on \($0)" } ?? ""
                context.report(
                    .foreignKeyWithoutNotValid, at: kind,
                    "Adding FOREIGN KEY\(named) to existing table \(table) without NOT VALID checks every row while "
                        + "holding a SHARE ROW EXCLUSIVE lock\(both), blocking writes until it finishes. Add it with "
                        + "NOT VALID, then run \(validate) in a later migration (it takes a lock that does not "
                        + "block reads or writes).")
            }
            return .shareRowExclusive
        case "CHECK":
            if existing && !notValid {
                context.report(
                    .checkWithoutNotValid, at: kind,
                    "Adding CHECK constraint\(named) to existing table \(table) without NOT VALID checks every row "
                        + "under an ACCESS EXCLUSIVE lock, blocking every query until it finishes. Add it with NOT "
                        + "VALID, then run \(validate) in a later migration (it takes a lock that does not block "
                        + "reads or writes).")
            }
            return .accessExclusive
        case "UNIQUE", "PRIMARY":
            let usingIndex = rest.firstIndex(ofKeywords: "USING", "INDEX", atDepth: depth) != nil
            if existing && !usingIndex {
                let what = kind.keyword == "UNIQUE" ? "UNIQUE" : "PRIMARY KEY"
                let notNull = kind.keyword == "UNIQUE" ? "" : " (its columns must already be NOT NULL)"
                context.report(
                    .addUniqueConstraint, at: kind,
                    "Adding \(what) constraint\(named) to existing table \(table) builds its index while holding an "
                        + "ACCESS EXCLUSIVE lock, blocking every query for the whole build. Create the index first "
                        + "with CREATE UNIQUE INDEX CONCURRENTLY in a migration of its own, then ADD CONSTRAINT ... "
                        + "\(what) USING INDEX <index>\(notNull).")
            }
            return .accessExclusive
        default:
            return .accessExclusive
        }
    }

    // MARK: ALTER COLUMN

    private mutating func alterColumn(_ context: inout LintStatementContext) -> LintLockMode? {
        if cursor.accept("CONSTRAINT") { return .accessExclusive }
        _ = cursor.accept("COLUMN")
        guard let column = cursor.identifier() else { return .accessExclusive }
        let name = displayIdentifier(column)
        guard let clause = cursor.current else { return .accessExclusive }
        if cursor.accept("TYPE") || cursor.accept("SET", "DATA", "TYPE") {
            guard existing else { return .accessExclusive }
            let rest = cursor.rest
            let end =
                rest.firstIndex(ofKeywords: "USING", atDepth: clause.depth)
                ?? rest.firstIndex(ofKeywords: "COLLATE", atDepth: clause.depth) ?? rest.count
            let type = sqlText(rest[..<end])
            context.report(
                .alterColumnType, at: clause,
                "Changing the type of column \(name) of existing table \(table)\(type.isEmpty ? "" : " to \(type)") "
                    + "rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock, unless the old "
                    + "type converts without work (varchar(n) to text or to a longer varchar, numeric to a larger "
                    + "precision). If it does not, add a new column, backfill it in batches and switch the code to "
                    + "it.")
            return .accessExclusive
        }
        if cursor.accept("SET", "NOT", "NULL") {
            if existing {
                context.report(
                    .setNotNull, at: clause,
                    "SET NOT NULL on column \(name) of existing table \(table) scans every row under an ACCESS "
                        + "EXCLUSIVE lock, blocking every query until it finishes. On PostgreSQL 12+, first ADD "
                        + "CONSTRAINT ... CHECK (\(name) IS NOT NULL) NOT VALID, VALIDATE it in a later migration, "
                        + "then SET NOT NULL (which then skips the scan) and drop the check.")
            }
            return .accessExclusive
        }
        if cursor.accept("SET", "STATISTICS") { return nil }
        return .accessExclusive
    }

    // MARK: RENAME

    private mutating func rename(
        _ head: LintToken, in file: inout LintFileAnalysis, _ context: inout LintStatementContext
    ) {
        if cursor.accept("TO") {
            guard let newName = cursor.identifier() else { return }
            let renamed = LintName(schema: table.schema, name: newName)
            guard existing else {
                // A table created in this file is still new under its new name.
                file.createdTables.append(renamed)
                return
            }
            context.report(
                .renameTable, at: head,
                "Renaming existing table \(table) to \(displayIdentifier(newName)) breaks the instances of the "
                    + "previous release that still use the old name while the new one rolls out. Expand and "
                    + "contract: create the new table (or a view under one of the names), move the code over in a "
                    + "release, and remove the old name in a later migration.")
            return
        }
        if cursor.accept("CONSTRAINT") { return }
        _ = cursor.accept("COLUMN")
        guard existing, let oldName = cursor.identifier() else { return }
        _ = cursor.accept("TO")
        let newName = cursor.identifier().map { " to " + displayIdentifier($0) } ?? ""
        context.report(
            .renameColumn, at: head,
            "Renaming column \(displayIdentifier(oldName)) of existing table \(table)\(newName) breaks the instances "
                + "of the previous release that still use the old name while the new one rolls out. Expand and "
                + "contract: add the new column, write both and backfill, move the code over in a release, and drop "
                + "the old column in a later migration.")
    }
}

// MARK: - Column definitions

/// The clauses of a column definition in `ADD COLUMN` that the rules look at.
private struct LintColumnDefinition {
    /// The tokens of the `DEFAULT` expression; `nil` without a `DEFAULT` clause.
    var defaultExpression: [LintToken]?
    var notNull: LintToken?
    var primaryKey: LintToken?
    var unique: LintToken?
    var check: LintToken?
    var references: (token: LintToken, table: LintName?)?
    var identity: LintToken?
    var storedGenerated: LintToken?
    /// The type's token when it is `serial`, `bigserial`...
    var serial: LintToken?

    /// Whether there is a `DEFAULT` other than `DEFAULT NULL`.
    var hasDefault: Bool {
        guard let expression = defaultExpression, !expression.isEmpty else { return false }
        return !(expression.count == 1 && expression[0].isKeyword("NULL"))
    }

    /// The first volatile function the default calls, and its token.
    var volatileCall: (String, LintToken)? {
        guard let expression = defaultExpression else { return nil }
        for (index, token) in expression.enumerated() where token.isIdentifier {
            let name = token.identifier
            if volatileFunctions.contains(name), index + 1 < expression.count, expression[index + 1].isSymbol("(") {
                return (name, token)
            }
        }
        return nil
    }

    private enum Segment { case type, defaultExpression, other }

    /// Reads the tokens after the column name.
    init(_ tokens: [LintToken]) {
        guard let first = tokens.first else { return }
        let depth = first.depth
        if first.kind == .word && serialTypes.contains(first.keyword) { serial = first }
        var segment = Segment.type
        var index = 0
        func keyword(_ offset: Int) -> String? {
            index + offset < tokens.count && tokens[index + offset].kind == .word ? tokens[index + offset].keyword : nil
        }
        while index < tokens.count {
            let token = tokens[index]
            if segment == .defaultExpression && defaultExpression?.isEmpty == true {
                // The first token after DEFAULT always belongs to the expression (`DEFAULT NULL`, `DEFAULT NOT x`).
                defaultExpression?.append(token)
                index += 1
                continue
            }
            guard token.depth == depth, token.kind == .word else {
                if segment == .defaultExpression { defaultExpression?.append(token) }
                index += 1
                continue
            }
            var consumed = 1
            var next = Segment.other
            switch token.keyword {
            case "DEFAULT":
                defaultExpression = []
                next = .defaultExpression
            case "NOT":
                if keyword(1) == "NULL" {
                    notNull = token
                    consumed = 2
                }
            case "NULL", "DEFERRABLE", "INITIALLY", "KEY":
                break
            case "CONSTRAINT", "COLLATE":
                consumed = 2
            case "CHECK":
                check = token
            case "UNIQUE":
                unique = token
            case "PRIMARY":
                primaryKey = token
            case "REFERENCES":
                var cursor = LintTokenCursor(tokens, at: index + 1)
                references = (token, cursor.qualifiedName())
            case "ON" where references != nil:
                // ON DELETE / ON UPDATE action: SET NULL, SET DEFAULT, NO ACTION, CASCADE, RESTRICT.
                consumed = keyword(2) == "SET" || keyword(2) == "NO" ? 4 : 3
            case "GENERATED":
                consumed = generated(tokens, at: index, depth: depth)
            default:
                if segment == .type || segment == .defaultExpression {
                    if segment == .defaultExpression { defaultExpression?.append(token) }
                    next = segment
                }
            }
            segment = next
            index += consumed
        }
    }

    /// `GENERATED {ALWAYS | BY DEFAULT} AS {IDENTITY [(...)] | (expr) [STORED | VIRTUAL]}`: records the kind and
    /// returns how many tokens at `depth` it spans (the parenthesised parts are skipped by the caller).
    private mutating func generated(_ tokens: [LintToken], at start: Int, depth: Int) -> Int {
        var index = start + 1
        func isKeyword(_ word: String) -> Bool { index < tokens.count && tokens[index].isKeyword(word) }
        if isKeyword("ALWAYS") { index += 1 }
        if isKeyword("BY") { index += 2 }
        if isKeyword("AS") { index += 1 }
        if isKeyword("IDENTITY") {
            identity = tokens[start]
            return index + 1 - start
        }
        // Skip the parenthesised expression.
        if index < tokens.count && tokens[index].isSymbol("(") {
            index += 1
            while index < tokens.count && tokens[index].depth > depth { index += 1 }
            if index < tokens.count && tokens[index].isSymbol(")") { index += 1 }
        }
        if isKeyword("STORED") {
            storedGenerated = tokens[start]
            index += 1
        }
        return max(1, index - start)
    }
}

// MARK: - DROP, TRUNCATE, LOCK

extension LintFileAnalysis {
    private mutating func drop(_ context: inout LintStatementContext) {
        var cursor = LintTokenCursor(context.tokens, at: 1)
        guard let first = context.tokens.first else { return }
        if cursor.accept("TABLE") {
            _ = cursor.accept("IF", "EXISTS")
            let existing = cursor.nameList().filter { !isNew($0) }
            guard let table = existing.first else { return }
            let names = existing.map(\.description).joined(separator: ", ")
            let plural = existing.count > 1
            context.report(
                .dropTable, at: first,
                "Dropping existing table\(plural ? "s" : "") \(names) breaks the instances of the previous release "
                    + "that still use \(plural ? "them" : "it") while the new one rolls out. Expand and contract: "
                    + "first release code that no longer uses \(plural ? "them" : "the table"), then drop "
                    + "\(plural ? "them" : "it") in a later migration.")
            context.lock(.accessExclusive, "existing table \(table)", by: "DROP TABLE")
        } else if cursor.accept("INDEX") {
            let concurrently = cursor.accept("CONCURRENTLY")
            _ = cursor.accept("IF", "EXISTS")
            let existing = cursor.nameList().filter { name in !createdIndexes.contains { $0.matches(name) } }
            guard !concurrently, let index = existing.first else { return }
            context.lock(.accessExclusive, "the table of index \(index)", by: "DROP INDEX")
        }
    }

    private mutating func truncate(_ context: inout LintStatementContext) {
        var cursor = LintTokenCursor(context.tokens, at: 1)
        _ = cursor.accept("TABLE")
        guard let table = cursor.nameList().first(where: { !isNew($0) }) else { return }
        context.lock(.accessExclusive, "existing table \(table)", by: "TRUNCATE")
    }

    /// `LOCK [TABLE] [ONLY] name [*] [, ...] [IN mode MODE] [NOWAIT]`
    private mutating func lock(_ context: inout LintStatementContext) {
        var cursor = LintTokenCursor(context.tokens, at: 1)
        _ = cursor.accept("TABLE")
        guard let table = cursor.nameList().first(where: { !isNew($0) }) else { return }
        let rest = cursor.rest
        guard !rest.contains(where: { $0.isKeyword("NOWAIT") }) else { return }
        var mode = LintLockMode.accessExclusive
        if rest.first?.isKeyword("IN") == true {
            let words = rest.dropFirst().prefix { !$0.isKeyword("MODE") }.map(\.keyword).joined(separator: " ")
            switch words {
            case "ACCESS EXCLUSIVE": mode = .accessExclusive
            case "EXCLUSIVE": mode = .exclusive
            case "SHARE ROW EXCLUSIVE": mode = .shareRowExclusive
            case "SHARE": mode = .share
            default: return  // ACCESS SHARE, ROW SHARE, ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE: no traffic blocked.
            }
        }
        context.lock(mode, "existing table \(table)", by: "LOCK TABLE")
    }
}

// MARK: - lock_timeout

extension LintFileAnalysis {
    /// `SET [SESSION | LOCAL] lock_timeout { TO | = } value`
    private mutating func set(_ context: inout LintStatementContext) {
        var cursor = LintTokenCursor(context.tokens, at: 1)
        let local = cursor.accept("LOCAL")
        if !local { _ = cursor.accept("SESSION") }
        guard cursor.identifier() == "lock_timeout", cursor.accept("TO") || cursor.acceptSymbol("=") else { return }
        lockTimeout = LintFileAnalysis.turnsOff(cursor.current) ? .unset : local ? .local : .session
    }

    /// `RESET lock_timeout`, `RESET ALL`
    private mutating func reset(_ context: inout LintStatementContext) {
        var cursor = LintTokenCursor(context.tokens, at: 1)
        if cursor.accept("ALL") || cursor.identifier() == "lock_timeout" { lockTimeout = .unset }
    }

    /// `set_config('lock_timeout', value, is_local)` anywhere in a statement.
    private mutating func noteSetConfig(in tokens: [LintToken]) {
        for index in tokens.indices where tokens[index].isIdentifier && tokens[index].identifier == "set_config" {
            let cursor = LintTokenCursor(tokens, at: index + 1)
            guard cursor.peek()?.isSymbol("(") == true, let name = cursor.peek(1), name.kind == .string,
                LintLexer.asciiLowercased(name.text) == "lock_timeout", cursor.peek(2)?.isSymbol(",") == true
            else { continue }
            let value = cursor.peek(3)
            let isLocal = cursor.peek(5).map { $0.isKeyword("TRUE") || ["t", "true", "on"].contains($0.text) } ?? false
            lockTimeout = LintFileAnalysis.turnsOff(value) ? .unset : isLocal ? .local : .session
        }
    }

    /// Whether a `lock_timeout` value turns the timeout off: `0` (in any unit), `DEFAULT`, or nothing readable.
    static func turnsOff(_ value: LintToken?) -> Bool {
        guard let value else { return true }
        if value.isKeyword("DEFAULT") { return true }
        guard value.kind == .number || value.kind == .string else { return false }
        let digits = value.text.drop { $0 == " " }.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard let number = Double(digits) else { return false }
        return number == 0
    }
}
