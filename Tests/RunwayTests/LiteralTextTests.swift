import Foundation
import Testing

@testable import Runway

/// The string operations Runway has instead of Foundation's (`LiteralText.swift`), against Foundation's own results.
@Suite("string operations without Foundation")
struct LiteralTextTests {
    static let samples = [
        "", " ", "\t", "plain", "  both ends  ", "\t tab and space \t", "\n\r line breaks \r\n", "\u{00A0}nbsp\u{3000}",
        "\u{2028}separators\u{2029}", "\u{0085}next line\u{000B}\u{000C}", "inner  space stays", "é\u{301} ",
    ]

    @Test("trimmingSpaces is trimmingCharacters(in: .whitespaces)", arguments: samples)
    func trimmingSpaces(text: String) {
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
        #expect(text[...].trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
    }

    @Test("trimmingWhitespace is trimmingCharacters(in: .whitespacesAndNewlines)", arguments: samples)
    func trimmingWhitespace(text: String) {
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("replacingEvery replaces every occurrence, left to right, without overlaps")
    func replacingEvery() {
        #expect("a_b_c".replacingEvery("_", with: ".") == "a.b.c")
        #expect("aaa".replacingEvery("aa", with: "b") == "ba")
        #expect("\r\n\r".replacingEvery("\r\n", with: "\n") == "\n\r")
        #expect("secret in secret".replacingEvery("secret", with: "***") == "*** in ***")
        #expect("unchanged".replacingEvery("x", with: "y") == "unchanged")
        #expect("unchanged".replacingEvery("", with: "y") == "unchanged")
        #expect("short".replacingEvery("longer than the text", with: "y") == "short")
    }

    @Test("a quote followed by a combining mark is still a quote when quoting SQL")
    func quoteBeforeCombiningMark() {
        // One grapheme cluster ("'" + U+0301): a comparison by Characters would leave this quote single.
        #expect(quoteLiteral("it'\u{301}s") == "'it''\u{301}s'")
        #expect(quoteIdentifier("a\"\u{301}b") == "\"a\"\"\u{301}b\"")
    }

    @Test("firstLiteralRange finds what range(of:) finds")
    func firstLiteralRange() {
        for (text, needle) in [("a ${x} ${y}", "${"), ("no match", "${"), ("--", "--"), ("x://y@z", "://"), ("", "a")] {
            let ours = text.firstLiteralRange(of: needle).map { NSRange($0, in: text) }
            let foundation = text.range(of: needle).map { NSRange($0, in: text) }
            #expect(ours == foundation, "\(text) / \(needle)")
        }
        let text = "abc abc"
        let second = text.firstLiteralRange(of: "abc", in: text.index(after: text.startIndex)..<text.endIndex)
        #expect(second.map { text.distance(from: text.startIndex, to: $0.lowerBound) } == 4)
        let firstTwo = text.startIndex..<text.index(text.startIndex, offsetBy: 2)
        #expect(text.firstLiteralRange(of: "abc", in: firstTwo) == nil)
    }

    @Test(
        "removingPercentEncoding() decodes as Foundation's removingPercentEncoding",
        arguments: ["plain", "a%20b", "%41%42%43", "%e2%82%AC", "100%", "%4", "%zz", "%FF", "%C3%A9t%C3%A9", "%2B+"])
    func percentDecoding(text: String) {
        #expect(text.removingPercentEncoding() == text.removingPercentEncoding)
    }
}
