// The undo rule of the linter: an undo file (`U<version>__...`, Flyway Teams) read together with the versioned
// migration it reverts. Dropping a column that the forward migration filled with data loses that data: the undo
// cannot put it back anywhere, and migrating again fills the column from what is left.

extension LintRule {
    /// An undo file that drops a column (`ALTER TABLE t DROP [COLUMN] c`) or a table (`DROP TABLE t`) into which its
    /// forward migration wrote data (`UPDATE t SET c = ...`, `INSERT INTO t (..., c, ...)`): the data moved there by
    /// the migration, and everything written to it since, is gone after the undo.
    public static let undoDropsFilledColumn = LintRule(
        "undo-drops-filled-column",
        "an undo file drops a column or table its migration filled with data, which the undo cannot restore",
        promotedByAll: false)
}

extension MigrationLinter {
    /// Lints an undo file against the versioned migration it reverts (rule ``LintRule/undoDropsFilledColumn``).
    ///
    /// - Parameters:
    ///   - file: the undo file's path as findings should name it.
    ///   - statements: the undo file's statements.
    ///   - forward: the versioned migration's path.
    ///   - forwardStatements: the versioned migration's statements.
    /// - Returns: one finding per dropped column or table that the forward migration filled, at the `DROP`.
    public func lintUndo(
        file: String, statements: [SQLStatement], forward: String, forwardStatements: [SQLStatement]
    ) -> [LintFinding] {
        let rule = LintRule.undoDropsFilledColumn
        guard let severity = severity(of: rule) else { return [] }
        var filled: [(table: LintName, column: String?, line: Int)] = []
        for statement in forwardStatements {
            filled += UndoLintScan.writes(statement)
        }
        guard !filled.isEmpty else { return [] }
        var findings: [LintFinding] = []
        for statement in statements {
            for drop in UndoLintScan.drops(statement) {
                guard
                    let write = filled.first(where: {
                        $0.table.matches(drop.table)
                            && (drop.column == nil || $0.column == nil || $0.column == drop.column)
                    })
                else { continue }
                let kept = drop.column == nil ? "table" : "column"
                let what =
                    drop.column.map { "column \(drop.table).\(LintName(schema: nil, name: $0))" }
                    ?? "table \(drop.table)"
                findings.append(
                    LintFinding(
                        rule: rule.id, severity: severity, file: file, line: drop.line,
                        message: "The undo drops \(what), which \(forward) filled with data (line \(write.line)): "
                            + "that data, and whatever was written there since, cannot be restored by the undo. Copy "
                            + "it back to where it came from before dropping, or keep the \(kept)."))
            }
        }
        return findings
    }
}

/// The writes and drops the undo rule looks for, read from a statement's tokens.
private enum UndoLintScan {
    /// `UPDATE t SET c = ..., d = ...` and `INSERT INTO t (c, d) ...` (`INSERT INTO t SELECT/VALUES` without a column
    /// list fills every column: `column` is then `nil`).
    static func writes(_ statement: SQLStatement) -> [(table: LintName, column: String?, line: Int)] {
        let tokens = LintLexer.tokens(statement.sql, standardStrings: statement.splitWithStandardStrings ?? true)
        var cursor = LintTokenCursor(tokens)
        let line = statement.line
        if cursor.accept("UPDATE") {
            _ = cursor.accept("ONLY")
            guard let table = cursor.qualifiedName(), let set = tokens.firstIndex(ofKeywords: "SET", atDepth: 0)
            else { return [] }
            let end =
                tokens.firstIndex(ofKeywords: "WHERE", atDepth: 0) ?? tokens.firstIndex(
                    ofKeywords: "FROM", atDepth: 0) ?? tokens.count
            guard set + 1 < end else { return [] }
            return Array(tokens[(set + 1)..<end]).split(atCommasOfDepth: 0).compactMap { assignment in
                guard let first = assignment.first, first.isIdentifier else { return nil }
                return (table, first.identifier, line)
            }
        }
        if cursor.accept("INSERT", "INTO") {
            guard let table = cursor.qualifiedName() else { return [] }
            guard cursor.acceptSymbol("(") else { return [(table, nil, line)] }
            var columns: [(LintName, String?, Int)] = []
            while let token = cursor.current, !token.isSymbol(")") {
                if token.isIdentifier, token.depth == 1 { columns.append((table, token.identifier, line)) }
                cursor.advance()
            }
            return columns
        }
        return []
    }

    /// `ALTER TABLE [IF EXISTS] [ONLY] t DROP [COLUMN] [IF EXISTS] c[, DROP ...]` and `DROP TABLE [IF EXISTS] t, u`.
    static func drops(_ statement: SQLStatement) -> [(table: LintName, column: String?, line: Int)] {
        let tokens = LintLexer.tokens(statement.sql, standardStrings: statement.splitWithStandardStrings ?? true)
        var cursor = LintTokenCursor(tokens)
        let line = statement.line
        if cursor.accept("DROP", "TABLE") {
            _ = cursor.accept("IF", "EXISTS")
            return cursor.nameList().map { ($0, nil, line) }
        }
        guard cursor.accept("ALTER", "TABLE") else { return [] }
        _ = cursor.accept("IF", "EXISTS")
        _ = cursor.accept("ONLY")
        guard let table = cursor.qualifiedName() else { return [] }
        var drops: [(LintName, String?, Int)] = []
        for action in cursor.rest.split(atCommasOfDepth: 0) {
            var part = LintTokenCursor(action)
            guard part.accept("DROP") else { continue }
            if part.isKeyword("CONSTRAINT") { continue }
            _ = part.accept("COLUMN")
            _ = part.accept("IF", "EXISTS")
            let first = tokens.first?.line ?? 1
            if let column = part.identifier() {
                drops.append((table, column, max(1, statement.line + (part.peek(-1)?.line ?? first) - first)))
            }
        }
        return drops
    }
}
