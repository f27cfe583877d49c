#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A JSON value with ordered keys and explicit nulls, to print Flyway's JSON shapes field by field.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    /// A finite number (rendered as `null` otherwise: JSON has no NaN or infinity).
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    static func optional(_ value: Int?) -> JSONValue { value.map(JSONValue.int) ?? .null }

    mutating func append(_ key: String, _ value: JSONValue) {
        if case .object(var pairs) = self {
            pairs.append((key, value))
            self = .object(pairs)
        }
    }

    /// Pretty-printed with two-space indentation, like Flyway.
    var pretty: String { rendered(pretty: true) }
    /// On one line.
    var compact: String { rendered(pretty: false) }

    private func rendered(pretty: Bool) -> String {
        var out = ""
        out.reserveCapacity(1 << 12)
        write(into: &out, indent: 0, pretty: pretty)
        return out
    }

    /// Appends the value to one buffer (`info --output json` on ten thousand migrations writes 200,000 fields).
    private func write(into out: inout String, indent: Int, pretty: Bool) {
        func newline(_ level: Int) {
            guard pretty else { return }
            out += "\n"
            for _ in 0..<level { out += "  " }
        }
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .double(let value): out += value.isFinite ? String(value) : "null"
        case .string(let value): Self.quote(value, into: &out)
        case .array(let items):
            if items.isEmpty {
                out += "[ ]"
                return
            }
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                newline(indent + 1)
                item.write(into: &out, indent: indent + 1, pretty: pretty)
            }
            newline(indent)
            out += "]"
        case .object(let pairs):
            if pairs.isEmpty {
                out += "{ }"
                return
            }
            out += "{"
            for (index, (key, value)) in pairs.enumerated() {
                if index > 0 { out += "," }
                newline(indent + 1)
                Self.quote(key, into: &out)
                out += pretty ? " : " : ":"
                value.write(into: &out, indent: indent + 1, pretty: pretty)
            }
            newline(indent)
            out += "}"
        }
    }

    /// Appends `string` as a JSON string literal; text without quotes, backslashes or control characters is copied
    /// as it is.
    static func quote(_ string: String, into out: inout String) {
        out += "\""
        defer { out += "\"" }
        let plain = string.utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        guard !plain else {
            out += string
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20:
                let hex = String(s.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
    }
}
