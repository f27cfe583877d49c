#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Runway's DDL safety policy (beyond Flyway; off by default for Flyway parity).
///
/// A migration that needs an `ACCESS EXCLUSIVE` lock (most `ALTER TABLE`s) waits behind any long query on the table,
/// and while it waits every other query on that table queues behind it: the application's writes stop. With a
/// `lockTimeout`, the migration gives up waiting after that long (SQLSTATE 55P03), rolls back, and is retried after
/// a back-off (1, 2, 4... s) up to `lockTimeoutRetries` times, so the application's traffic flows between tries.
///
/// Recommended for production: `lockTimeout` of a few seconds (`--lock-timeout 5s`) with a handful of retries, and a
/// `statementTimeout` above your slowest expected migration statement.
public struct DDLSafetyPolicy: Sendable, Hashable {
    /// `lock_timeout` for each migration, in milliseconds (`nil`: the server's setting).
    public var lockTimeoutMilliseconds: Int?
    /// `statement_timeout` for each migration statement, in milliseconds (`nil`: the server's setting).
    public var statementTimeoutMilliseconds: Int?
    /// How often a transactional migration that hit `lock_timeout` is retried.
    public var lockTimeoutRetries = 3

    /// Off: the server's settings apply, as in Flyway.
    public init() {}

    /// Parses `500ms`, `5s`, `2min` or a bare number of milliseconds.
    public static func milliseconds(_ text: String, setting: String) throws(RunwayError) -> Int {
        let trimmed = text.trimmingSpaces().lowercased()
        let units: [(String, Int)] = [("ms", 1), ("min", 60_000), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            if let value = Double(trimmed.dropLast(suffix.count)), value >= 0 { return Int(value * Double(factor)) }
        }
        if let value = Int(trimmed), value >= 0 { return value }
        throw .configuration("Invalid value for \(setting): '\(text)' (expected a duration such as 500ms, 5s or 1min)")
    }
}
