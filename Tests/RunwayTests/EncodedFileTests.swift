import Foundation
import Logging
import Testing

@testable import Runway

@Suite("Files in another encoding")
struct EncodedFileTests {
    @Test(
        "an ISO-8859-1 file is read whole through the checked descriptor and decoded", arguments: [0, 1, 4095, 70_000])
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
