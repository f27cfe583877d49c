#!/usr/bin/env bash
# Profile of the no-op run (benchmark S1): where the time of `migrate` with 1,000 migrations already applied goes.
#
#   bash scripts/bench-profile.sh [--runs N] [--dynamic] [--no-build]
#
# Builds like scripts/bench.sh (release, static Swift runtime unless --dynamic, scratch .build-bench), starts a
# throwaway PostgreSQL, applies 1,000 small migrations once, then:
#   1. phases: uprobes (perf probe) on the entry and return of the engine's phase functions (scan, connect, lock,
#      validate, history read...) and the process's exec/exit; N runs (default 7), median start and duration of each;
#   2. instructions: one run under valgrind --tool=callgrind (deterministic, whatever the machine's load), the
#      total and the inclusive share of the functions that matter.
# Needs root (uprobes), perf (Debian's linux-perf) and valgrind. Symbols that no longer exist are skipped, so the
# script keeps working while the engine changes; add new phase functions to PHASES below.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
command -v swift >/dev/null 2>&1 || PATH="/opt/swift/usr/bin:$PATH"
RUNS=7
MODE=static
BUILD=yes
INNER=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --dynamic) MODE=dynamic; shift ;;
    --no-build) BUILD=""; shift ;;
    --inner) INNER=yes; shift ;;
    *) echo "bench-profile: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$MODE" = static ]; then
  BUILD_FLAGS=(-c release --scratch-path "$ROOT/.build-bench" --static-swift-stdlib)
else
  BUILD_FLAGS=(-c release --scratch-path "$ROOT/.build-bench-dynamic")
fi

if [ -z "$INNER" ]; then
  for tool in perf valgrind; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench-profile: $tool is needed" >&2; exit 1; }
  done
  if [ -n "$BUILD" ]; then
    for product in migrate runway-bench-run; do
      swift build "${BUILD_FLAGS[@]}" --product "$product" >/dev/null 2>&1 ||
        { echo "bench-profile: the build of $product failed" >&2; exit 1; }
    done
  fi
  export BENCH_BIN="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)"
  args=(--inner --runs "$RUNS")
  [ "$MODE" = dynamic ] && args+=(--dynamic)
  exec bash scripts/with-postgres.sh bash "$ROOT/scripts/bench-profile.sh" "${args[@]}"
fi

# label|symbol regex (first match in the binary's symbol table)[|lib: a shared library of the binary instead, e.g. libpq]
# Functions the optimiser inlined have no symbol and are skipped. A function called more than 3 times per run is
# shown as one row: its calls summed.
PHASES=(
  "main|^migrate_main$"
  "argument parsing|^\\\$s14ArgumentParser15ParsableCommandPAAE11parseAsRootyAaB_pSaySSGSgKFZ$"
  "Engine.migrate|^\\\$s6Runway6EngineV7migrateAA13MigrateResultVyAA0A5ErrorVYKF$"
  "scan|^\\\$s6Runway6EngineV4scanAA10ScanResultVyAA0A5ErrorVYKF$"
  "resolve|^\\\$s6Runway17MigrationResolverV7resolveySayAA08ResolvedB0VGSayAA11ScannedFile[VC]GAA0A5ErrorVYKF$"
  "connect|^\\\$s6Runway7SessionC7connect_6logger12cancellation9readWrite.*Tf4nnnnd_n$"
  "lock acquire|^\\\$s6Runway12AdvisoryLockV7acquire7retries"
  "lock release|^\\\$s6Runway12AdvisoryLockV7releaseyyF$"
  "migrateLocked|^\\\$s6Runway6EngineV13migrateLocked"
  "validate|^\\\$s6Runway6EngineV8validate_8patterns"
  "history read|^\\\$s6Runway13SchemaHistoryV4read2on"
  "file checksum (ScriptFileReader)|^\\\$s6Runway16ScriptFileReaderO8checksum4path"
  "file load (MigrationScanner.load)|^\\\$s6Runway16MigrationScannerV4load4name"
  "libpq PQconnectdbParams|^PQconnectdbParams$|libpq"
  "Engine.infoService (history read + state model)|^\\\$s6Runway6EngineV11infoService_6target10outOfOrder"
  "MigrationInfoService.validate|^\\\$s6Runway20MigrationInfoServiceV8validate8ignoring"
)

MIGRATE="$BENCH_BIN/migrate"
TIMER="$BENCH_BIN/runway-bench-run"
WORK="$(mktemp -d /tmp/runway-profile.XXXXXX)"
cleanup() {
  perf probe -q -d 'probe_runway:*' >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export PGHOST="$DB_HOST" PGPORT="$DB_PORT" PGUSER="$DB_USERNAME" PGPASSWORD="$DB_PASSWORD" PGDATABASE="$DB_NAME"
mkdir -p "$WORK/small"
for ((i = 1; i <= 1000; i++)); do
  printf 'CREATE TABLE t%d (id bigint PRIMARY KEY, name text NOT NULL);\nINSERT INTO t%d (id, name) VALUES (1, %s);\n' \
    "$i" "$i" "'row $i'" >"$WORK/small/V${i}__create_t$i.sql"
done
"$MIGRATE" migrate --locations "$WORK/small" >/dev/null 2>&1
for i in 1 2 3; do "$MIGRATE" migrate --locations "$WORK/small" >/dev/null 2>&1; done  # warm

echo "No-op migrate, 1,000 applied: $MIGRATE ($MODE Swift runtime), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf 'wall time without probes (%d runs): ' "$RUNS"
for ((i = 1; i <= RUNS; i++)); do "$TIMER" -- "$MIGRATE" migrate --locations "$WORK/small"; done |
  awk '{ print $1 * 1000 }' | sort -g | awk '{ v[NR] = $1 } END { printf "median %.1f ms (min %.1f, max %.1f)\n", v[int((NR + 1) / 2)], v[1], v[NR] }'

# 1. Phases
perf probe -q -d 'probe_runway:*' >/dev/null 2>&1 || true
index=0
: >"$WORK/labels"
skipped=""
for phase in "${PHASES[@]}"; do
  IFS='|' read -r label pattern library <<<"$phase"
  binary="$MIGRATE"
  if [ -n "$library" ]; then
    binary="$(ldd "$MIGRATE" | awk -v lib="$library" 'index($1, lib) == 1 { print $3; exit }')"
    [ -n "$binary" ] || { skipped="$skipped, $label"; continue; }
  fi
  symbol="$(nm -D --defined-only "$binary" 2>/dev/null; nm "$binary" 2>/dev/null)"
  symbol="$(echo "$symbol" | awk '$2 ~ /^[tT]$/ { print $3 }' | grep -E "$pattern" | head -n 1 || true)"
  if [ -z "$symbol" ]; then
    skipped="$skipped, $label"
    continue
  fi
  index=$((index + 1))
  perf probe -q -x "$binary" --add "probe_runway:p$index=$symbol" >/dev/null 2>&1 &&
    perf probe -q -x "$binary" --add "probe_runway:p$index=$symbol%return" >/dev/null 2>&1 ||
    { skipped="$skipped, $label"; continue; }
  echo "p$index $label" >>"$WORK/labels"
done
[ -n "$skipped" ] && echo "(no symbol, so not probed: ${skipped#, })"
for ((i = 1; i <= RUNS; i++)); do
  perf record -q -e 'probe_runway:*' -e sched:sched_process_exec -e sched:sched_process_exit -o "$WORK/perf.data" -- \
    "$MIGRATE" migrate --locations "$WORK/small" >/dev/null 2>&1
  perf script -i "$WORK/perf.data" -F pid,tid,time,event 2>/dev/null | awk -v run="$i" -v labels="$WORK/labels" '
    BEGIN { while ((getline line < labels) > 0) { split(line, f, " "); name[f[1]] = substr(line, length(f[1]) + 2) } }
    {
      split($1, ids, "/"); t = $2; sub(":", "", t); t += 0; event = $3; sub(/:$/, "", event)
      if (event == "sched:sched_process_exec") { t0 = t; next }
      if (event == "sched:sched_process_exit") { if (ids[1] == ids[2]) end = t; next }
      split(event, parts, ":"); probe = parts[2]
      if (probe ~ /__return$/) {
        sub(/__return$/, "", probe)
        k = open[probe]--; n = started[probe, k]; i = seen[probe, k]
        first[probe, i] = n - t0; took[probe, i] = t - n; done[probe] = i > done[probe] ? i : done[probe]
      } else {
        k = ++open[probe]; started[probe, k] = t; seen[probe, k] = ++count[probe]
      }
    }
    END {
      for (probe in done) {
        if (done[probe] > 3) {  # many calls: one row, summed
          total = 0; for (i = 1; i <= done[probe]; i++) total += took[probe, i]
          printf "%s|%s, %d calls summed#1|%.3f|%.3f\n", run, name[probe], done[probe], first[probe, 1] * 1000, total * 1000
        } else for (i = 1; i <= done[probe]; i++)
          printf "%s|%s#%d|%.3f|%.3f\n", run, name[probe], i, first[probe, i] * 1000, took[probe, i] * 1000
      }
      printf "%s|process (exec to exit)#1|0|%.3f\n", run, (end - t0) * 1000
      for (probe in open) for (k = open[probe]; k >= 1; k--)  # never returned (main exits): up to the exit
        printf "%s|%s (to exit)#%d|%.3f|%.3f\n", run, name[probe], seen[probe, k], (started[probe, k] - t0) * 1000,
          (end - started[probe, k]) * 1000
    }'
done >"$WORK/spans"
echo
echo "Phases (uprobes; median of $RUNS runs; start = ms after exec; nested phases are included in their parents):"
awk -F'|' '{ key = $2; starts[key] = starts[key] " " $3; durs[key] = durs[key] " " $4; if (!(key in order)) order[key] = ++n; runs[key]++ }
  function median(list,   v, c, i, j, x) { c = split(list, v, " "); for (i = 2; i <= c; i++) { x = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > x; j--) v[j + 1] = v[j]; v[j + 1] = x } return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2 }
  END { for (key in order) printf "%09.3f|%s|%.1f|%.1f\n", median(starts[key]), key, median(starts[key]), median(durs[key]) }' "$WORK/spans" |
  sort | awk -F'|' 'BEGIN { printf "  %-28s %10s %10s\n", "phase", "start ms", "ms" } { printf "  %-28s %10s %10s\n", $2, $3, $4 }'

# 2. Instructions
strip --strip-debug -o "$WORK/migrate" "$MIGRATE"  # valgrind 3.19 cannot read the toolchain's DWARF
valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" "$WORK/migrate" migrate --locations "$WORK/small" \
  >/dev/null 2>"$WORK/valgrind.log" || { tail -n 5 "$WORK/valgrind.log"; exit 1; }
echo
echo "Instructions (callgrind, one run): $(awk '/refs:/ { print $NF }' "$WORK/valgrind.log"); inclusive share of:"
callgrind_annotate --inclusive=yes --threshold=100 "$WORK/callgrind.out" 2>/dev/null >"$WORK/annotate.txt"
while IFS='|' read -r label pattern; do
  line="$(grep -E "$pattern" "$WORK/annotate.txt" | head -n 1 || true)"
  [ -n "$line" ] && printf '  %-58s %s\n' "$label" "$(echo "$line" | sed 's/^ *\([0-9,]* ( *[0-9.]*%)\).*/\1/')"
done <<'LIST'
dynamic loader (_dl_start)|_dl_start
argument parsing (ArgumentParser parseAsRoot)|parseAsRoot
Engine.migrate|Runway6EngineV7migrateAA13MigrateResult
  Engine.open (scan + first connection + resolve)|Runway6EngineV4open9readWrite
  scan of the locations|Runway6EngineV4scanAA10ScanResult
    NamingConvention.parse (file names)|Runway16NamingConventionV5parse
    sort of the scanned files|stableSortImpl.*ScannedFile
    MigrationScanner.load (read + decode + checksum)|MigrationScannerV4load
  both connections (Session.connect, SCRAM in libcrypto)|Runway7SessionC7connect_6logger
  migrateLocked|Runway6EngineV13migrateLocked
    validate|Runway6EngineV8validate_8patterns
    history reads (SchemaHistory.read)|Runway13SchemaHistoryV4read2on.*Tf4nx_n
    MigrationInfoService.Builder.collect|MigrationInfoServiceV7BuilderV7collect
MigrationVersion.init (files and history rows)|Runway16MigrationVersionVyACSS
MigrationVersion.< |Runway16MigrationVersionV1loiySbAC_ACtFZ
Foundation replacingOccurrences(of:with:)|replacingOccurrences2of4with7options
deallocation (_swift_release_dealloc)|:_swift_release_dealloc 
LIST
