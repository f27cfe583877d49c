#!/usr/bin/env bash
# Runs every Swift test under AddressSanitizer and LeakSanitizer against a throwaway PostgreSQL.
#
#   scripts/test-asan.sh [swift test arguments...]      e.g. --filter HostileInputTests
#
# Builds the package and its tests with -sanitize=address (Swift) and -fsanitize=address (C/C++ dependencies:
# TOMLKit's toml++) into .build-asan, so the normal .build stays as it is, then runs them with
# scripts/with-postgres.sh. The `migrate` binary the CLI tests start is the sanitized one too. A heap overflow,
# use-after-free or leak stops the process that has it. Every process writes its sanitizer report to
# .build-asan/sanitizer-reports/report.<pid> (log_path), and the script fails when any report is there after the run,
# printing them: a `migrate` that a test expected to fail anyway (the hostile-input cases) cannot hide a finding.
#
# Leaks in third-party code are suppressed in Fuzz/lsan-suppressions.txt (each entry says why). The sanitizer
# runtimes ship with the Swift toolchain for Linux; no Debian package is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

flags=(
  --scratch-path .build-asan
  -Xswiftc -sanitize=address
  -Xcc -fsanitize=address -Xcxx -fsanitize=address
)
echo "test-asan: building the tests with AddressSanitizer into .build-asan" >&2
# gold cannot export the sanitizer runtime's local symbols and warns about each of them.
swift build --build-tests "${flags[@]}" 2>&1 | grep -v "Cannot export local symbol" >&2
status="${PIPESTATUS[0]}"
if [ "$status" -ne 0 ]; then
  echo "test-asan: the build failed" >&2
  exit "$status"
fi

# Swift's crash backtracer would take over from the sanitizer's report. The tests pass these variables on to every
# `migrate` they start (Tests/migrateTests/SanitizerEnvironment.swift).
# The symbolizer is named explicitly because some tests start migrate without PATH, and suppressions match
# function names only in symbolized stacks.
symbolizer="$(command -v llvm-symbolizer || true)"
reports="$PWD/.build-asan/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
export SWIFT_BACKTRACE=enable=no
ASAN_OPTIONS="detect_leaks=1:print_summary=1:log_path=$reports/report"
export ASAN_OPTIONS="$ASAN_OPTIONS${symbolizer:+:external_symbolizer_path=$symbolizer}"
LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan-suppressions.txt:print_suppressions=0"
export LSAN_OPTIONS="$LSAN_OPTIONS${symbolizer:+:external_symbolizer_path=$symbolizer}"
# The randomized suites ran in full in the plain stage; here they look for memory errors in the same code paths, so
# they run shorter (ASan makes every runner process 2-3 times slower). Set the variables to run them in full.
export RUNWAY_CHAOS_TRIALS="${RUNWAY_CHAOS_TRIALS:-4}"
export RUNWAY_DIFF_COUNT="${RUNWAY_DIFF_COUNT:-40}"
export RUNWAY_FLEET_SCHEMAS="${RUNWAY_FLEET_SCHEMAS:-200}" RUNWAY_FLEET_DATABASES="${RUNWAY_FLEET_DATABASES:-20}"
status=0
scripts/with-postgres.sh swift test "${flags[@]}" --skip-build "$@" || status=$?

found=()
for report in "$reports"/report.*; do
  [ -e "$report" ] || continue
  grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)" "$report" && found+=("$report")
done
if [ "${#found[@]}" -gt 0 ]; then
  for report in "${found[@]}"; do
    echo "test-asan: ---- $report" >&2
    cat "$report" >&2
  done
  echo "test-asan: the sanitizers reported ${#found[@]} process(es): ${found[*]}" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "test-asan: the tests failed under AddressSanitizer (exit $status); no sanitizer report was written" >&2
  exit "$status"
fi
echo "test-asan: every test passed under AddressSanitizer and LeakSanitizer; no sanitizer report" >&2
