import Foundation
import Testing

@testable import Runway

@Suite("Timestamps (${flyway:timestamp}, logs)")
struct FlywayTimestampTests {
    @Test(
        "local time as yyyy-MM-dd HH:mm:ss, as a DateFormatter in the process's time zone writes it",
        arguments: [0, 951_782_400, 1_700_000_000, 1_798_761_599, 4_102_444_800])
    func matchesDateFormatter(seconds: Int) {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        #expect(Timestamps.local(time_t(seconds)) == expected)
    }

    @Test(
        "log and JSON timestamps: UTC to the second, as Date.formatted(.iso8601) writes them",
        arguments: [0, 951_782_400, 1_700_000_000, 1_798_761_599, 4_102_444_800])
    func utcMatchesISO8601(seconds: Int) {
        #expect(
            Timestamps.utc(time_t(seconds)) == Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601))
    }
}
