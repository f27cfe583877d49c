#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where and how to connect; mapped onto libpq keyword/value parameters (never a formatted conninfo string).
///
/// Unset values fall back to libpq's own `PG*` environment variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`,
/// `PGSSLMODE`...) and defaults, exactly as `psql` does.
public struct ConnectionSettings: Sendable, Hashable {
    /// A `postgresql://` URI or a libpq conninfo string (`host=... dbname=...`); explicit fields override it. For
    /// a JDBC URL (`jdbc:postgresql://...`) use ``init(url:)``, which takes all three forms.
    public var url: String?
    /// One host or a comma-separated list (`pg-0.pg,pg-1.pg`) for HA: libpq tries them in order.
    public var host: String?
    /// The port of every host (`nil`: libpq's `PGPORT`, or 5432). Reads `nil` when ``ports`` holds one port per
    /// host.
    ///
    /// An `Int` since 0.2 (a `String` before): write `settings.port = 5433`, and ``ports`` for a list.
    public var port: Int? {
        get { ports.count == 1 ? ports[0] : nil }
        set { ports = newValue.map { [$0] } ?? [] }
    }
    /// One port per host of a comma-separated ``host`` list (HA servers on different ports), or a single port for
    /// every host; empty means libpq's default.
    public var ports: [Int] = []
    /// The database name.
    public var database: String?
    /// The login role.
    public var user: String?
    /// The password. Never logged or printed.
    public var password: String?
    /// libpq `sslmode` (`disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`).
    public var sslMode: String?
    /// libpq `sslrootcert`: a PEM file of the CA certificates that sign the server's certificate (checked with
    /// `verify-ca` and `verify-full`), or `system` for the system's trusted roots (libpq 16 or newer).
    public var sslRootCert: String?
    /// libpq `sslcert`: the client certificate (PEM) for certificate authentication.
    public var sslCert: String?
    /// libpq `sslkey`: the private key (PEM) of ``sslCert``; libpq refuses it unless only its owner can read it.
    public var sslKey: String?
    /// libpq `sslpassword`: the passphrase of an encrypted ``sslKey``. Never logged or printed.
    public var sslPassword: String?
    /// libpq `gssencmode` (`disable`, `prefer`, `require`): GSSAPI encryption.
    public var gssEncMode: String?
    /// `application_name` shown in `pg_stat_activity` (default `runway`).
    public var applicationName: String = "runway"
    /// Seconds libpq waits for each host (`connect_timeout`, default 10).
    public var connectTimeout: Int = 10
    /// `target_session_attrs`; Runway asks for `read-write` when migrating so it lands on the primary.
    public var targetSessionAttributes: String?
    /// libpq `options`: server settings for the session, such as `-c search_path=app` (a JDBC URL's `currentSchema`
    /// becomes this). Spaces separate settings; escape a space inside a value as `\ `.
    public var options: String?

    /// Empty settings: libpq's environment and defaults decide.
    public init() {}

    /// Settings from a connection URL, in every form the CLI takes (`--url`, Flyway's `-url=`/`flyway.url`):
    ///
    /// - a JDBC URL, `jdbc:postgresql://pg-0:5432,pg-1:5432/orders?user=app&sslmode=verify-full&currentSchema=app`:
    ///   hosts, ports and database become fields, and its parameters are mapped onto libpq with pgjdbc's meaning
    ///   (`ssl`, `sslmode`, `sslrootcert`, `user`, `password`, `ApplicationName`, `connectTimeout`, `currentSchema`,
    ///   `targetServerType`...);
    /// - a `postgresql://` (or `postgres://`) URI or a libpq conninfo string (`host=db dbname=orders`): kept in ``url``
    ///   for libpq to read.
    ///
    /// Fields set afterwards override the URL's parts (`settings.user = "migrator"`).
    ///
    /// - Throws: ``RunwayError`` `.configuration` saying what is wrong; the URL in the message is redacted.
    public init(url: String) throws(RunwayError) {
        self.init()
        try apply(url: url, setting: "url")
        try validate()
    }

    /// Applies a connection URL (see ``init(url:)``) on top of these settings: a JDBC URL's parts and parameters
    /// replace the matching fields; another URL becomes ``url``.
    ///
    /// - Parameter setting: what to call the URL in errors (`url (--url)`).
    package mutating func apply(url text: String, setting: String) throws(RunwayError) {
        let parameters = try take(url: text, setting: setting)
        var properties: [String: (value: String, origin: String)] = [:]
        for (name, value) in parameters { properties[name] = (value, "url parameter \(name), \(setting)") }
        try JDBCProperties.apply(properties, to: &self)
    }

    /// The part of ``apply(url:setting:)`` that reads the URL: a JDBC URL's hosts, ports and database become fields
    /// and its parameters are returned (the caller maps them, possibly merged with other pgjdbc properties); another
    /// URL is checked for its form and kept in ``url``.
    mutating func take(url text: String, setting: String) throws(RunwayError) -> [(name: String, value: String)] {
        if JDBCURL.isJDBC(text) {
            let jdbc = try JDBCURL(parsing: text, setting: setting)
            host = jdbc.hosts.map(\.name).joined(separator: ",")
            if jdbc.hosts.contains(where: { $0.port != nil }) { ports = jdbc.hosts.map { $0.port ?? 5432 } }
            database = jdbc.database
            return jdbc.parameters
        }
        guard text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") || text.contains("=") else {
            throw .configuration(
                "Invalid \(setting): \(Self.redact(text)) is neither a JDBC URL "
                    + "(jdbc:postgresql://host:5432/database), a postgresql:// URI nor a libpq conninfo string")
        }
        url = text
        return []
    }

    /// The ports a TCP port number can be.
    static let portRange = 1...65535

    /// `5432` or `5432,5433` (spaces allowed around each) as ports, or `nil` when one is not a number from 1 to 65535.
    package static func ports(parsing text: String) -> [Int]? {
        var ports: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let number = Int(item.trimmingSpaces()), portRange.contains(number) else {
                return nil
            }
            ports.append(number)
        }
        return ports
    }

    /// libpq's accepted `sslmode` values.
    public static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// libpq's accepted `gssencmode` values.
    public static let gssEncModes = ["disable", "prefer", "require"]

    /// Checks values that can be checked without connecting.
    ///
    /// - Throws: ``RunwayError`` `.configuration` naming the setting at fault (never echoing a password).
    public func validate() throws(RunwayError) {
        if let url, JDBCURL.isJDBC(url) {
            throw .configuration(
                "Invalid url: \(Self.redact(url)) is a JDBC URL, which libpq cannot read: build the settings with "
                    + "ConnectionSettings(url:) (or Configuration(url:)), which maps it onto libpq")
        }
        if let url {
            switch ConnInfo.parse(url) {
            case .success(let pairs):
                if let port = pairs.first(where: { $0.keyword == "port" }), Self.ports(parsing: port.value) == nil {
                    throw .configuration("Invalid url: \(Self.redact(url)) has an invalid port '\(port.value)'")
                }
            case .failure(let failure):
                var reason = failure.reason
                if let password, !password.isEmpty { reason = reason.replacingEvery(password, with: "***") }
                throw .configuration(
                    "Invalid url: \(Self.redact(url)) is not a valid PostgreSQL URI or "
                        + "conninfo string (\(Self.redact(reason)))")
            }
        }
        if let invalid = ports.first(where: { !Self.portRange.contains($0) }) {
            throw .configuration("Invalid port \(invalid): expected a number between 1 and 65535")
        }
        if ports.count > 1, let host, host.split(separator: ",").count != ports.count {
            throw .configuration(
                "Invalid ports \(ports.map(String.init).joined(separator: ",")): give one port for every host of "
                    + "'\(host)', or a single port for all of them")
        }
        if let sslMode, !Self.sslModes.contains(sslMode) {
            throw .configuration(
                "Invalid sslmode '\(sslMode)': expected one of \(Self.sslModes.joined(separator: ", "))")
        }
        if let gssEncMode, !Self.gssEncModes.contains(gssEncMode) {
            throw .configuration(
                "Invalid gssencmode '\(gssEncMode)': expected one of \(Self.gssEncModes.joined(separator: ", "))")
        }
        if let host,
            host.split(separator: ",", omittingEmptySubsequences: false).contains(where: {
                $0.trimmingSpaces().isEmpty
            })
        {
            throw .configuration("Invalid host '\(host)': empty host name in the list")
        }
    }

    /// The keyword/value pairs for `PQconnectdbParams` (with `expand_dbname` set), url first so fields override.
    func libpqParameters() -> [(String, String)] {
        var parameters: [(String, String)] = []
        if let url { parameters.append(("dbname", url)) }
        if let host {
            parameters.append(
                (
                    "host",
                    host.split(separator: ",").map { $0.trimmingSpaces() }.joined(separator: ",")
                ))
        }
        if !ports.isEmpty { parameters.append(("port", ports.map(String.init).joined(separator: ","))) }
        if let database { parameters.append(("dbname", database)) }
        if let user { parameters.append(("user", user)) }
        if let password { parameters.append(("password", password)) }
        if let sslMode { parameters.append(("sslmode", sslMode)) }
        if let sslRootCert { parameters.append(("sslrootcert", sslRootCert)) }
        if let sslCert { parameters.append(("sslcert", sslCert)) }
        if let sslKey { parameters.append(("sslkey", sslKey)) }
        if let sslPassword { parameters.append(("sslpassword", sslPassword)) }
        if let gssEncMode { parameters.append(("gssencmode", gssEncMode)) }
        if let targetSessionAttributes { parameters.append(("target_session_attrs", targetSessionAttributes)) }
        if let options { parameters.append(("options", options)) }
        parameters.append(("application_name", applicationName))
        parameters.append(("connect_timeout", String(connectTimeout)))
        // TCP keepalives: a runner that vanishes (node lost, pod killed) is detected by the server, which then
        // ends its session and frees the advisory lock.
        parameters += [
            ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
        ]
        return parameters
    }

    /// A description safe to log: host, port, database and user, never the password.
    public var redactedDescription: String {
        var parts: [String] = []
        if let url { parts.append("url=\(Self.redact(url))") }
        if let host { parts.append("host=\(host)") }
        if !ports.isEmpty { parts.append("port=\(ports.map(String.init).joined(separator: ","))") }
        if let database { parts.append("database=\(database)") }
        if let user { parts.append("user=\(user)") }
        if let sslMode { parts.append("sslmode=\(sslMode)") }
        if let sslRootCert { parts.append("sslrootcert=\(sslRootCert)") }
        return parts.isEmpty ? "(libpq defaults)" : parts.joined(separator: " ")
    }

    /// Removes passwords from a URI (`postgresql://u:secret@h`) or conninfo string (`password=secret`).
    ///
    /// Every value of a `password` keyword (any case, also `sslpassword`, letters possibly percent-encoded as libpq
    /// decodes URI keywords) is replaced by `***` in each form libpq and pgjdbc accept: whitespace around `=`, a bare
    /// value (up to whitespace, `&` or `;`) or a single-quoted one with `\'` and `\\` escapes (up to the closing
    /// quote, or the end of the text when there is none).
    public static func redact(_ text: String) -> String {
        var result = text
        // URI userinfo: scheme://user:password@host
        if let schemeRange = result.firstLiteralRange(of: "://"),
            let at = result[schemeRange.upperBound...].firstIndex(of: "@")
        {
            let userinfo = result[schemeRange.upperBound..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                result.replaceSubrange(colon..<at, with: ":***")
            }
        }
        return redactPasswordValues(result)
    }

    /// The `password = value` part of ``redact(_:)``, on UTF-8 bytes: every byte it looks for is ASCII, so the cuts
    /// never split a character.
    private static func redactPasswordValues(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let keyword = Array("password".utf8)
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x41 + 10
            case 0x61...0x66: byte - 0x61 + 10
            default: nil
            }
        }
        /// The end of `password` written at `start` (letters in any case, each possibly `%XX`), or `nil`.
        func keywordEnd(at start: Int) -> Int? {
            var index = start
            for letter in keyword {
                guard index < bytes.count else { return nil }
                var byte = bytes[index]
                var width = 1
                if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hexValue(bytes[index + 1]),
                    let low = hexValue(bytes[index + 2])
                {
                    byte = high << 4 | low
                    width = 3
                }
                guard byte | 0x20 == letter else { return nil }
                index += width
            }
            return index
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var copied = 0
        var index = 0
        while index < bytes.count {
            guard let afterKeyword = keywordEnd(at: index) else {
                index += 1
                continue
            }
            var cursor = afterKeyword
            while cursor < bytes.count, isSpace(bytes[cursor]) { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "=") else {
                index = afterKeyword
                continue
            }
            cursor += 1
            while cursor < bytes.count, isSpace(bytes[cursor]) { cursor += 1 }
            let valueStart = cursor
            if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "'") {
                cursor += 1
                while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "'") {
                    cursor += bytes[cursor] == UInt8(ascii: "\\") ? 2 : 1
                }
                cursor = min(cursor + 1, bytes.count)
            } else {
                while cursor < bytes.count, !isSpace(bytes[cursor]),
                    bytes[cursor] != UInt8(ascii: "&"), bytes[cursor] != UInt8(ascii: ";")
                {
                    cursor += 1
                }
            }
            output += bytes[copied..<valueStart]
            output += Array("***".utf8)
            copied = cursor
            index = cursor
        }
        guard copied > 0 else { return text }
        output += bytes[copied...]
        return String(decoding: output, as: UTF8.self)
    }
}
