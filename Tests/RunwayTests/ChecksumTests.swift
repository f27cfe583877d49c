import Testing

@testable import Runway

@Suite("Checksum (Flyway §2 vectors)")
struct ChecksumTests {
    @Test(
        "matches Flyway's checksum",
        arguments: [
            ("CREATE TABLE t (id int);\n", 92_137_680),
            ("CREATE TABLE t (id int);", 92_137_680),
            ("CREATE TABLE t (id int);\r\n", 92_137_680),
            ("\u{FEFF}CREATE TABLE t (id int);\n", 92_137_680),
            ("", 0),
            ("\n\n", 0),
            ("CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n", 169_406_234),
            ("CREATE TABLE t (id int);\r\nINSERT INTO t VALUES (1);\r\n", 169_406_234),
            ("CREATE TABLE t (id int);INSERT INTO t VALUES (1);", 169_406_234),
            ("-- ünïcödé\nSELECT 'é';\n", 1_307_468_723),
            ("SELECT 1;\rSELECT 2;\r", -1_665_099_012),
            ("CREATE TABLE a (id int);\n", -623_083_431),
            ("CREATE TABLE b (id int);\n", 1_128_195_672),
            ("CREATE TABLE c (id int);\n", -2_102_380_136),
            ("CREATE TABLE t2 (id int);\r\nINSERT INTO t VALUES (1);\r\n", -1_633_309_900),
            ("\u{FEFF}CREATE TABLE u (id int);\n", -990_693_616),
            ("VACUUM a;\nVACUUM nosuchtable;\n", -73_218_018),
            ("CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n", -956_080_171),
            ("CREATE OR REPLACE VIEW v AS SELECT 42 AS x;\n", -946_010_551),
            ("CREATE OR REPLACE VIEW v AS SELECT ${x} AS x;\n", 769_116_188),
            ("abc\ndef efg\nxyz", 989_464_445),
            ("abc\r\ndef efg\nxyz\r\n", 989_464_445),
        ] as [(String, Int32)])
    func vector(text: String, expected: Int32) {
        #expect(Checksum(text: text).value == expected)
        #expect(Checksum(utf8Bytes: Array(text.utf8))?.value == expected)
    }

    @Test("leading and trailing spaces matter")
    func spacesMatter() {
        #expect(Checksum(text: "SELECT 1;").value != Checksum(text: " SELECT 1;").value)
    }

    @Test("a BOM is only dropped at the start")
    func bomOnlyAtStart() {
        #expect(Checksum(text: "a\u{FEFF}b").value != Checksum(text: "ab").value)
    }

    @Test(
        "invalid UTF-8 has no checksum", arguments: [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] as [[UInt8]])
    func invalidUTF8(bytes: [UInt8]) {
        #expect(Checksum(utf8Bytes: Array("SELECT ".utf8) + bytes) == nil)
    }
}
