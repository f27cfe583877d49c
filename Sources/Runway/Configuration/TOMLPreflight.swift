/// A check run before a TOML document reaches TOMLKit, for input its bundled toml++ 3.4.0 cannot reject safely.
///
/// Two of toml++'s parsing functions state what their first character must be (`TOML_ASSERT_ASSUME`) while their
/// callers do not check it. A build without `NDEBUG` then aborts the whole process (`assert`), and a build with it
/// runs into undefined behaviour (`__builtin_assume`):
///
/// * `parse_table_header()` calls `parse_key()` on whatever follows `[` or `[[` and optional spaces or tabs, but a
///   key must start with a bare-key character or a quote: `[` followed by a line break, `#`, `{`, a third `[` or a
///   non-ASCII letter crashes (fixed upstream in marzer/tomlplusplus#301);
/// * `parse_array()` calls `parse_value()` on a `}` where a value should be (`a = [}`, `a = [1, }`);
/// * `parse_date_time()` calls `parse_time()` after the `T` of `YYYY-MM-DDT` without checking that a digit follows
///   (`a = 1979-05-27T:`).
///
/// Both are reported here as ordinary syntax errors, before TOMLKit sees the text. So is a NUL escape (`\u0000`,
/// `\U00000000`) in a basic string: TOMLKit hands strings over as C strings, so `table = "hi\u0000x"` would
/// silently become `hi` (``SettingRule/rejectNUL(_:setting:source:)`` is the same rule for the other sources).
///
/// The scan follows toml++'s document loop: a `[` is a table header when it is the first character of a line other
/// than spaces and tabs, outside strings, comments and multi-line values (arrays and inline tables).
enum TOMLPreflight {
    /// Where the document has a construct toml++ cannot reject safely.
    struct Problem: Sendable, Equatable {
        /// 1-based line of the offending character.
        var line: Int
        /// 1-based column of that character, in Unicode scalars.
        var column: Int
        /// What was expected and what was found, for the error message.
        var message: String
    }

    /// The first construct toml++ would crash on, or `nil` when toml++ can report every error itself.
    static func firstProblem(in text: String) -> Problem? {
        let scalars = Array(text.unicodeScalars)
        var index = scalars.first == "\u{FEFF}" ? 1 : 0
        var open: [Unicode.Scalar] = []  // open arrays and inline tables of the current value, innermost last
        var atLineStart = true
        var previous: Unicode.Scalar = "\n"  // the last character outside blanks, line breaks and comments
        func isBlank(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" }
        func startsWith(_ quote: Unicode.Scalar, count: Int, at position: Int) -> Bool {
            position + count <= scalars.count && scalars[position..<(position + count)].allSatisfy { $0 == quote }
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\n" {
                atLineStart = true
                index += 1
                continue
            }
            if isBlank(scalar) {
                index += 1
                continue
            }
            let lineStart = atLineStart
            atLineStart = false
            let isValueStart = previous == "=" || (open.last == "[" && (previous == "[" || previous == ","))
            if scalar != "#" { previous = scalar }
            switch scalar {
            case "#":
                while index < scalars.count, scalars[index] != "\n" { index += 1 }
            case "\"", "'":
                let escapes = scalar == "\""
                let delimiter = startsWith(scalar, count: 3, at: index) ? 3 : 1
                index += delimiter
                while index < scalars.count {
                    if escapes && scalars[index] == "\\" {
                        if isNULEscape(scalars, at: index) {
                            return problem(
                                scalars, at: index, "a NUL byte (\\u0000) in a string would cut the value short")
                        }
                        index += 2
                    } else if startsWith(scalar, count: delimiter, at: index) {
                        index += delimiter
                        // A multi-line string may end with one or two quotes right before its delimiter.
                        var extra = 0
                        while delimiter == 3, extra < 2, index < scalars.count, scalars[index] == scalar {
                            index += 1
                            extra += 1
                        }
                        break
                    } else if delimiter == 1 && scalars[index] == "\n" {
                        break  // toml++ rejects the unterminated string; resynchronise on the next line
                    } else {
                        index += 1
                    }
                }
            case "[" where lineStart && open.isEmpty:
                if let position = badHeaderKey(scalars, afterBracketAt: index) {
                    return problem(
                        scalars, at: position, "expected a table name after '[', saw '\(shown(scalars[position]))'")
                }
                previous = "]"  // a header's bracket opens no value
                index += 1
            case "0"..."9" where isValueStart:
                if let position = timelessDateTime(scalars, at: index) {
                    let found = shown(scalars[position])
                    return problem(scalars, at: position, "expected a time after 'T' in a date-time, saw '\(found)'")
                }
                if let position = spacedOneDigitTime(scalars, at: index) {
                    let found = shown(scalars[position])
                    return problem(
                        scalars, at: position, "expected a two-digit hour after the date in a date-time, saw '\(found)'")
                }
                index += 1
            case "[", "{":
                open.append(scalar)
                index += 1
            case "}" where open.last == "[":
                return problem(scalars, at: index, "expected a value or closing ']' in an array, saw '}'")
            case "]", "}":
                _ = open.popLast()
                index += 1
            default:
                index += 1
            }
        }
        return nil
    }

    /// Follows `parse_table_header()` from the `[` at `bracket` up to the point where it calls `parse_key()`; returns
    /// the position of a character `parse_key()` cannot start with.
    private static func badHeaderKey(_ scalars: [Unicode.Scalar], afterBracketAt bracket: Int) -> Int? {
        func skipBlanks(from start: Int) -> Int {
            var position = start
            while position < scalars.count, scalars[position] == " " || scalars[position] == "\t" { position += 1 }
            return position
        }
        var position = skipBlanks(from: bracket + 1)
        guard position < scalars.count else { return nil }  // toml++ reports the end of the file itself
        if scalars[position] == "[" {
            guard position == bracket + 1 else { return nil }  // "[ [": toml++ reports the split brackets
            position = skipBlanks(from: position + 1)
            guard position < scalars.count else { return nil }
        }
        let first = scalars[position]
        let isKeyStart =
            first == "]" || first == "\"" || first == "'" || first == "-" || first == "_"
            || ("a"..."z").contains(first) || ("A"..."Z").contains(first) || ("0"..."9").contains(first)
        return isKeyStart ? nil : position  // "]" is toml++'s "blank bare keys" error
    }

    /// Whether the backslash at `start` begins `\u0000` or `\U00000000`.
    private static func isNULEscape(_ scalars: [Unicode.Scalar], at start: Int) -> Bool {
        guard start + 1 < scalars.count else { return false }
        let digits = scalars[start + 1] == "u" ? 4 : scalars[start + 1] == "U" ? 8 : 0
        guard digits > 0, start + 1 + digits < scalars.count else { return false }
        return scalars[(start + 2)...(start + 1 + digits)].allSatisfy { $0 == "0" }
    }

    /// The position after `?????-??-?? D` at `start` when a value terminator follows that single digit: toml++ takes
    /// ten characters with `-` at offsets 4 and 7, a space and a digit for a date and a time, and asserts in
    /// `parse_value()` when the time ends after one digit (`a = 1979-05-27 4`; found by the `toml` fuzz target).
    private static func spacedOneDigitTime(_ scalars: [Unicode.Scalar], at start: Int) -> Int? {
        let after = start + 12
        guard after < scalars.count, scalars[start + 4] == "-", scalars[start + 7] == "-", scalars[start + 10] == " ",
            ("0"..."9").contains(scalars[start + 11])
        else { return nil }
        let terminators: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r", "#", ",", "]", "}"]
        return terminators.contains(scalars[after]) ? after : nil
    }

    /// The position after `YYYY-MM-DDT` (or `t`) at `start` when a character other than a digit follows there.
    private static func timelessDateTime(_ scalars: [Unicode.Scalar], at start: Int) -> Int? {
        let shape = Array("dddd-dd-ddT".unicodeScalars)
        guard start + shape.count < scalars.count else { return nil }
        for (offset, expected) in shape.enumerated() {
            let scalar = scalars[start + offset]
            switch expected {
            case "d": guard ("0"..."9").contains(scalar) else { return nil }
            case "T": guard scalar == "T" || scalar == "t" else { return nil }
            default: guard scalar == expected else { return nil }
            }
        }
        let after = start + shape.count
        return ("0"..."9").contains(scalars[after]) ? nil : after
    }

    private static func problem(_ scalars: [Unicode.Scalar], at position: Int, _ message: String) -> Problem {
        var line = 1
        var column = 1
        for scalar in scalars[(scalars.first == "\u{FEFF}" ? 1 : 0)..<position] {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return Problem(line: line, column: column, message: message)
    }

    /// A character as a message shows it: control characters escaped (`\n`, `\r`, `\u{0}`).
    private static func shown(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": "\\n"
        case "\r": "\\r"
        case "\t": "\\t"
        default: scalar.properties.generalCategory == .control ? scalar.escaped(asASCII: true) : String(scalar)
        }
    }
}
