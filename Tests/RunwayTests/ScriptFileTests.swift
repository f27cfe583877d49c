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

@Suite("Files in another encoding")
struct EncodedFileTests {
    @Test("an ISO-8859-1 file is read whole through the checked descriptor and decoded", arguments: [0, 1, 4095, 70_000])
    func latin1(size: Int) throws {
        let text = String((0..<size).map { index -> Character in index % 7 == 0 ? "\u{E9}" : "a" })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("latin-\(UUID().uuidString)").path
        try text.data(using: .isoLatin1)!.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try MigrationScanner.load(
            name: NamingConvention().parse("V1__latin.sql"), relativePath: "V1__latin.sql", path: path,
            encoding: "ISO-8859-1")
        #expect(file.decodedText == text)
        #expect(file.rawChecksum == Checksum(text: text))
    }
}

@Suite("UTF-8 validation")
struct UTF8ValidationTests {
    private func standard(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { (try? UTF8Span(validating: $0.span)) != nil }
    }

    private func fast(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) } }

    @Test(
        "the boundaries of table 3-7",
        arguments: [
            ([0x7F], true), ([0xC2, 0x80], true), ([0xC1, 0xBF], false), ([0xC0, 0x80], false),
            ([0xE0, 0xA0, 0x80], true), ([0xE0, 0x9F, 0xBF], false), ([0xED, 0x9F, 0xBF], true),
            ([0xED, 0xA0, 0x80], false), ([0xEF, 0xBF, 0xBF], true), ([0xF0, 0x90, 0x80, 0x80], true),
            ([0xF0, 0x8F, 0xBF, 0xBF], false), ([0xF4, 0x8F, 0xBF, 0xBF], true), ([0xF4, 0x90, 0x80, 0x80], false),
            ([0xF5, 0x80, 0x80, 0x80], false), ([0x80], false), ([0xE2, 0x82], false), ([0xE2, 0x28, 0xA1], false),
        ] as [([UInt8], Bool)])
    func boundaries(bytes: [UInt8], valid: Bool) {
        // Alone, after 40 ASCII bytes (the word-at-a-time loops) and followed by ASCII.
        for input in [bytes, Array(repeating: 0x61, count: 40) + bytes, bytes + Array(repeating: 0x61, count: 9)] {
            #expect(fast(input) == valid, "\(input)")
            #expect(standard(input) == valid, "\(input)")
        }
    }

    @Test("agrees with the standard library on 200,000 random inputs")
    func differential() {
        let edges: [UInt8] = [
            0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF,
            0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ]
        var state: UInt64 = 0x5EED_2026
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var disagreements: [[UInt8]] = []
        for _ in 0..<200_000 {
            var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: next(70))  // reaches the 32- and 8-byte loops
            for _ in 0..<next(8) {
                switch next(3) {
                case 0: bytes.append(edges[next(edges.count)])
                case 1: bytes.append(UInt8(next(256)))
                default:
                    let scalar = Unicode.Scalar(UInt32(next(0x11_0000))) ?? "?"
                    bytes += Array(String(Character(scalar)).utf8)
                }
                if next(4) == 0 { bytes += [UInt8](repeating: 0x41, count: next(12)) }
            }
            if fast(bytes) != standard(bytes) { disagreements.append(bytes) }
        }
        #expect(disagreements.isEmpty, "first: \(disagreements.prefix(3))")
    }
}

@Suite("Walking migration folders")
struct FolderWalkTests {
    final class Tree {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("walk-\(UUID().uuidString)").path
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        func file(_ name: String, _ text: String = "SELECT 1;\n") throws {
            let url = URL(fileURLWithPath: path + "/" + name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        func link(_ name: String, to target: String) throws {
            try FileManager.default.createSymbolicLink(atPath: path + "/" + name, withDestinationPath: target)
        }
        func scan() throws -> (ScanResult, [RunwayError]) {
            try MigrationScanner(
                locations: [path], naming: NamingConvention(), failOnMissingLocations: true,
                logger: Logger(label: "test")
            ).scanCollectingErrors()
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test("links to a folder being walked are reported, not followed; other folder links are followed")
    func loops() throws {
        let tree = try Tree()
        let shared = try Tree()
        try tree.file("V1__a.sql")
        try tree.file("sub/V2__b.sql")
        try shared.file("V3__c.sql")
        try tree.link("self", to: ".")
        try tree.link("sub/up", to: "..")
        try tree.link("shared", to: shared.path)
        let (result, errors) = try tree.scan()
        #expect(result.migrations.map(\.relativePath).sorted() == ["V1__a.sql", "shared/V3__c.sql", "sub/V2__b.sql"])
        #expect(errors.compactMap(\.file).sorted() == ["self", "sub/up"])
        #expect(errors.allSatisfy { $0.message.hasPrefix("Folder loop: \(tree.path)/") })
    }

    @Test("a broken link named like a migration is an error; one named otherwise is ignored")
    func brokenLinks() throws {
        let tree = try Tree()
        try tree.file("V1__a.sql")
        try tree.link("V2__gone.sql", to: tree.path + "/missing.sql")
        try tree.link("notes.txt", to: tree.path + "/missing.txt")
        let (result, errors) = try tree.scan()
        #expect(result.migrations.map(\.relativePath) == ["V1__a.sql"])
        #expect(errors.map(\.file) == ["V2__gone.sql"])
        #expect(errors.first?.message.contains("symbolic link whose target does not exist") == true)
    }

    @Test("a folder named like a migration is reported as an invalid name, and still walked")
    func folderNamedLikeMigration() throws {
        let tree = try Tree()
        try tree.file("V2__x.sql/V3__inside.sql")
        let (result, errors) = try tree.scan()
        #expect(errors.isEmpty)
        #expect(result.migrations.map(\.relativePath) == ["V2__x.sql/V3__inside.sql"])
        #expect(result.invalidNames == ["\(tree.path)/V2__x.sql is a folder, not a migration file (its name looks like a migration)"])
    }
}
