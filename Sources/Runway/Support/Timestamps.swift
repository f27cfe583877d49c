#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif

/// Timestamps written from the C library's broken-down time. Foundation's date formatters load their data on first
/// use (a `DateFormatter` pulls in ICU, `Date.formatted(.iso8601)` costs 0.65 ms on its first call), which a
/// command that writes one or two timestamps pays on every start.
package enum Timestamps {
    /// `yyyy-MM-dd HH:mm:ss` in the local time zone (Flyway's `${flyway:timestamp}`).
    package static func local(_ seconds: time_t = time(nil)) -> String {
        var clock = seconds
        var parts = tm()
        localtime_r(&clock, &parts)
        return format(parts, separator: " ")
    }

    /// ISO 8601 in UTC to the second, `yyyy-MM-ddTHH:mm:ssZ` (what `Date.formatted(.iso8601)` writes).
    package static func utc(_ seconds: time_t = time(nil)) -> String {
        var clock = seconds
        var parts = tm()
        gmtime_r(&clock, &parts)
        return format(parts, separator: "T") + "Z"
    }

    private static func format(_ parts: tm, separator: String) -> String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(Int(parts.tm_year) + 1900, 4) + "-" + padded(Int(parts.tm_mon) + 1, 2) + "-"
            + padded(Int(parts.tm_mday), 2) + separator + padded(Int(parts.tm_hour), 2) + ":"
            + padded(Int(parts.tm_min), 2) + ":" + padded(Int(parts.tm_sec), 2)
    }
}

extension Duration {
    /// The duration in whole milliseconds (rounded down), for durations reported in logs and results.
    package var wholeMilliseconds: Int {
        Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}
