import Foundation
import RunwayTestSupport

/// The sanitizer settings of the test process, which `scripts/test-asan.sh` sets, for the `migrate` processes that
/// tests start with an environment of their own.
///
/// Without them a sanitized `migrate` would report the third-party leaks `Fuzz/lsan-suppressions.txt` suppresses,
/// and Swift's crash backtracer would take over from a sanitizer's report. Empty in a normal run.
let sanitizerEnvironment: [String: String] = ProcessInfo.processInfo.environment.filter {
    ["ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "SWIFT_BACKTRACE"].contains($0.key)
}
