#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run). Stages, in order:
#
#   warnings   swift build -warnings-as-errors the library products (Runway, RunwayServiceLifecycle) as an app
#                                             that depends on them compiles them: no warning (own build folder)
#   example    scripts/test-example.sh        the Strategy A example: three app copies starting together
#   manifests  scripts/validate-manifests.sh  the Kubernetes manifests (when kubectl and kubernetes-validate exist)
#   tests      swift test                     every Swift test against a throwaway PostgreSQL
#   image      scripts/test-image.sh          build the migration image (OCI archive, podman) and run migrate, info,
#                                             validate and wait from its own files as uid 10001 on a read-only root,
#                                             with and without TLS; its size ceilings (~3-5 min)
#   fuzz       scripts/fuzz.sh                every libFuzzer target, RUNWAY_FUZZ_SECONDS (default 30) each
#   asan       scripts/test-asan.sh           every Swift test again under AddressSanitizer and LeakSanitizer
#
#   scripts/test.sh [swift test arguments...]      e.g. --filter HostileInputTests (both Swift test stages get them)
#
# Every stage runs even when an earlier one failed; the summary at the end gives each stage's result and time, and
# the script exits 1 when any stage failed. A fuzz crash or a sanitizer report fails its stage (the fuzz stage prints
# the input and the command that replays it). RUNWAY_FUZZ_SECONDS=0 skips the fuzz stage and RUNWAY_ASAN=0 the asan
# stage, for a quicker local run; CI runs both.
set -uo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds="${RUNWAY_FUZZ_SECONDS:-30}"
results=()
failed=0

# stage <name> <command...>: runs the command, records its result and duration.
stage() {
  local name="$1"
  shift
  printf '\n==> %s: %s\n' "$name" "$*" >&2
  local started status
  started="$(date +%s)"
  "$@"
  status=$?
  local seconds=$(($(date +%s) - started))
  if [ "$status" -eq 0 ]; then
    results+=("$(printf 'ok    %-10s %4d s' "$name" "$seconds")")
  else
    results+=("$(printf 'FAIL  %-10s %4d s  (exit %d)' "$name" "$seconds" "$status")")
    failed=1
  fi
  printf '==> %s: %s in %d s\n' "$name" "$([ "$status" -eq 0 ] && echo ok || echo "FAILED (exit $status)")" \
    "$seconds" >&2
}

swift_build_and_test() {
  swift build --build-tests && scripts/with-postgres.sh swift test --skip-build "$@"
}

# The library products compile without a warning: every application that depends on them would see it. A build
# folder of its own (.build/warnings), so the flag does not invalidate the main build; about 40 s from scratch.
library_warnings() {
  swift build --scratch-path .build/warnings --target RunwayServiceLifecycle -Xswiftc -warnings-as-errors
}

stage warnings library_warnings
stage example bash scripts/test-example.sh
stage manifests bash scripts/validate-manifests.sh
stage tests swift_build_and_test "$@"
stage image bash scripts/test-image.sh
if [ "$fuzz_seconds" != 0 ]; then
  # A fixed seed (scripts/fuzz.sh): the same code gives the same result in every CI run.
  stage fuzz env RUNWAY_FUZZ_SEED="${RUNWAY_FUZZ_SEED:-20261121}" bash scripts/fuzz.sh "$fuzz_seconds"
else
  results+=("skip  fuzz       (RUNWAY_FUZZ_SECONDS=0)")
fi
if [ "${RUNWAY_ASAN:-1}" != 0 ]; then
  stage asan bash scripts/test-asan.sh "$@"
else
  results+=("skip  asan       (RUNWAY_ASAN=0)")
fi

printf '\n==> summary\n' >&2
printf '%s\n' "${results[@]}" >&2
exit "$failed"
