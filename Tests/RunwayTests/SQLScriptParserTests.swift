import Testing

@testable import Runway

@Suite("SQLScriptParser")
struct SQLScriptParserTests {
    // MARK: - Helpers

    private func sqls(_ script: String) throws -> [String] {
        try SQLScriptParser.parse(script).map(\.sql)
    }

    // MARK: - standard_conforming_strings

    @Test("a plain SET or RESET of standard_conforming_strings changes how later literals are split")
    func followsStandardConformingStrings() throws {
        let script = """
            SELECT 'a\\';
            SET standard_conforming_strings = off;
            INSERT INTO t VALUES ('it\\'s; fine', 'C:\\\\temp');
            SET LOCAL standard_conforming_strings TO 'on';
            SELECT 'b\\';
            set session standard_conforming_strings = of;
            SELECT 'p\\';q';
            RESET standard_conforming_strings;
            SELECT 'r\\';
            """
        let statements = try SQLScriptParser.parse(script)
        #expect(
            statements.map(\.sql) == [
                "SELECT 'a\\'", "SET standard_conforming_strings = off",
                "INSERT INTO t VALUES ('it\\'s; fine', 'C:\\\\temp')",
                "SET LOCAL standard_conforming_strings TO 'on'", "SELECT 'b\\'",
                "set session standard_conforming_strings = of", "SELECT 'p\\';q'",
                "RESET standard_conforming_strings", "SELECT 'r\\'",
            ])
        #expect(
            statements.map(\.splitWithStandardStrings) == [true, nil, false, nil, true, nil, false, nil, true])
    }

    @Test("a script split for a session that starts with standard_conforming_strings off")
    func startsWithStandardConformingStringsOff() throws {
        let script = "SELECT 'a\\';b'; RESET ALL; SELECT 'c\\';d';"
        #expect(
            try SQLScriptParser.parse(script, standardConformingStrings: false).map(\.sql) == [
                "SELECT 'a\\';b'", "RESET ALL", "SELECT 'c\\';d'",
            ])
    }

    // MARK: - Non-transactional detection (§10.4)

    struct TransactionCase: Sendable, CustomTestStringConvertible {
        var sql: String
        var serverMajorVersion = 15
        var transactional: Bool
        var testDescription: String { "\(sql) (PostgreSQL \(serverMajorVersion))" }
    }

    static let transactionCases: [TransactionCase] = [
        // The verified rows of §10.4.
        .init(sql: "create index concurrently i1 on a (id);", transactional: false),
        .init(sql: "/* c */ DROP INDEX CONCURRENTLY IF EXISTS i1;", transactional: false),
        .init(sql: "CREATE UNIQUE INDEX CONCURRENTLY i2 ON a (id);", transactional: false),
        .init(sql: "VACUUM ANALYZE a;", transactional: false),
        .init(sql: "REINDEX DATABASE postgres;", transactional: false),
        .init(sql: "ALTER SYSTEM SET work_mem = '64MB';", transactional: false),
        .init(sql: "CREATE DATABASE d2;", transactional: false),
        .init(sql: "DROP TABLESPACE ts;", transactional: false),
        .init(sql: "DISCARD ALL;", transactional: false),
        .init(sql: "REINDEX TABLE a;", transactional: true),
        .init(sql: "CREATE INDEX i3 ON a (id);", transactional: true),
        // The rest of the list.
        .init(sql: "CREATE TABLESPACE ts LOCATION '/data';", transactional: false),
        .init(sql: "DROP DATABASE IF EXISTS d2;", transactional: false),
        .init(sql: "CREATE SUBSCRIPTION s CONNECTION 'dbname=x' PUBLICATION p;", transactional: false),
        .init(sql: "DROP SUBSCRIPTION s;", transactional: false),
        .init(sql: "DROP UNIQUE INDEX CONCURRENTLY i;", transactional: false),
        .init(sql: "REINDEX SCHEMA public;", transactional: false),
        .init(sql: "REINDEX SYSTEM postgres;", transactional: false),
        .init(sql: "REINDEX VERBOSE DATABASE postgres;", transactional: false),
        .init(sql: "REINDEX (VERBOSE) SCHEMA public;", transactional: false),
        .init(sql: "vacuum;", transactional: false),
        .init(sql: "-- note\nCREATE /* x */ INDEX CONCURRENTLY \"Idx\" ON t (a);", transactional: false),
        // Not detected by Flyway: run in a transaction.
        .init(sql: "REINDEX INDEX CONCURRENTLY i1;", transactional: true),
        .init(sql: "REINDEX TABLE CONCURRENTLY a;", transactional: true),
        .init(sql: "ALTER TABLE p DETACH PARTITION c CONCURRENTLY;", transactional: true),
        .init(sql: "ALTER SUBSCRIPTION s REFRESH PUBLICATION;", transactional: true),
        .init(sql: "DISCARD PLANS;", transactional: true),
        .init(sql: "SELECT * FROM vacuum;", transactional: true),
        .init(sql: "CREATE INDEX \"concurrently\" ON t (a);", transactional: true),
        .init(sql: "CREATE INDEX idx CONCURRENTLY;", transactional: true),
        .init(sql: "DO $$ BEGIN VACUUM; END $$;", transactional: true),
        .init(sql: "BEGIN;", transactional: true),
        // ALTER TYPE ... ADD VALUE depends on the server version.
        .init(sql: "ALTER TYPE mood ADD VALUE 'sad';", serverMajorVersion: 11, transactional: false),
        .init(sql: "ALTER TYPE mood ADD VALUE 'sad';", serverMajorVersion: 12, transactional: true),
        .init(sql: "ALTER TYPE mood ADD VALUE 'sad';", serverMajorVersion: 15, transactional: true),
        .init(sql: "ALTER TYPE public.mood ADD VALUE IF NOT EXISTS 'x';", serverMajorVersion: 11, transactional: false),
        .init(sql: "ALTER TYPE mood RENAME VALUE 'a' TO 'b';", serverMajorVersion: 11, transactional: true),
        // Only the first 10 keywords count: VALUE is the 10th here, the 11th below.
        .init(sql: "ALTER TYPE a b c d e f ADD VALUE 'x';", serverMajorVersion: 11, transactional: false),
        .init(sql: "ALTER TYPE a b c d e f g ADD VALUE 'x';", serverMajorVersion: 11, transactional: true),
    ]

    @Test("Flyway's non-transactional statement list", arguments: transactionCases)
    func detectsNonTransactionalStatements(_ testCase: TransactionCase) throws {
        let statements = try SQLScriptParser.parse(testCase.sql, serverMajorVersion: testCase.serverMajorVersion)
        #expect(statements.count == 1)
        #expect(statements.first?.canExecuteInTransaction == testCase.transactional)
    }

    @Test func decidesTransactionalityPerStatement() throws {
        let script = "SELECT 1;\nVACUUM;\nCREATE INDEX CONCURRENTLY i ON t (a);\nSELECT 2"
        let statements = try SQLScriptParser.parse(script)
        #expect(statements.map(\.canExecuteInTransaction) == [true, false, false, true])
    }

    // MARK: - Statement boundaries (§10.1, §10.2, §10.5)

    struct SplitCase: Sendable, CustomTestStringConvertible {
        var name: String
        var script: String
        var statements: [String]
        var testDescription: String { name }
    }

    static let splitCases: [SplitCase] = [
        .init(
            name: "dollar-quoted DO block", script: "DO $$ BEGIN RAISE NOTICE 'x;y'; END $$;",
            statements: ["DO $$ BEGIN RAISE NOTICE 'x;y'; END $$"]),
        .init(
            name: "dollar tag containing another tag",
            script: "CREATE FUNCTION f() RETURNS text AS $fn$ SELECT $q$;$q$ $fn$ LANGUAGE sql;\nSELECT f();",
            statements: ["CREATE FUNCTION f() RETURNS text AS $fn$ SELECT $q$;$q$ $fn$ LANGUAGE sql", "SELECT f()"]),
        .init(
            name: "different tags do not close each other", script: "SELECT $a$ $b$ ; $b$ $a$; SELECT 2;",
            statements: ["SELECT $a$ $b$ ; $b$ $a$", "SELECT 2"]),
        .init(
            name: "BEGIN ATOMIC with CASE",
            script: "CREATE FUNCTION g(i int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN i > 0 THEN 1 "
                + "ELSE 0 END; SELECT 2; END;\nSELECT g(1);",
            statements: [
                "CREATE FUNCTION g(i int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN i > 0 THEN 1 ELSE 0 "
                    + "END; SELECT 2; END",
                "SELECT g(1)",
            ]),
        .init(
            name: "lower-case begin atomic",
            script: "create procedure p() language sql begin atomic insert into t values (1); end;\ncall p();",
            statements: ["create procedure p() language sql begin atomic insert into t values (1); end", "call p()"]),
        .init(
            name: "comment between BEGIN and ATOMIC",
            script: "CREATE PROCEDURE p() LANGUAGE sql BEGIN -- why not\n ATOMIC SELECT 1; END;",
            statements: ["CREATE PROCEDURE p() LANGUAGE sql BEGIN -- why not\n ATOMIC SELECT 1; END"]),
        .init(
            name: "a CASE directly inside a CASE is not a block (PostgreSQLParser.adjustBlockDepth)",
            script: "CREATE FUNCTION h() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN CASE WHEN true THEN "
                + "true END THEN 1 END; END;",
            statements: [
                "CREATE FUNCTION h() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN CASE WHEN true THEN true "
                    + "END THEN 1 END",
                "END",
            ]),
        .init(
            name: "CASE outside BEGIN ATOMIC opens nothing", script: "SELECT CASE WHEN true THEN 1 END; SELECT 2;",
            statements: ["SELECT CASE WHEN true THEN 1 END", "SELECT 2"]),
        .init(
            name: "plain BEGIN and COMMIT are statements", script: "BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;",
            statements: ["BEGIN", "INSERT INTO t VALUES (1)", "COMMIT"]),
        .init(
            name: "END without a block", script: "BEGIN; SELECT 1; END;", statements: ["BEGIN", "SELECT 1", "END"]),
        .init(
            name: "escape, standard, Unicode, bit and hex strings",
            script: "SELECT E'a\\'b;c', 'd''e;f', U&'\\0041;', B'101', X'1F';",
            statements: ["SELECT E'a\\'b;c', 'd''e;f', U&'\\0041;', B'101', X'1F'"]),
        .init(
            name: "backslash is not special in a standard string", script: "SELECT 'a\\'; SELECT 2;",
            statements: ["SELECT 'a\\'", "SELECT 2"]),
        .init(
            name: "escaped backslash in an escape string", script: "SELECT E'a\\\\'; SELECT 2;",
            statements: ["SELECT E'a\\\\'", "SELECT 2"]),
        .init(
            name: "line comment with a delimiter attaches to the next statement", script: "-- c ;\nSELECT 1;",
            statements: ["-- c ;\nSELECT 1"]),
        .init(
            name: "nested block comment with a delimiter", script: "/* a /* n */ ; */ SELECT 1;",
            statements: ["/* a /* n */ ; */ SELECT 1"]),
        .init(
            name: "deeper nesting", script: "/* 1 /* 2 /* 3; */ 2; */ 1; */ SELECT 1; SELECT 2",
            statements: ["/* 1 /* 2 /* 3; */ 2; */ 1; */ SELECT 1", "SELECT 2"]),
        .init(
            name: "comment inside a statement is kept", script: "SELECT 1 -- c\n;SELECT 2",
            statements: ["SELECT 1 -- c", "SELECT 2"]),
        .init(name: "empty statements", script: "SELECT 1;;SELECT 2;", statements: ["SELECT 1", "SELECT 2"]),
        .init(name: "blank script", script: "  \n\n  ;; \n", statements: []),
        .init(name: "empty script", script: "", statements: []),
        .init(name: "comments only", script: "-- only\n/* comments */", statements: []),
        .init(
            name: "trailing comment-only remainder", script: "SELECT 1; -- trailing comment\n",
            statements: ["SELECT 1"]),
        .init(
            name: "comment-only statement before a delimiter",
            script: "SELECT 1; /* c */ ;\n/* only a comment */", statements: ["SELECT 1"]),
        .init(
            name: "no delimiter at the end", script: "SELECT \"a;b\" FROM t; SELECT 2",
            statements: ["SELECT \"a;b\" FROM t", "SELECT 2"]),
        .init(
            name: "quoted identifier", script: "CREATE TABLE \"we;ird\"\"x\" (a int);",
            statements: ["CREATE TABLE \"we;ird\"\"x\" (a int)"]),
        .init(
            name: "parentheses", script: "SELECT f(';', (1;2));SELECT 2",
            statements: ["SELECT f(';', (1;2))", "SELECT 2"]),
        .init(
            name: "CRLF line endings", script: "SELECT 1;\r\nSELECT 2;\r\n", statements: ["SELECT 1", "SELECT 2"]),
        .init(
            name: "non-ASCII text", script: "SELECT 'héllo; wörld'; SELECT ünïcode FROM t; SELECT '😀;'",
            statements: ["SELECT 'héllo; wörld'", "SELECT ünïcode FROM t", "SELECT '😀;'"]),
        .init(
            name: "no-break space before a statement", script: "SELECT 1;\u{A0}SELECT 2;",
            statements: ["SELECT 1", "SELECT 2"]),
        // Where Flyway's parser misreads a literal, Runway splits as psql and the server do (issue 12: a joined
        // separator used to land inside the literal and change the stored text).
        .init(
            name: "lower-case e' escapes like E' (Flyway reads a keyword plus a standard string, §10.5)",
            script: "INSERT INTO t VALUES (7, e'it\\'s; x');\nINSERT INTO t VALUES (8, 'ok');",
            statements: ["INSERT INTO t VALUES (7, e'it\\'s; x')", "INSERT INTO t VALUES (8, 'ok')"]),
        .init(
            name: "upper-case E' splits correctly",
            script: "INSERT INTO t VALUES (7, E'it\\'s; x');\nINSERT INTO t VALUES (8, 'ok');",
            statements: ["INSERT INTO t VALUES (7, E'it\\'s; x')", "INSERT INTO t VALUES (8, 'ok')"]),
        .init(
            name: "e' after a word character is a word plus a standard string",
            script: "SELECT somee'a\\';x';",
            statements: ["SELECT somee'a\\'", "x';"]),
        .init(
            name: "$1 is a parameter, not a dollar quote (Flyway opens a quote, §10.5)",
            script: "PREPARE q AS SELECT $1::int;\nSELECT 4;",
            statements: ["PREPARE q AS SELECT $1::int", "SELECT 4"]),
        .init(
            name: "a $ that does not start a valid tag is a symbol", script: "SELECT $a\n$ ; $a\n$; SELECT 2;",
            statements: ["SELECT $a\n$", "$a\n$", "SELECT 2"]),
        .init(
            name: "dollar tags with underscores, digits and non-ASCII letters",
            script: "SELECT $_t1$ ; $_t1$; SELECT $été$;$été$; SELECT $1$;",
            statements: ["SELECT $_t1$ ; $_t1$", "SELECT $été$;$été$", "SELECT $1$"]),
        .init(
            name: "bit strings take no backslash escapes",
            script: "SELECT B'1\\'; SELECT X'f\\'; SELECT b'0\\';",
            statements: ["SELECT B'1\\'", "SELECT X'f\\'", "SELECT b'0\\'"]),
        .init(
            name: "national and lower-case Unicode literals are plain strings",
            script: "SELECT N'a;b', u&'c\\0041;'; SELECT n'd';",
            statements: ["SELECT N'a;b', u&'c\\0041;'", "SELECT n'd'"]),
        .init(
            name: "unterminated string runs to the end", script: "SELECT 'abc; SELECT 2;",
            statements: ["SELECT 'abc; SELECT 2;"]),
        .init(
            name: "unterminated comment runs to the end", script: "SELECT 1 /* unterminated; SELECT 2;",
            statements: ["SELECT 1 /* unterminated; SELECT 2;"]),
        .init(
            name: "an unbalanced ) leaves the depth below 0, so nothing splits any more",
            script: "SELECT 1); SELECT 2; SELECT 3;", statements: ["SELECT 1); SELECT 2; SELECT 3;"]),
    ]

    @Test("splits like Flyway", arguments: splitCases)
    func splitsStatements(_ testCase: SplitCase) throws {
        #expect(try sqls(testCase.script) == testCase.statements)
    }

    // MARK: - Line numbers

    struct LineCase: Sendable, CustomTestStringConvertible {
        var name: String
        var script: String
        var lines: [Int]
        var testDescription: String { name }
    }

    static let lineCases: [LineCase] = [
        .init(
            name: "leading comments and blank lines",
            script: "-- header\n\n/* block\n comment */\nCREATE TABLE a (id int);\n\n\nINSERT INTO a VALUES (1);\n"
                + "-- c\nSELECT 1;",
            lines: [5, 8, 10]),
        .init(name: "several statements on a line", script: "SELECT 1; SELECT 2;\nSELECT 3;", lines: [1, 1, 2]),
        .init(name: "multi-line statements", script: "SELECT\n1;\nSELECT\n  2;", lines: [1, 3]),
        .init(name: "CRLF", script: "SELECT 1;\r\n\r\nSELECT 2;", lines: [1, 3]),
        .init(name: "a lone CR does not start a line (Flyway)", script: "SELECT 1;\rSELECT 2;", lines: [1, 1]),
        .init(name: "dollar-quoted body", script: "DO $$\nBEGIN\nEND\n$$;\nSELECT 1;", lines: [1, 5]),
        .init(name: "after a dropped comment-only statement", script: "/* a\n*/;\n\nSELECT 1;", lines: [4]),
    ]

    @Test("reports the line of the first non-comment token", arguments: lineCases)
    func reportsLines(_ testCase: LineCase) throws {
        #expect(try SQLScriptParser.parse(testCase.script).map(\.line) == testCase.lines)
    }

    @Test func keepsLeadingCommentsInTheStatement() throws {
        let script = "-- header\n\n/* block\n comment */\nCREATE TABLE a (id int);\n-- c\nSELECT 1;"
        #expect(
            try sqls(script) == ["-- header\n\n/* block\n comment */\nCREATE TABLE a (id int)", "-- c\nSELECT 1"])
    }

    // MARK: - COPY ... FROM STDIN (§10.3)

    @Test func readsCopyData() throws {
        let script =
            "CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM STDIN;\n1\tone\n2\ttwo\n\\.\n"
            + "SELECT count(*) FROM t;\n"
        #expect(
            try SQLScriptParser.parse(script) == [
                SQLStatement(sql: "CREATE TABLE t (a int, b text)", line: 1),
                SQLStatement(sql: "COPY t (a, b) FROM STDIN", line: 2, copyData: "1\tone\n2\ttwo\n"),
                SQLStatement(sql: "SELECT count(*) FROM t", line: 6),
            ])
    }

    @Test func preservesCRLFInCopyData() throws {
        let script = "COPY t FROM STDIN;\r\n1\tone\r\n2\ttwo\r\n\\.\r\nSELECT 1;\r\n"
        #expect(
            try SQLScriptParser.parse(script) == [
                SQLStatement(sql: "COPY t FROM STDIN", line: 1, copyData: "1\tone\r\n2\ttwo\r\n"),
                SQLStatement(sql: "SELECT 1", line: 5),
            ])
    }

    @Test func skipsTheRestOfTheCopyLineAndNeverParsesData() throws {
        let script = "copy public.t (a) from stdin with (format csv); -- ignored\na;b\n'quoted\n  \\.  \nselect 1;"
        #expect(
            try SQLScriptParser.parse(script) == [
                SQLStatement(
                    sql: "copy public.t (a) from stdin with (format csv)", line: 1, copyData: "a;b\n'quoted\n"),
                SQLStatement(sql: "select 1", line: 5),
            ])
    }

    @Test func keepsCommentsBeforeCopy() throws {
        let statements = try SQLScriptParser.parse("-- load\nCOPY t FROM STDIN;\n1\n\\.\n")
        #expect(statements == [SQLStatement(sql: "-- load\nCOPY t FROM STDIN", line: 2, copyData: "1\n")])
    }

    struct CopyCase: Sendable, CustomTestStringConvertible {
        var script: String
        var copyData: [String?]
        var testDescription: String { script }
    }

    static let copyCases: [CopyCase] = [
        .init(
            script: "COPY t TO STDOUT;\nCOPY t FROM '/tmp/x';\nCOPY (SELECT 1) TO STDOUT;", copyData: [nil, nil, nil]),
        .init(script: "COPY t FROM STDIN;\n\\.\nSELECT 1;", copyData: ["", nil]),
        // Flyway never returns when the \. line is missing; Runway takes the data up to the end.
        .init(script: "COPY t FROM STDIN;\n1\n2\n", copyData: ["1\n2\n"]),
        .init(script: "COPY t FROM STDIN", copyData: [""]),
        .init(script: "COPY t FROM STDIN;", copyData: [""]),
    ]

    @Test("COPY data edge cases", arguments: copyCases)
    func copyEdgeCases(_ testCase: CopyCase) throws {
        #expect(try SQLScriptParser.parse(testCase.script).map(\.copyData) == testCase.copyData)
    }

    // MARK: - Incomplete BEGIN ATOMIC

    struct IncompleteCase: Sendable, CustomTestStringConvertible {
        var script: String
        var message: String
        var line: Int
        var testDescription: String { script }
    }

    static let incompleteCases: [IncompleteCase] = [
        .init(
            script: "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n",
            message: "Incomplete statement at line 1 col 1", line: 1),
        .init(
            script: "SELECT 1;\n-- c\n  CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 "
                + "END;",
            message: "Incomplete statement at line 3 col 3", line: 3),
    ]

    @Test("EOF inside BEGIN ATOMIC fails", arguments: incompleteCases)
    func failsOnIncompleteBlock(_ testCase: IncompleteCase) {
        let error = #expect(throws: RunwayError.self) { try SQLScriptParser.parse(testCase.script) }
        #expect(error?.code == .invalidMigration)
        #expect(error?.message == testCase.message)
        #expect(error?.line == testCase.line)
        #expect(error?.statement?.contains("BEGIN ATOMIC") == true)
    }

    // MARK: - Mixed transactional and non-transactional statements

    @Test func reportsTheNonTransactionalStatementThatMakesAScriptMixed() throws {
        let statements = try SQLScriptParser.parse(
            "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY i ON t (id);\nVACUUM;")
        #expect(!statements.canExecuteInTransaction)
        let mixed = try #require(statements.mixedTransactionality)
        #expect(mixed.firstTransactional.line == 1)
        #expect(mixed.firstNonTransactional.line == 2)
        #expect(mixed.offending == mixed.firstNonTransactional)
        #expect(
            mixed.message
                == "Detected both transactional and non-transactional statements within the same migration (even "
                + "though mixed is false). Offending statement found at line 2: CREATE INDEX CONCURRENTLY i ON t (id) "
                + "[non-transactional]")
    }

    @Test func reportsTheTransactionalStatementThatMakesAScriptMixed() throws {
        let statements = try SQLScriptParser.parse("VACUUM; SELECT 1;")
        let mixed = try #require(statements.mixedTransactionality)
        #expect(mixed.offending.sql == "SELECT 1")
        #expect(mixed.message.hasSuffix("Offending statement found at line 1: SELECT 1"))
    }

    @Test(arguments: [
        ("SELECT 1; SELECT 2;", true),
        ("VACUUM; DISCARD ALL;", false),
        ("", true),
    ])
    func singleKindScriptsAreNotMixed(_ script: String, transactional: Bool) throws {
        let statements = try SQLScriptParser.parse(script)
        #expect(statements.mixedTransactionality == nil)
        #expect(statements.canExecuteInTransaction == transactional)
    }

    // MARK: - Robustness

    @Test func parsesALargeScript() throws {
        let count = 50_000
        let script = String(repeating: "INSERT INTO t VALUES (1, 'a;b', $$c;d$$); -- x\n", count: count)
        let statements = try SQLScriptParser.parse(script)
        #expect(statements.count == count)
        #expect(statements.last?.line == count)
        #expect(statements.last?.sql == "-- x\nINSERT INTO t VALUES (1, 'a;b', $$c;d$$)")
    }

    @Test func handlesLongDollarTags() throws {
        let tag = "$" + String(repeating: "x", count: 10_000) + "$"
        let script = "SELECT \(tag) ; \(String(repeating: "$x", count: 1_000)) \(tag); SELECT 2;"
        #expect(try sqls(script).count == 2)
    }

    @Test func handlesDeeplyNestedUnterminatedComments() throws {
        let script = "SELECT 1; " + String(repeating: "/* ", count: 20_000) + "*/"
        #expect(try sqls(script) == ["SELECT 1"])
    }

    @Test(arguments: 0..<4)
    func neverCrashesOnRandomInput(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let fragments = [
            "$", "$$", "$a$", "'", "''", "\"", "(", ")", ";", "--", "/*", "*/", "\n", "\r\n", "\r", " ", "\t", "E'",
            "e'", "B'", "X'", "U&'", "\\", "\\.", "BEGIN", "ATOMIC", "CASE", "END", "COPY t FROM STDIN", "VACUUM",
            "CREATE", "INDEX", "CONCURRENTLY", "x", "1", ".", "@", "é", "😀", "\u{A0}", "\u{2028}", "\u{0}", "٣",
        ]
        for _ in 0..<500 {
            let script: String
            if random.next() % 4 == 0 {
                let bytes = (0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                script = String(decoding: bytes, as: UTF8.self)
            } else {
                script = (0..<Int(random.next() % 80))
                    .map { _ in fragments[Int(random.next() % UInt64(fragments.count))] }
                    .joined()
            }
            checkInvariants(script)
        }
    }

    private func checkInvariants(_ script: String) {
        do {
            let statements = try SQLScriptParser.parse(script, serverMajorVersion: 11)
            var previousLine = 1
            let scriptBytes = Array(script.utf8)
            for statement in statements {
                let bytes = Array(statement.sql.utf8)
                #expect(!bytes.isEmpty, "empty statement in \(script.debugDescription)")
                #expect(
                    (bytes.first ?? 0) > 0x20 && (bytes.last ?? 0) > 0x20,
                    "untrimmed: \(statement.sql.debugDescription)")
                #expect(statement.line >= previousLine, "lines go backwards in \(script.debugDescription)")
                #expect(contains(scriptBytes, bytes), "not from the script: \(statement.sql.debugDescription)")
                previousLine = statement.line
            }
        } catch {
            #expect(error.code == .invalidMigration)
            #expect(error.message.hasPrefix("Incomplete statement at line "))
        }
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains {
            haystack[$0..<($0 + needle.count)].elementsEqual(needle)
        }
    }
}

/// A small deterministic generator so that a failing fuzz case can be reproduced.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
