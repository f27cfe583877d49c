import Foundation
import Runway

/// One fuzz target: a parser of untrusted text and the invariants its result must satisfy.
///
/// `run` never throws: errors the parser is documented to throw are fine, anything else (a trap, an overflow, an
/// out-of-bounds index, a broken invariant) stops the process, which is what libFuzzer looks for.
struct FuzzTarget: Sendable {
    /// The name used by `RUNWAY_FUZZ_TARGET`, `scripts/fuzz.sh` and `Fuzz/corpus/<name>/`.
    let name: String
    /// Runs the parser on one input and checks its invariants.
    let run: @Sendable ([UInt8]) -> Void

    /// Every target, in the order `scripts/fuzz.sh` runs them.
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "migration-name", run: migrationName),
        FuzzTarget(name: "version", run: version),
        FuzzTarget(name: "sql-split", run: sqlSplit),
        FuzzTarget(name: "placeholders", run: placeholders),
        FuzzTarget(name: "sql-lexer", run: sqlLexer),
        FuzzTarget(name: "lint", run: lint),
        FuzzTarget(name: "redact", run: redact),
        FuzzTarget(name: "jdbc-url", run: jdbcURL),
        FuzzTarget(name: "conf", run: conf),
        FuzzTarget(name: "toml", run: toml),
        FuzzTarget(name: "config", run: config),
    ]

    /// The target called `name`.
    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

// MARK: - Helpers

/// Stops the process when an invariant does not hold; libFuzzer saves the input as a crash artifact.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

/// The input as text; invalid UTF-8 is repaired with U+FFFD, as `String(decoding:as:)` does for migration files.
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// The number of lines of `text` counting LF, CR LF and lone CR as line ends (an upper bound for every parser).
func lineCount(_ text: String) -> Int { 1 + text.utf8.filter { $0 == 0x0A || $0 == 0x0D }.count }

/// A value no input contains by chance; the redaction oracles check it never appears in output.
let secret = "Zq7SecretPw"

// MARK: - File names and versions

/// `NamingConvention.parse` with Flyway's defaults and with an unusual convention; a parsed version round-trips.
@Sendable func migrationName(_ bytes: [UInt8]) {
    let filename = text(bytes)
    var custom = NamingConvention()
    custom.versionedPrefix = "ver"
    custom.repeatablePrefix = "rep"
    custom.separator = "-"
    custom.suffixes = [".sql", ".psql", ".é"]
    for convention in [NamingConvention(), custom] {
        switch convention.parse(filename) {
        case .migration(let kind, let version, _):
            check((kind == .repeatable) == (version == nil), "\(kind) with version \(String(describing: version))")
            if let version {
                check(!version.text.isEmpty, "empty version text")
                check((try? MigrationVersion(version.text)) == version, "version \(version) does not round-trip")
            }
        case .callback(let event, _):
            check(callbackEvents.contains(event), "unknown callback \(event)")
        case .notSQL, .invalid:
            break
        }
    }
}

/// Two versions (one per line): parsing round-trips, `==` agrees with `hash`, and `<` is a strict total order.
@Sendable func version(_ bytes: [UInt8]) {
    let lines = text(bytes).split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
    let versions = lines.prefix(2).compactMap { try? MigrationVersion($0) }
    for version in versions {
        check(version == version && !(version < version), "\(version) is not equal to itself")
        check((try? MigrationVersion(version.text)) == version, "\(version) does not round-trip")
    }
    guard versions.count == 2 else { return }
    let (a, b) = (versions[0], versions[1])
    let relations = [a < b, b < a, a == b].filter { $0 }.count
    check(relations == 1, "\(a) and \(b): exactly one of <, >, == must hold")
    if a == b { check(a.hashValue == b.hashValue, "\(a) == \(b) but their hashes differ") }
}

// MARK: - SQL

/// `SQLScriptParser.parse` for PostgreSQL 11 and 15: the same statements (only transactionality may differ), lines
/// within the script and in order, no empty statement. Also: the checksum's own UTF-8 validation accepts exactly what
/// the standard library's does.
@Sendable func sqlSplit(_ bytes: [UInt8]) {
    let valid = bytes.withUnsafeBufferPointer { (try? UTF8Span(validating: $0.span)) != nil }
    check((Checksum(utf8Bytes: bytes) != nil) == valid, "Checksum's UTF-8 validation disagrees with UTF8Span")
    let script = text(bytes)
    let lines = lineCount(script)
    var results: [[SQLStatement]] = []
    for major in [11, 15] {
        do {
            let statements = try SQLScriptParser.parse(script, serverMajorVersion: major)
            var previous = 1
            for statement in statements {
                check(!statement.sql.isEmpty, "empty statement at line \(statement.line)")
                check((1...lines).contains(statement.line), "line \(statement.line) outside 1...\(lines)")
                check(statement.line >= previous, "line \(statement.line) after line \(previous)")
                previous = statement.line
            }
            results.append(statements)
        } catch {
            check(error.code == .invalidMigration, "unexpected error \(error.code): \(error)")
            if let line = error.line { check((1...lines).contains(line), "error line \(line) outside 1...\(lines)") }
            results.append([])
        }
    }
    check(
        results[0].map { [$0.sql, String($0.line)] } == results[1].map { [$0.sql, String($0.line)] },
        "PostgreSQL 11 and 15 split differently")
}

/// `PlaceholderReplacer.replace` with the prefix/suffix pair chosen by the first byte: text without the prefix comes
/// back unchanged, valid UTF-8 stays valid, and an error names a line of the text.
@Sendable func placeholders(_ bytes: [UInt8]) {
    let pairs: [(String, String)] = [("${", "}"), ("$", "$"), ("{{", "}}"), ("@", ""), ("«", "»"), ("é", "")]
    let (prefix, suffix) = pairs[Int(bytes.first ?? 0) % pairs.count]
    let script = text(Array(bytes.dropFirst()))
    let replacer = PlaceholderReplacer(
        values: ["a": "1", "Name": "x${a}y", "empty": "", "uni": "ünï", "flyway:x": "no"], prefix: prefix,
        suffix: suffix)
    do {
        let output = try replacer.replace(script, file: "V1__f.sql")
        if !script.contains(prefix) { check(output == script, "text without \(prefix) changed") }
        if !script.contains("\u{FFFD}") { check(!output.contains("\u{FFFD}"), "replacement split a character") }
    } catch {
        check(error.code == .invalidMigration, "unexpected error \(error.code): \(error)")
        check(error.file == "V1__f.sql", "error without the file: \(error)")
        let line = error.line ?? 0
        check((1...lineCount(script)).contains(line), "error line \(line) outside the text")
    }
}

/// The splitter's report of a literal, quoted identifier or comment left open (what `validate --offline` reports as
/// `UNTERMINATED_SQL`): its line is within the text and the same whatever window the script is read in; a complete
/// text followed by an opening quote or comment on a new line is reported at that line.
@Sendable func sqlLexer(_ bytes: [UInt8]) {
    let sql = text(bytes)
    let lines = lineCount(sql)
    func ending(_ text: String, window: Int = 1 << 20) -> Result<SQLScriptParser.Ending, RunwayError> {
        Result { () throws(RunwayError) in try SQLScriptParser.ending(of: text, window: window) }
    }
    // An unfinished BEGIN ATOMIC block is an error of its own, reported by the splitter.
    guard case .success(let whole) = ending(sql) else { return }
    if let open = whole.unterminated {
        check((1...lines).contains(open.line), "line \(open.line) outside 1...\(lines)")
    }
    if case .success(let small) = ending(sql, window: 7) {
        check(small == whole, "the window changes the report")
    } else {
        check(false, "a window of 7 bytes fails where the whole text does not")
    }
    // A NUL opens Flyway's NUL-quoted "identifier", which runs to the next NUL; files holding a NUL are refused before
    // any splitting (ScriptFileReader), so the opener check below does not apply to them.
    guard whole.unterminated == nil, !whole.copyDataRunsToEnd, !sql.utf8.contains(0) else { return }
    let newlines = sql.utf8.filter { $0 == 0x0A }.count
    for (opener, construct) in [("'", "string literal"), ("\"", "quoted identifier"), ("/*", "block comment")] {
        let found = try? ending(sql + "\n" + opener).get().unterminated
        check(
            found?.construct == construct && found?.line == newlines + 2,
            "\(opener) after a complete text: \(String(describing: found))")
    }
}

/// `MigrationLinter.lint`, every rule on and every rule an error: findings name the file and a line of it.
@Sendable func lint(_ bytes: [UInt8]) {
    let script = text(bytes)
    let lines = lineCount(script)
    let strict = (try? MigrationLinter(errors: ["all"])) ?? MigrationLinter()
    for linter in [MigrationLinter(), strict] {
        do {
            for finding in try linter.lint(file: "V1__f.sql", text: script) {
                check(finding.file == "V1__f.sql", "finding for \(finding.file)")
                check((1...lines).contains(finding.line), "finding at line \(finding.line) outside 1...\(lines)")
            }
        } catch {
            check(error.code == .invalidMigration && error.file == "V1__f.sql", "unexpected error: \(error)")
        }
    }
}

// MARK: - Configuration

/// `ConnectionSettings.redact` must hide a password written in any form libpq or pgjdbc accepts, wherever the
/// surrounding (fuzzed) text puts it.
@Sendable func redact(_ bytes: [UInt8]) {
    let other = text(bytes)
    _ = ConnectionSettings.redact(other)
    guard !other.contains(secret), !other.contains("'") else { return }
    // libpq's conninfo grammar: `keyword [ws] = [ws] value`, the value bare or single-quoted with \' and \\ escapes.
    let forms = [
        "host=h \(other) password=\(secret)",
        "password=\(secret) \(other)",
        "host=h password='\(secret)' \(other)",
        "host=h password = \(secret) \(other)",
        "host=h password= \(secret)",
        "host=h password\t=\(secret)",
        "host=h password='it\\'s \(secret)' \(other)",
        "postgresql://user:\(secret)@host/db?\(other)",
        "postgresql://host/db?\(other)&password=\(secret)",
        "postgresql://host/db?pass%77ord=\(secret)&\(other)",
        "jdbc:postgresql://host/db?\(other)&password=\(secret)&ssl=true",
    ]
    for form in forms {
        let shown = ConnectionSettings.redact(form)
        check(!shown.contains(secret), "the password survives redaction of: \(form)\nas: \(shown)")
    }
}

/// `JDBCURL(parsing:setting:)`: parsed ports are valid and errors never show the password.
@Sendable func jdbcURL(_ bytes: [UInt8]) {
    let input = text(bytes)
    guard !input.contains(secret) else { return }
    let withPassword = input + (input.contains("?") ? "&" : "?") + "password=\(secret)"
    for candidate in [input, "jdbc:postgresql:" + input, "jdbc:postgresql://" + withPassword] {
        do {
            let url = try JDBCURL(parsing: candidate, setting: "url")
            check(!url.hosts.isEmpty, "no host in \(candidate)")
            for host in url.hosts {
                check(host.port.map { (1...65535).contains($0) } ?? true, "port \(String(describing: host.port))")
            }
        } catch {
            check(error.code == .configuration, "unexpected error \(error.code): \(error)")
            check(!error.description.contains(secret), "the password is in the error: \(error)")
        }
    }
}

/// `ConfigFiles.parseConf` on any text (it never throws).
@Sendable func conf(_ bytes: [UInt8]) {
    _ = ConfigFiles.parseConf(text(bytes), path: "/work/flyway.conf", environment: ["A": "x", "HOME": "/home/a"])
}

/// `ConfigFiles.parseTOML` on any text (TOMLKit's toml++ parser, then Runway's flattening).
@Sendable func toml(_ bytes: [UInt8]) {
    do {
        _ = try ConfigFiles.parseTOML(text(bytes), path: "/work/flyway.toml")
    } catch {
        check(error.code == .configuration, "unexpected error \(error.code): \(error)")
    }
}

/// Where ``configDirectory`` is: the process's own folder.
let configDirectoryPath = NSTemporaryDirectory() + "runway-fuzz-\(getpid())"

/// A scratch folder for the `config` target's configuration file, created on first use, removed at exit.
let configDirectory: String = {
    try? FileManager.default.createDirectory(atPath: configDirectoryPath, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: configDirectoryPath) }
    return configDirectoryPath
}()

/// `Configuration.load` end to end, the way the CLI calls it.
///
/// Input: one command-line argument per line (`NAME=value` lines are environment variables instead), then
/// optionally a line `--conf--` or `--toml--` followed by the text of `flyway.conf` or `flyway.toml` in the working
/// directory. A password given last on the command line and in `DB_PASSWORD` must never appear in an error or in the
/// connection's description.
@Sendable func config(_ bytes: [UInt8]) {
    let input = text(bytes)
    guard !input.contains(secret) else { return }
    var lines = input.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var file: (name: String, text: String)?
    if let marker = lines.firstIndex(where: { $0 == "--conf--" || $0 == "--toml--" }) {
        let name = lines[marker] == "--conf--" ? "flyway.conf" : "flyway.toml"
        file = (name, lines[(marker + 1)...].joined(separator: "\n"))
        lines.removeSubrange(marker...)
    }
    for name in ["flyway.conf", "flyway.toml"] { unlink(configDirectory + "/" + name) }
    if let file {
        _ = FileManager.default.createFile(atPath: configDirectory + "/" + file.name, contents: Data(file.text.utf8))
    }
    var argv: [String] = []
    var environment: [String: String] = [:]
    for line in lines {
        if let equals = line.firstIndex(of: "="), !line.hasPrefix("-"),
            line[..<equals].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        {
            environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
        } else {
            argv.append(line)
        }
    }
    environment["DB_PASSWORD"] = secret
    let arguments: FlywayArguments
    do {
        arguments = try FlywayArguments(splitting: argv + ["-password=\(secret)"])
    } catch {
        check(error.code == .configuration, "unexpected error \(error.code): \(error)")
        return
    }
    let sources = ConfigurationSources(
        arguments: arguments.settings, environment: environment, workingDirectory: configDirectory,
        homeDirectory: configDirectory + "/home")
    do {
        let configuration = try Configuration.load(sources)
        let description = configuration.connection.redactedDescription
        check(!description.contains(secret), "the password is in the description: \(description)")
    } catch {
        check(!error.description.contains(secret), "the password is in the error: \(error)")
    }
}
