import Testing

@testable import Runway

@Suite("MigrationLinter.lintUndo (undo-drops-filled-column)")
struct UndoLintTests {
    let linter = MigrationLinter()

    func findings(undo: String, forward: String) throws -> [LintFinding] {
        linter.lintUndo(
            file: "U2__split_name.sql", statements: try SQLScriptParser.parse(undo), forward: "V2__split_name.sql",
            forwardStatements: try SQLScriptParser.parse(forward))
    }

    @Test func dropsAColumnTheMigrationFilled() throws {
        let forward = """
            ALTER TABLE people ADD COLUMN first_name text;
            UPDATE people SET first_name = split_part(full_name, ' ', 1);
            ALTER TABLE people DROP COLUMN full_name;
            """
        let undo = """
            ALTER TABLE people ADD COLUMN full_name text;

            ALTER TABLE people DROP COLUMN first_name;
            """
        let found = try findings(undo: undo, forward: forward)
        #expect(found.map(\.rule) == ["undo-drops-filled-column"])
        #expect(found.first?.line == 3)
        #expect(found.first?.severity == .warning)
        #expect(found.first?.message.contains("people.first_name") == true)
        #expect(found.first?.message.contains("V2__split_name.sql filled with data (line 2)") == true)
    }

    @Test func dropsATableTheMigrationFilled() throws {
        let forward = "CREATE TABLE archive (id int, note text);\nINSERT INTO archive SELECT id, note FROM notes;"
        let found = try findings(undo: "DROP TABLE IF EXISTS archive;", forward: forward)
        #expect(found.map(\.rule) == ["undo-drops-filled-column"])
        #expect(found.first?.message.contains("table archive") == true)
    }

    @Test func columnsTheMigrationOnlyAddedOrOtherTablesAreFine() throws {
        #expect(
            try findings(
                undo: "ALTER TABLE people DROP COLUMN nickname;",
                forward: "ALTER TABLE people ADD COLUMN nickname text;\nUPDATE other SET nickname = 'x';"
            ).isEmpty)
        #expect(
            try findings(
                undo: "ALTER TABLE people DROP COLUMN nickname, DROP CONSTRAINT people_ck;",
                forward: "INSERT INTO people (id, name) VALUES (1, 'a');"
            ).isEmpty)
    }

    @Test func theRuleCanBeDisabled() throws {
        let quiet = try MigrationLinter(disabled: ["undo-drops-filled-column"])
        let found = quiet.lintUndo(
            file: "U1__x.sql", statements: try SQLScriptParser.parse("DROP TABLE t;"), forward: "V1__x.sql",
            forwardStatements: try SQLScriptParser.parse("INSERT INTO t VALUES (1);"))
        #expect(found.isEmpty)
    }
}
