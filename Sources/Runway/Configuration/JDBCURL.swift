#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A PostgreSQL JDBC URL, parsed as pgjdbc's `Driver.parseURL` does (flyway-compat.md §12.3).
///
/// Forms: `jdbc:postgresql://host1[:port][,host2[:port]...]/database?key=value&...`, `jdbc:postgresql:database`
/// and `jdbc:postgresql:/` (both `localhost:5432`, as in pgjdbc). `jdbc:p6spy:postgresql:` and
/// `jdbc:aws-wrapper:postgresql:` wrap the same URL. Hosts may be IPv6 literals in brackets (`[::1]:5432`). The
/// database and parameter values are URL-decoded like Java's `URLDecoder` (`+` is a space). A parameter without
/// `=` has the empty value; a repeated parameter keeps the last value.
package struct JDBCURL: Sendable, Equatable {
    /// One `host[:port]` of the host list.
    package struct Host: Sendable, Equatable {
        /// Host name or address (IPv6 without brackets).
        package var name: String
        /// The port, when written.
        package var port: Int?
    }

    /// Hosts in connection order.
    package var hosts: [Host]
    /// The database; `nil` means the server's default (the user name).
    var database: String?
    /// Query parameters in the order written.
    var parameters: [(name: String, value: String)]

    /// Prefixes that wrap a plain `jdbc:postgresql:` URL.
    static let wrapperPrefixes = ["jdbc:p6spy:postgresql:", "jdbc:aws-wrapper:postgresql:"]

    /// Whether `text` is a JDBC URL (any database), as opposed to a `postgresql://` URI or conninfo string.
    static func isJDBC(_ text: String) -> Bool { text.hasPrefix("jdbc:") }

    /// Parses a PostgreSQL JDBC URL.
    ///
    /// - Parameter setting: what to call the value in errors (`url (set by environment variable FLYWAY_URL)`).
    /// - Throws: ``RunwayError`` `.configuration` naming the setting; the URL in the message is redacted.
    package init(parsing text: String, setting: String) throws(RunwayError) {
        let shown = ConnectionSettings.redact(text)
        var rest: Substring
        if text.hasPrefix("jdbc:postgresql:") {
            rest = text.dropFirst("jdbc:postgresql:".count)
        } else if let wrapper = Self.wrapperPrefixes.first(where: { text.hasPrefix($0) }) {
            rest = text.dropFirst(wrapper.count)
        } else {
            throw .configuration(
                "Invalid \(setting): \(shown) is not a PostgreSQL JDBC URL; Runway connects to PostgreSQL only "
                    + "(jdbc:postgresql://host:5432/database)")
        }
        // Delimiters are found among Unicode scalars, not Characters: a mark that joins the next character into one
        // grapheme (U+06DD before `?`) must not hide the `?` and leave the query, password included, in the host.
        var query: Substring = ""
        if let (before, after) = Self.cut(rest, at: "?") {
            query = after
            rest = before
        }
        if rest.unicodeScalars.starts(with: "//".unicodeScalars) {
            rest = Substring(rest.unicodeScalars.dropFirst(2))
            let hostList: Substring
            if let (before, after) = Self.cut(rest, at: "/") {
                hostList = before
                let name = try Self.decode(after, what: "database", shown, setting)
                database = name.isEmpty ? nil : name
            } else {
                hostList = rest
                database = nil
            }
            if hostList.unicodeScalars.contains("@") {
                throw .configuration(
                    "Invalid \(setting): \(shown): pgjdbc URLs carry no user:password@; use ?user=...&password=... "
                        + "or the user and password settings")
            }
            hosts = []
            for item in hostList.unicodeScalars.split(separator: ",", omittingEmptySubsequences: false) {
                hosts.append(try Self.host(Substring(item), shown, setting))
            }
        } else {
            // jdbc:postgresql:database and jdbc:postgresql:/ mean localhost:5432 in pgjdbc.
            let path = rest.unicodeScalars.first == "/" ? Substring(rest.unicodeScalars.dropFirst()) : rest
            let name = try Self.decode(path, what: "database", shown, setting)
            hosts = [Host(name: "localhost", port: 5432)]
            database = name.isEmpty ? nil : name
        }
        parameters = []
        for scalars in query.unicodeScalars.split(separator: "&") {
            let pair = Substring(scalars)
            let name: Substring
            let value: Substring
            if let (before, after) = Self.cut(pair, at: "=") {
                name = before
                value = after
            } else {
                name = pair
                value = ""
            }
            guard !name.isEmpty else { continue }
            parameters.append((String(name), try Self.decode(value, what: "parameter \(name)", shown, setting)))
        }
    }

    package static func == (lhs: JDBCURL, rhs: JDBCURL) -> Bool {
        lhs.hosts == rhs.hosts && lhs.database == rhs.database
            && lhs.parameters.map(\.name) == rhs.parameters.map(\.name)
            && lhs.parameters.map(\.value) == rhs.parameters.map(\.value)
    }

    /// `text` split around the first (or last) `delimiter` scalar.
    private static func cut(
        _ text: Substring, at delimiter: Unicode.Scalar, last: Bool = false
    ) -> (Substring, Substring)? {
        let scalars = text.unicodeScalars
        guard let index = last ? scalars.lastIndex(of: delimiter) : scalars.firstIndex(of: delimiter) else {
            return nil
        }
        return (Substring(scalars[..<index]), Substring(scalars[scalars.index(after: index)...]))
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`; an empty host is `localhost`. Parts quoted in errors are redacted
    /// like the URL.
    private static func host(_ item: Substring, _ shown: String, _ setting: String) throws(RunwayError) -> Host {
        var name = item
        var portText: Substring?
        let quoted = { (part: Substring) in ConnectionSettings.redact(String(part)) }
        if item.unicodeScalars.first == "[" {
            guard let (_, rest) = cut(item, at: "["), let (inside, after) = cut(rest, at: "]") else {
                throw .configuration("Invalid \(setting): \(shown): unterminated IPv6 address '\(quoted(item))'")
            }
            name = inside
            if after.unicodeScalars.first == ":" {
                portText = Substring(after.unicodeScalars.dropFirst())
            } else if !after.isEmpty {
                throw .configuration(
                    "Invalid \(setting): \(shown): unexpected '\(quoted(after))' after '\(quoted(name))'")
            }
        } else if let (before, after) = cut(item, at: ":", last: true) {
            name = before
            portText = after
        }
        var port: Int?
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw .configuration(
                    "Invalid \(setting): \(shown) has an invalid port '\(quoted(portText))' (expected 1 to 65535)")
            }
            port = number
        }
        return Host(name: name.isEmpty ? "localhost" : String(name), port: port)
    }

    /// Java's `URLDecoder.decode`: `+` is a space, `%XX` are UTF-8 bytes.
    private static func decode(
        _ text: Substring, what: String, _ shown: String, _ setting: String
    ) throws(RunwayError) -> String {
        let spaced = text.replacingEvery("+", with: " ")
        guard let decoded = spaced.removingPercentEncoding() else {
            throw .configuration("Invalid \(setting): \(shown): the \(what) is not valid URL encoding")
        }
        return decoded
    }
}

// MARK: - pgjdbc properties onto libpq

/// pgjdbc connection properties and how Runway maps them onto libpq.
enum JDBCProperties {
    /// Properties that are libpq settings of the same meaning, and the ``ConnectionSettings`` field each sets.
    static let libpqFields: [(String, WritableKeyPath<ConnectionSettings, String?> & Sendable)] = [
        ("sslrootcert", \.sslRootCert), ("sslcert", \.sslCert), ("sslkey", \.sslKey), ("sslpassword", \.sslPassword),
        ("gssEncMode", \.gssEncMode),
    ]

    /// Properties Runway maps; everything else is ignored (with a debug log by the caller).
    static let mapped = Set([
        "user", "password", "ssl", "sslmode", "sslfactory", "ApplicationName", "connectTimeout", "currentSchema",
        "options", "targetServerType",
    ]).union(libpqFields.map(\.0))

    /// pgjdbc's `targetServerType` values onto libpq's `target_session_attrs` (`nil`: libpq's default, `any`).
    static func targetSessionAttributes(forTargetServerType value: String) -> String?? {
        switch value {
        case "any": .some(nil)
        case "primary", "master": "read-write"
        case "secondary", "slave", "standby": "standby"
        case "preferSecondary", "preferSlave", "preferStandby": "prefer-standby"
        case "preferPrimary": .some(nil)  // libpq has no prefer-primary; hosts are tried in order
        default: nil
        }
    }

    /// Applies the effective pgjdbc properties to `settings`.
    ///
    /// `ssl=true` (or `ssl` with no value) without `sslmode` means `verify-full`, as in pgjdbc (libpq's `require`
    /// would silently drop the certificate check); with `sslfactory=org.postgresql.ssl.NonValidatingFactory` it is
    /// `require`. `currentSchema` becomes `options=-c search_path=<value>` (spaces and backslashes escaped for libpq),
    /// after any `options` value. `sslrootcert`, `sslcert`, `sslkey`, `sslpassword` and `gssEncMode` set the
    /// matching fields (libpq keywords, so they also override the same keys of a `postgresql://` url); an empty value
    /// leaves the field unset, and pgjdbc's `gssEncMode=allow` is libpq's `prefer`.
    ///
    /// - Parameters:
    ///   - properties: name → (value, what to call it in errors).
    /// - Throws: ``RunwayError`` `.configuration` naming the property and where it was set; never a password.
    static func apply(
        _ properties: [String: (value: String, origin: String)], to settings: inout ConnectionSettings
    ) throws(RunwayError) {
        if let user = properties["user"] { settings.user = user.value }
        if let password = properties["password"] { settings.password = password.value }
        if let mode = properties["sslmode"] {
            guard ConnectionSettings.sslModes.contains(mode.value) else {
                throw .configuration(
                    "Invalid sslmode '\(mode.value)' (\(mode.origin)): expected one of "
                        + ConnectionSettings.sslModes.joined(separator: ", "))
            }
            settings.sslMode = mode.value
        } else if let ssl = properties["ssl"], ssl.value.isEmpty || ssl.value.lowercased() == "true" {
            let factory = properties["sslfactory"]?.value ?? ""
            settings.sslMode = factory.hasSuffix("NonValidatingFactory") ? "require" : "verify-full"
        }
        if let name = properties["ApplicationName"] { settings.applicationName = name.value }
        if let timeout = properties["connectTimeout"] {
            guard let seconds = Int(timeout.value.trimmingSpaces()), seconds >= 0 else {
                throw .configuration(
                    "Invalid connectTimeout '\(timeout.value)' (\(timeout.origin)): expected a number of seconds")
            }
            settings.connectTimeout = seconds
        }
        if let type = properties["targetServerType"] {
            guard let attributes = targetSessionAttributes(forTargetServerType: type.value) else {
                throw .configuration(
                    "Invalid targetServerType '\(type.value)' (\(type.origin)): expected any, primary, secondary, "
                        + "preferSecondary or preferPrimary")
            }
            settings.targetSessionAttributes = attributes
        }
        var options = properties["options"].map(\.value) ?? settings.options
        if let schema = properties["currentSchema"], !schema.value.isEmpty {
            let escaped = schema.value.replacingEvery("\\", with: "\\\\")
                .replacingEvery(" ", with: "\\ ")
            options = [options, "-c search_path=\(escaped)"].compactMap { $0 }.filter { !$0.isEmpty }
                .joined(separator: " ")
        }
        settings.options = options
        for (name, field) in libpqFields {
            guard let property = properties[name], !property.value.isEmpty else { continue }
            settings[keyPath: field] = property.value
        }
        if let mode = properties["gssEncMode"], !mode.value.isEmpty {
            let value = mode.value == "allow" ? "prefer" : mode.value
            guard ConnectionSettings.gssEncModes.contains(value) else {
                throw .configuration(
                    "Invalid gssEncMode '\(mode.value)' (\(mode.origin)): expected disable, allow, prefer or require")
            }
            settings.gssEncMode = value
        }
    }
}
