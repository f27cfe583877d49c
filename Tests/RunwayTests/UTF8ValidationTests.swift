import Foundation
import Logging
import Testing

@testable import Runway

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
