import Testing

@testable import Runway

@Suite("Java's String.compareTo order on UTF-8 bytes")
struct JavaStringOrderTests {
    /// The reference: Java compares UTF-16 code units.
    private func reference(_ a: String, _ b: String) -> Bool { a.utf16.lexicographicallyPrecedes(b.utf16) }

    @Test(
        "UTF-16 order, not code-point or Swift String order",
        arguments: [
            ("a", "b", true), ("b", "a", false), ("a", "a", false), ("", "a", true), ("a", "", false),
            ("V1__a.sql", "V1__a.sql.conf", true), ("V10__a.sql", "V1__a.sql", true), ("Z", "a", true),
            // U+E000 (UTF-16 E000) sorts after U+10000 (UTF-16 D800 DC00), though its code point is lower.
            ("\u{E000}", "\u{10000}", false), ("\u{10000}", "\u{E000}", true),
            ("x\u{FFFD}y", "x\u{1F600}", false), ("x\u{1F600}", "x\u{FFFD}y", true),
            // Below U+E000 code-point order holds: U+D7FF before U+10000.
            ("\u{D7FF}", "\u{10000}", true), ("é", "\u{10000}", true), ("\u{1F600}", "\u{1F601}", true),
            // Swift's String < treats these canonically equivalent spellings as equal; Java does not.
            ("e\u{301}", "\u{E9}", true), ("\u{E9}", "e\u{301}", false),
        ])
    func vectors(a: String, b: String, less: Bool) {
        #expect(JavaStringOrder.less(a, b) == less)
        #expect(reference(a, b) == less)
    }

    @Test("agrees with the UTF-16 comparison on 50,000 random pairs")
    func randomPairs() {
        // Characters from every UTF-8 length and both sides of the E000/surrogate boundary; short strings from few
        // characters, so that long common prefixes are frequent.
        let alphabet: [Character] = [
            "a", "b", "_", "/", "é", "ß", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{EFFF}", "\u{F000}",
            "\u{FFFD}", "\u{10000}", "\u{1F600}", "\u{10FFFF}", "\u{301}",
        ]
        var state: UInt64 = 0x2026_1121
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        func randomString() -> String { String((0..<next(6)).map { _ in alphabet[next(alphabet.count)] }) }
        var disagreements: [(String, String)] = []
        for _ in 0..<50_000 {
            let a = randomString()
            let b = randomString()
            if JavaStringOrder.less(a, b) != reference(a, b) { disagreements.append((a, b)) }
        }
        #expect(disagreements.isEmpty, "first: \(disagreements.prefix(3))")
    }
}
