import Foundation

/// A JSON value with ordered keys and explicit nulls, to print Flyway's JSON shapes field by field.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
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
    var pretty: String { render(indent: 0, pretty: true) }
    /// On one line.
    var compact: String { render(indent: 0, pretty: false) }

    private func render(indent: Int, pretty: Bool) -> String {
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let closePad = pretty ? String(repeating: "  ", count: indent) : ""
        let newline = pretty ? "\n" : ""
        let colon = pretty ? " : " : ":"
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .string(let value): return Self.quote(value)
        case .array(let items):
            if items.isEmpty { return "[ ]" }
            let body = items.map { pad + $0.render(indent: indent + 1, pretty: pretty) }
            return "[" + newline + body.joined(separator: "," + newline) + newline + closePad + "]"
        case .object(let pairs):
            if pairs.isEmpty { return "{ }" }
            let body = pairs.map { pad + Self.quote($0.0) + colon + $0.1.render(indent: indent + 1, pretty: pretty) }
            return "{" + newline + body.joined(separator: "," + newline) + newline + closePad + "}"
        }
    }

    static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20: out += String(format: "\\u%04x", s.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
