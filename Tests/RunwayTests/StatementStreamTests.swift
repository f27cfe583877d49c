import Foundation
import Testing

@testable import Runway

/// Scripts split from a window of their bytes (``StatementStream``) give exactly what splitting the whole text gives,
/// wherever the window's edges fall; a file that changes while it is read is refused, never half-read.
@Suite("StatementStream")
struct StatementStreamTests {
    /// Pieces that stress the re-splitting at a window's edge: every literal and comment kind, `COPY` data,
    /// `BEGIN ATOMIC` bodies, standard_conforming_strings changes, multi-byte characters, CR LF.
    static let pieces = [
        "SELECT 1;\n", "INSERT INTO t VALUES ('a;b', 'it''s');\n", "SELECT e'x\\';y';\n", "SELECT E'\\\\';\n",
        "SELECT $$a;$b$;$$;\n", "SELECT $tag$ $$ ; $tag$;\n", "-- comment ; here\n",
        "/* a /* nested ; */ b */ SELECT 2;\n",
        "SELECT U&'\\0041;' UESCAPE '!';\n", "SELECT B'10', X'ff';\n", "CREATE TABLE \"we;ird\" (id int);\n",
        "COPY t FROM STDIN;\n1\tone;\n2\t'two'\n\\.\n", "SET standard_conforming_strings = off;\n",
        "SELECT 'back\\'slash;';\n", "RESET standard_conforming_strings;\n", "SELECT 'héllo €uro 𝄞';\r\n",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;\n",
        ";;\n", "\n\n", "CREATE INDEX CONCURRENTLY i ON t (id);\n", "SELECT $1::int;\n", "VACUUM t;\n",
    ]

    /// A deterministic script of `count` pieces.
    static func script(seed: UInt64, count: Int) -> String {
        var state = seed
        var text = ""
        for _ in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            text += pieces[Int((state >> 33) % UInt64(pieces.count))]
        }
        return text
    }

    private func streamed(_ text: String, window: Int, standardStrings: Bool = true) throws -> [SQLStatement] {
        try StatementStream(
            reader: try ScriptReader(.memory(.holding(text), relativePath: "V1__x.sql")), serverMajorVersion: 15,
            standardConformingStrings: standardStrings, window: window
        ).all()
    }

    @Test(
        "every window size gives the statements splitting the whole text gives", arguments: [1, 2, 3, 7, 16, 61, 4096])
    func windowsAgree(window: Int) throws {
        for seed in 1...40 as ClosedRange<UInt64> {
            let text = Self.script(seed: seed, count: 30)
            let whole = try SQLScriptParser.parse(text)
            #expect(try streamed(text, window: window) == whole, "seed \(seed), window \(window):\n\(text)")
            let off = try SQLScriptParser.parse(text, standardConformingStrings: false)
            #expect(try streamed(text, window: window, standardStrings: false) == off, "seed \(seed), scs off")
        }
    }

    @Test("an unterminated literal or comment is reported with its kind and line, whatever the window")
    func unterminated() throws {
        let cases: [(String, String?, Int?)] = [
            ("SELECT 1;\nSELECT 'abc;\nSELECT 2;", "string literal", 2),
            ("SELECT 1;\nSELECT $q$ abc;\n", "dollar-quoted string $q$", 2),
            ("SELECT \"id;\n", "quoted identifier", 1),
            ("SELECT 1;\n\n/* open", "block comment", 3),
            ("SELECT 'closed';", nil, nil),
            // Found by the sql-lexer fuzz target: an open quoted part of a dotted name.
            ("SE.\"PEt y';", "quoted identifier", 1),
        ]
        for (text, construct, line) in cases {
            for window in [1, 5, 4096] {
                let outline = try ScriptOutline(
                    StatementStream(
                        reader: try ScriptReader(.memory(.holding(text), relativePath: "V1__x.sql")),
                        serverMajorVersion: 15, standardConformingStrings: true, window: window))
                #expect(outline.unterminated?.construct == construct, "\(text)")
                #expect(outline.unterminated?.line == line, "\(text)")
            }
        }
    }

    @Test("linting a stream gives the findings linting the whole text gives")
    func lintAgrees() throws {
        let lintPieces = [
            "CREATE INDEX i ON t (id);\n", "-- runway:lint-disable-next require-concurrent-index\n",
            "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 1;\n", "SET lock_timeout = '2s';\n",
            "-- runway:lint-disable-next nonsense\n", "SELECT 1; -- runway:lint-disable-next all\n", "\n",
            "ALTER TABLE t ALTER COLUMN c TYPE bigint;\n", "-- runway:lint-disable missing-lock-timeout\n",
            "COPY t FROM STDIN;\n-- runway:lint-disable-next all\n\\.\n", "/* block */ DROP TABLE old;\n",
            "-- runway:lint-disable-next ban-drop-table\nDROP TABLE x;\n", "CREATE TABLE n (id int);\n",
            "ALTER TABLE n ADD CONSTRAINT f FOREIGN KEY (id) REFERENCES t (id);\n", "-- trailing\n",
        ]
        let linter = MigrationLinter()
        var state: UInt64 = 7
        var compared = 0
        for round in 0..<60 {
            var text = ""
            for _ in 0..<12 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                text += lintPieces[Int((state >> 33) % UInt64(lintPieces.count))]
            }
            let expected = try linter.lint(file: "V1__x.sql", text: text)
            compared += expected.count
            for window in [1, 9, 4096] {
                let source = ScriptSource.memory(.holding(text), relativePath: "V1__x.sql")
                let outline = try ScriptOutline(
                    try source.statements(serverMajorVersion: 15, standardConformingStrings: true))
                let statements = try StatementStream(
                    reader: try ScriptReader(source), serverMajorVersion: 15, standardConformingStrings: true,
                    window: window)
                let found = try linter.lint(
                    file: "V1__x.sql", statements: statements, isTransactional: outline.canExecuteInTransaction)
                #expect(found == expected, "round \(round), window \(window):\n\(text)")
            }
        }
        #expect(compared > 100, "the scripts must give findings for the comparison to mean something")
    }

    // MARK: - Files changing underneath

    final class File {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stream-\(UUID().uuidString)").path
        init(_ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func source() throws -> ScriptSource {
            let (checksum, stamp) = try ScriptFileReader.checksum(path: path, relativePath: "V1__x.sql")
            return .file(path: path, relativePath: "V1__x.sql", stamp: stamp, checksum: checksum)
        }
    }

    static let large = (0..<60_000).map { "INSERT INTO t VALUES (\($0), 'row \($0)');\n" }.joined()

    @Test("a file that shrinks while it is read is refused with a clear error, not a crash (SIGBUS)")
    func shrinks() throws {
        let file = try File(Self.large)
        let statements = try file.source().statements(serverMajorVersion: 15, standardConformingStrings: true)
        _ = try statements.next()
        #expect(truncate(file.path, 1000) == 0)
        let error = #expect(throws: RunwayError.self) { while try statements.next() != nil {} }
        #expect(error?.message.contains("changed on disk while Runway was reading it") == true)
        #expect(error?.file == "V1__x.sql")
    }

    @Test("a file that grows, or is rewritten with the same size, while it is read is refused at its end")
    func rewritten() throws {
        for edit in ["grow", "same size"] {
            let file = try File(Self.large)
            let statements = try file.source().statements(serverMajorVersion: 15, standardConformingStrings: true)
            _ = try statements.next()
            let handle = try #require(FileHandle(forWritingAtPath: file.path))
            if edit == "grow" {
                handle.seekToEndOfFile()
                handle.write(Data("DROP TABLE t;\n".utf8))
            } else {
                handle.seek(toFileOffset: UInt64(Self.large.utf8.count - 10))
                handle.write(Data("9999');\n\n".utf8))
            }
            handle.closeFile()
            let error = #expect(throws: RunwayError.self, "\(edit)") { while try statements.next() != nil {} }
            #expect(error?.message.contains("changed on disk") == true, "\(edit)")
        }
    }

    @Test("a byte order mark at the start of a file is not part of its first statement")
    func byteOrderMark() throws {
        let file = try File("\u{FEFF}CREATE TABLE t (id int);\nSELECT 1;")
        let statements = try file.source().statements(serverMajorVersion: 15, standardConformingStrings: true).all()
        #expect(statements.map(\.sql) == ["CREATE TABLE t (id int)", "SELECT 1"])
    }
}
