#!/usr/bin/env bash
# Fuzzes Runway's parsers of untrusted text with libFuzzer and AddressSanitizer, each target for a bounded time.
#
#   scripts/fuzz.sh [seconds-per-target] [target ...]      default: 20 seconds, every target
#
# Targets (Sources/RunwayFuzz/Targets.swift): migration-name, version, sql-split, placeholders, sql-lexer, lint,
# redact, jdbc-url, conf, toml, config. Each starts from its committed seeds in Fuzz/corpus/<target>/ (read only)
# plus what earlier runs found in .build-fuzz/corpus/<target>/; a crash, a broken invariant, a leak or an input
# slower than 10 s is written to .build-fuzz/artifacts/<target>/ and printed with the command that replays it.
# Exits 1 if any target failed, after running all of them.
#
# Builds RunwayFuzz into .build-fuzz with -sanitize=fuzzer,address -DFUZZING (Swift) and the C/C++ dependencies
# (TOMLKit's toml++) with -fsanitize=fuzzer-no-link,address. libFuzzer's runtime ships with the Swift toolchain
# for Linux (usr/lib/clang/*/lib/linux/libclang_rt.fuzzer*.a); no Debian package is needed.
# A plain `swift build` builds the same harness without libFuzzer: `swift run RunwayFuzz` replays the seeds once.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true
case "$seconds" in '' | *[!0-9]*)
  echo "fuzz: seconds-per-target must be a whole number, not '$seconds'" >&2
  exit 2
  ;;
esac

scratch=.build-fuzz
flags=(
  -c release --product RunwayFuzz --scratch-path "$scratch"
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
  -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address
)
echo "fuzz: building RunwayFuzz with libFuzzer and AddressSanitizer (first build takes a few minutes)" >&2
mkdir -p "$scratch"
if ! swift build "${flags[@]}" >"$scratch/build.log" 2>&1; then
  # The sanitizer runtime cannot export some of its local symbols; gold warns about each of them.
  grep -v "Cannot export local symbol" "$scratch/build.log" | tail -n 40 >&2
  echo "fuzz: the build failed (full log: $scratch/build.log)" >&2
  exit 1
fi
binary="$(swift build "${flags[@]}" --show-bin-path)/RunwayFuzz"

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  targets=(migration-name version sql-split placeholders sql-lexer lint redact jdbc-url conf toml config)
fi

# Swift's own crash backtracer would take over from libFuzzer's handler (and waits up to 30 s); TOMLKit leaks
# are suppressed (see the file).
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan-suppressions.txt:print_suppressions=0"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_stack_use_after_return=1}"

# RUNWAY_FUZZ_SEED=N makes a run repeatable: libFuzzer's mutations follow the seed, and a cap on the inputs per
# target (RUNWAY_FUZZ_RUNS overrides it), so the same code and seeds give the same inputs; a run cut short by the time
# limit tries a prefix of them. CI uses a fixed seed: a submission's result does not depend on luck, and finding new
# inputs is the job of longer runs with random seeds (the default here).
# The default caps are set so that every target reaches its cap well inside 30 s on this kind of machine: the run
# then tries exactly the same inputs everywhere (a time limit would make a faster machine try more).
caps_for() {
  case "$1" in
    config) echo "${RUNWAY_FUZZ_RUNS:-3000}" ;;  # writes a file per input: ~190 inputs/s
    lint) echo "${RUNWAY_FUZZ_RUNS:-40000}" ;;   # ~2,400 inputs/s
    *) echo "${RUNWAY_FUZZ_RUNS:-60000}" ;;
  esac
}
if [ -n "${RUNWAY_FUZZ_SEED:-}" ]; then
  echo "fuzz: repeatable run, seed $RUNWAY_FUZZ_SEED, a fixed number of inputs per target" >&2
fi

failed=()
for target in "${targets[@]}"; do
  if [ ! -d "Fuzz/corpus/$target" ]; then
    echo "fuzz: unknown target '$target' (no Fuzz/corpus/$target)" >&2
    exit 2
  fi
  case "$target" in
    sql-split | sql-lexer | lint | placeholders) dict=Fuzz/dict/sql.dict ;;
    *) dict=Fuzz/dict/config.dict ;;
  esac
  repeatable=()
  if [ -n "${RUNWAY_FUZZ_SEED:-}" ]; then
    repeatable=(-seed="$RUNWAY_FUZZ_SEED" -runs="$(caps_for "$target")")
  fi
  work="$scratch/corpus/$target"
  artifacts="$scratch/artifacts/$target"
  log="$scratch/logs/$target.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  status=0
  RUNWAY_FUZZ_TARGET="$target" "$binary" -max_total_time="$seconds" "${repeatable[@]}" -timeout=10 -rss_limit_mb=4096 \
    -max_len=16384 -dict="$dict" -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work" "Fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  coverage="$(grep -E '^#[0-9]+' "$log" | tail -n 1 \
    | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 edges, \2 features/p')"
  if [ "$status" -eq 0 ]; then
    printf 'ok    %-15s %s runs in %s s, %s, corpus %s inputs\n' "$target" "${runs:-?}" "$seconds" \
      "${coverage:-?}" "$(find "$work" -type f | wc -l)"
  else
    failed+=("$target")
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
    printf 'FAIL  %-15s exit %s after %s runs; log: %s\n' "$target" "$status" "${runs:-?}" "$log"
    grep -m 1 -E 'Fatal error|Assertion|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$log" | sed 's/^/      /'
    if [ -n "$artifact" ]; then
      echo "      input: $artifact"
      echo "      replay: RUNWAY_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no \\"
      echo "              LSAN_OPTIONS=$LSAN_OPTIONS $binary $artifact"
    fi
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s), no crash, leak or broken invariant in $seconds s each"
