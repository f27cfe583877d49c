import Foundation
import Logging
import Testing

@testable import Runway

/// Streaming reads of migration files: the checksum computed through a fixed buffer equals the in-memory one
/// wherever the buffer boundaries fall; bad bytes are found with their line; files are read in pieces.
@Suite("Streaming migration files (checksum, validation, mapping)")
struct ScriptFileTests {
    final class File {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("script-\(UUID().uuidString)").path
        init(_ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// A text whose characters of every UTF-8 length and whose CR LF pairs straddle each buffer boundary.
    static func straddlingText(size: Int) -> [UInt8] {
        let pieces: [[UInt8]] = [
            Array("INSERT INTO t VALUES ('héllo', '€uro', '𝄞 clef');".utf8), [0x0D, 0x0A], Array("x".utf8), [0x0A],
            [0x0D], Array("ß".utf8),
        ]
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size + 64)
        var index = 0
        while bytes.count < size {
            bytes += pieces[index % pieces.count]
            index += 1
        }
        return bytes
    }

    @Test(
        "the streamed checksum equals the in-memory checksum at every offset of the buffer boundary",
        arguments: [0, 1, 2, 3, 5, 17, 101])
    func streamedChecksumMatches(shift: Int) throws {
        let size = ScriptFileReader.chunkSize * 2 + 4_099
        let bytes = Array(repeating: UInt8(ascii: "a"), count: shift) + Self.straddlingText(size: size)
        let file = try File(bytes)
        let (streamed, stamp) = try ScriptFileReader.checksum(path: file.path, relativePath: "V1__x.sql")
        #expect(streamed == Checksum(utf8Bytes: bytes))
        #expect(stamp.size == bytes.count)
    }

    @Test("a byte-order mark is dropped, also when it is the whole file")
    func byteOrderMark() throws {
        for body in ["", "SELECT 1;\n", "é"] {
            let file = try File([0xEF, 0xBB, 0xBF] + Array(body.utf8))
            let (streamed, _) = try ScriptFileReader.checksum(path: file.path, relativePath: "V1__x.sql")
            #expect(streamed == Checksum(text: body), "body \(body.debugDescription)")
        }
    }

    @Test("invalid UTF-8 past the first buffer is reported with its line")
    func invalidUTF8Line() throws {
        var bytes = Array(String(repeating: "SELECT 1;\n", count: 40_000).utf8)  // 400 KB, 40,000 lines
        bytes += [0xC3, 0x28, 0x0A]  // a lead byte followed by ASCII: invalid, on line 40,001
        let file = try File(bytes)
        let error = #expect(throws: RunwayError.self) {
            try ScriptFileReader.checksum(path: file.path, relativePath: "V7__bad.sql")
        }
        #expect(error?.message.contains("V7__bad.sql: the file is not valid UTF-8 (line 40001)") == true)
        #expect(error?.line == 40_001)
    }

    @Test("a character cut off by the end of the file is invalid UTF-8")
    func truncatedCharacterAtEnd() throws {
        let file = try File(Array("SELECT 'x".utf8) + [0xE2, 0x82])
        #expect(throws: RunwayError.self) { try ScriptFileReader.checksum(path: file.path, relativePath: "V1__x.sql") }
    }

    @Test("a NUL byte is refused with its line, before any statement could be cut short")
    func nulByte() throws {
        let file = try File(Array("SELECT 1;\nSELECT 2;\nSELECT".utf8) + [0] + Array(" 3;\n".utf8))
        let error = #expect(throws: RunwayError.self) {
            try ScriptFileReader.checksum(path: file.path, relativePath: "V2__nul.sql")
        }
        #expect(error?.message.contains("V2__nul.sql contains a NUL byte at line 3") == true)
        #expect(error?.line == 3)
    }

    @Test("a FIFO named like a migration is refused without blocking")
    func fifo() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fifo-\(UUID().uuidString)").path
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let error = #expect(throws: RunwayError.self) {
            try ScriptFileReader.checksum(path: path, relativePath: "V3__pipe.sql")
        }
        #expect(error?.message.contains("not a regular file") == true)
    }

    @Test("a file edited between the scan and the execution is refused")
    func changedAfterScan() throws {
        let file = try File(Array("SELECT 1;\n".utf8))
        let (checksum, stamp) = try ScriptFileReader.checksum(path: file.path, relativePath: "V1__x.sql")
        let source = ScriptSource.file(path: file.path, relativePath: "V1__x.sql", stamp: stamp, checksum: checksum)
        _ = try ScriptBytes(reading: source, expectedSize: stamp.size)
        try Data("SELECT 2; -- edited\n".utf8).write(to: URL(fileURLWithPath: file.path))
        let error = #expect(throws: RunwayError.self) { try ScriptBytes(reading: source, expectedSize: stamp.size) }
        #expect(error?.message.contains("changed on disk") == true)
    }

    @Test("contains finds a pattern that straddles the pieces a file is read in")
    func containsAcrossWindows() throws {
        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: (2 << 20) + 10)
        let split = (1 << 20) - 1  // "${" starts on the last byte of the first piece
        bytes[split] = UInt8(ascii: "$")
        bytes[split + 1] = UInt8(ascii: "{")
        let file = try File(bytes)
        let (checksum, stamp) = try ScriptFileReader.checksum(path: file.path, relativePath: "V1__x.sql")
        let source = ScriptSource.file(path: file.path, relativePath: "V1__x.sql", stamp: stamp, checksum: checksum)
        #expect(try source.contains("${"))
        #expect(try !source.contains("${y"))
        #expect(try source.contains("${x"))
        #expect(ScriptBytes.holding("a ${b} c").contains("${"))
        #expect(!ScriptBytes.holding("a $ {b} c").contains("${"))
    }

    @Test("COPY data streamed from a file equals what the text parser copies out, across the window's pieces")
    func copyDataStreamed() throws {
        let rows = (0..<40_000).map { "\($0)\tsome 'quoted' text; with -- and /* inside\n" }.joined()
        let script = "CREATE TABLE t (id int, note text);\nCOPY t FROM STDIN;\n" + rows + "\\.\nSELECT 1;\n"
        let file = try File(Array(script.utf8))
        let (checksum, stamp) = try ScriptFileReader.checksum(path: file.path, relativePath: "V1__x.sql")
        let source = ScriptSource.file(path: file.path, relativePath: "V1__x.sql", stamp: stamp, checksum: checksum)
        let streamed = try source.statements(serverMajorVersion: 15, standardConformingStrings: true).all()
        let expected = try SQLScriptParser.parse(script)
        #expect(streamed == expected)
        #expect(expected[1].copyData == rows)
    }

    @Test("an unclosed block comment is reported with its line; a closed nested one is not")
    func unclosedComment() throws {
        func outline(_ text: String) throws -> ScriptOutline {
            try ScriptOutline(
                try ScriptSource.memory(.holding(text), relativePath: "V1__x.sql").statements(
                    serverMajorVersion: 15, standardConformingStrings: true))
        }
        #expect(try outline("SELECT 1;\n/* a /* b */\nSELECT 2;\n").unclosedCommentLine == 2)
        let closed = try outline("SELECT 1;\n/* a /* b */ */\nSELECT 2;\n")
        #expect(closed.unclosedCommentLine == nil)
        #expect(closed.count == 2)
        #expect(try outline("/*/").unclosedCommentLine == 1)
    }
}
