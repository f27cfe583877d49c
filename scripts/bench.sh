#!/usr/bin/env bash
# The benchmark suite (issue 6): builds `migrate` in release mode, generates its data in a temporary folder, starts a
# throwaway PostgreSQL (scripts/with-postgres.sh), runs every scenario several times and prints a table of medians
# with a floor measured in the same run (plain libpq or psql doing the same work) and the ratio to it.
#
#   bash scripts/bench.sh [--runs N] [--only S1,S3,...] [--dynamic] [--no-build] [--keep] [--markdown FILE] [--image]
#
#   --runs N        timed runs per measurement (default 5, or BENCH_RUNS); the table shows medians. S6 (500 MB)
#                   runs min(N, 3) times, S1 and S7 (tens of milliseconds) 4×N times.
#   --only LIST     scenarios to run, e.g. S1,S3 (default all; or BENCH_ONLY)
#   --dynamic       benchmark the development build (Swift runtime linked dynamically, scratch .build-bench-dynamic)
#                   instead of the image's build (--static-swift-stdlib, as the Dockerfile builds; scratch .build-bench)
#   --no-build      use the binaries already in the scratch folder
#   --keep          keep the generated data (its folder is printed)
#   --markdown F    also write the table as Markdown to F (default: <scratch>/bench-results.md)
#   --image         build the migration image first (scripts/build-image.sh: root and podman needed, ~1 min plus
#                   its own release build); S7 reports the sizes of the last image built (.build-image/image-sizes):
#                   binary, shared libraries, CA bundle, migrations/, and the image uncompressed and compressed.
#   BENCH_COPY_MB   size of the S6 COPY migration in MB (default 500)
#   BENCH_S8_MB     size of the S8 INSERT script in MB (default 200)
#   BENCH_S9_TENANTS  tenant schemas of the S9 fleet (default 1000); BENCH_S9_SAMPLE tenants the loop and the floor
#                   run (default 100; their times are scaled to the fleet's size)
#
# Wall time and peak RSS come from runway-bench-run (posix_spawn + wait4: monotonic clock, the child's ru_maxrss;
# Linux carries the timer's own ~4 MB into it, so figures below 4 MB read as 4 MB). docs/performance.md explains
# each scenario and floor. Benchmarks report, they do not assert: the exit status is non-zero only when something
# failed to run (a build, a command, the server), never for a missed target.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
command -v swift >/dev/null 2>&1 || PATH="/opt/swift/usr/bin:$PATH"

ORIGINAL_ARGS="$*"
RUNS="${BENCH_RUNS:-5}"
ONLY="${BENCH_ONLY:-}"
MODE=static
BUILD=yes
KEEP=""
MARKDOWN=""
INNER=""
IMAGE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="${2:-}"; shift $(($# > 1 ? 2 : 1)) ;;
    --only) ONLY="${2:-}"; shift $(($# > 1 ? 2 : 1)) ;;
    --dynamic) MODE=dynamic; shift ;;
    --no-build) BUILD=""; shift ;;
    --keep) KEEP=yes; shift ;;
    --markdown) MARKDOWN="${2:-}"; shift $(($# > 1 ? 2 : 1)) ;;
    --image) IMAGE=yes; shift ;;
    --inner) INNER=yes; shift ;;
    -h | --help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$RUNS" in '' | *[!0-9]* | 0) echo "bench: --runs needs a positive number" >&2; exit 2 ;; esac
ONLY="$(echo "$ONLY" | tr 'a-z' 'A-Z')"

if [ "$MODE" = static ]; then
  SCRATCH="$ROOT/.build-bench"
  BUILD_FLAGS=(-c release --scratch-path "$SCRATCH" --static-swift-stdlib)
else
  SCRATCH="$ROOT/.build-bench-dynamic"
  BUILD_FLAGS=(-c release --scratch-path "$SCRATCH")
fi
MARKDOWN="${MARKDOWN:-$SCRATCH/bench-results.md}"

# ------------------------------------------------------------------------------------------------------------------
# Outer part: build, then run the inner part against a throwaway cluster.
if [ -z "$INNER" ]; then
  if [ -n "$BUILD" ]; then
    echo "bench: building migrate and the bench tools (release, $MODE Swift runtime, $SCRATCH)" >&2
    build_started=$(date +%s)
    mkdir -p "$SCRATCH"
    for product in migrate runway-bench-floor runway-bench runway-bench-run; do
      if ! swift build "${BUILD_FLAGS[@]}" --product "$product" >"$SCRATCH/bench-build.log" 2>&1; then
        tail -n 40 "$SCRATCH/bench-build.log" >&2
        echo "bench: the build of $product failed (full log: $SCRATCH/bench-build.log)" >&2
        exit 1
      fi
    done
    echo "bench: built in $(($(date +%s) - build_started)) s" >&2
  fi
  if [ -n "$IMAGE" ]; then
    # The real image, as CI builds it: its sizes go to .build-image/image-sizes, which S7 reports.
    echo "bench: building the migration image (scripts/build-image.sh)" >&2
    bash scripts/build-image.sh >"$SCRATCH/image.log" 2>&1 || { tail -n 20 "$SCRATCH/image.log" >&2; exit 1; }
  fi
  BENCH_BIN="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)"
  for binary in migrate runway-bench-floor runway-bench runway-bench-run; do
    [ -x "$BENCH_BIN/$binary" ] || { echo "bench: $BENCH_BIN/$binary is missing (build without --no-build)" >&2; exit 1; }
  done
  export BENCH_BIN BENCH_MODE="$MODE" BENCH_ARGS="${ORIGINAL_ARGS:+ $ORIGINAL_ARGS}"
  args=(--inner --runs "$RUNS" --markdown "$MARKDOWN")
  [ -n "$ONLY" ] && args+=(--only "$ONLY")
  [ -n "$KEEP" ] && args+=(--keep)
  [ "$MODE" = dynamic ] && args+=(--dynamic)
  exec bash scripts/with-postgres.sh bash "$ROOT/scripts/bench.sh" "${args[@]}"
fi

# ------------------------------------------------------------------------------------------------------------------
# Inner part: runs inside scripts/with-postgres.sh (DB_* variables set).
MIGRATE="$BENCH_BIN/migrate"
FLOOR="$BENCH_BIN/runway-bench-floor"
PROBE="$BENCH_BIN/runway-bench"
TIMER="$BENCH_BIN/runway-bench-run"
export PGHOST="$DB_HOST" PGPORT="$DB_PORT" PGUSER="$DB_USERNAME" PGPASSWORD="$DB_PASSWORD"
export PGOPTIONS="-c client_min_messages=warning"  # no NOTICE from DROP DATABASE IF EXISTS and the like
WORK="$(mktemp -d /tmp/runway-bench.XXXXXX)"
RESULTS="$WORK/results"
: >"$RESULTS"
cleanup() {
  if [ -n "$KEEP" ]; then echo "bench: data kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
suite_started=$(date +%s)
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

wants() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
log() { echo "bench: $*" >&2; }
admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@" >/dev/null; }
use_db() { export DB_NAME="$1" PGDATABASE="$1"; }
fresh_db() {
  admin -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
  use_db "$1"
}
drop_db() { admin -c "DROP DATABASE IF EXISTS $1"; }
# settle_db: after a set-up that wrote many rows, vacuum and analyze the current database, so the timed runs find it
# in the steady state of a production database (hint bits set, no autovacuum of the fresh rows running meanwhile).
settle_db() { psql -X -q -v ON_ERROR_STOP=1 -c 'VACUUM (ANALYZE)' >/dev/null; }

# measure KEY CMD...: one timed run of CMD; appends "KEY <seconds> <peak RSS KB>" to the results.
measure() {
  local key="$1" out wall rss status
  shift
  out="$("$TIMER" --out "$WORK/last.log" -- "$@")"
  read -r wall rss status <<<"$out"
  if [ "$status" != 0 ]; then
    log "$key failed (exit $status): $*"
    tail -n 20 "$WORK/last.log" >&2
    return 1
  fi
  echo "$key $wall $rss" >>"$RESULTS"
}
# record KEY SECONDS [RSS KB]: a figure measured inside a process (the checksum probes).
record() { echo "$1 $2 ${3:-0}" >>"$RESULTS"; }
# warm CMD...: one untimed run (page cache, dynamic loader), which must succeed.
warm() { "$TIMER" --out "$WORK/last.log" -- "$@" | awk '$3 != 0 { exit 1 }' || { log "warm-up failed: $*"; tail -n 20 "$WORK/last.log" >&2; return 1; }; }


# ------------------------------------------------------------------------------------------------------------------
# Data
gen_small_migrations() { # DIR COUNT: COUNT small versioned migrations (a table and a row each)
  mkdir -p "$1"
  local i
  for ((i = 1; i <= $2; i++)); do
    printf 'CREATE TABLE t%d (id bigint PRIMARY KEY, name text NOT NULL);\nINSERT INTO t%d (id, name) VALUES (1, %s);\n' \
      "$i" "$i" "'row $i'" >"$1/V${i}__create_t$i.sql"
  done
}
gen_tiny_migrations() { # DIR COUNT: COUNT tiny migrations (one INSERT each, into a table V1 creates)
  mkdir -p "$1"
  printf -- '-- benchmark filler\nCREATE TABLE filler (n int NOT NULL);\n' >"$1/V1__create_filler.sql"
  local i
  for ((i = 2; i <= $2; i++)); do
    printf -- '-- benchmark filler %d\nINSERT INTO filler (n) VALUES (%d);\n' "$i" "$i" >"$1/V${i}__filler_$i.sql"
  done
}

# ------------------------------------------------------------------------------------------------------------------
# S1: no-op migrate with 1,000 applied; floor: connect + one query.
scenario_S1() {
  [ -d "$WORK/small" ] || gen_small_migrations "$WORK/small" 1000
  fresh_db bench_s1
  warm "$MIGRATE" migrate --locations "$WORK/small"
  settle_db
  warm "$FLOOR" query
  warm psql -X -q -c 'select 1'
  local i
  for ((i = 1; i <= RUNS * 4; i++)); do  # cheap and the most sensitive to noise: more runs
    measure S1.runway "$MIGRATE" migrate --locations "$WORK/small"
    measure S1.floor "$FLOOR" query
    measure S1.psql psql -X -q -c 'select 1'
  done
}

# S2: 1,000 small migrations on an empty database; floor: one psql session, BEGIN / file / history row / COMMIT each.
scenario_S2() {
  [ -d "$WORK/small" ] || gen_small_migrations "$WORK/small" 1000
  local script="$WORK/s2-floor.sql" i
  {
    cat <<'SQL'
CREATE TABLE public.flyway_schema_history (
    "installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL);
ALTER TABLE public.flyway_schema_history ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON public.flyway_schema_history ("success");
SQL
    for ((i = 1; i <= 1000; i++)); do
      printf 'BEGIN;\n\\i %s/V%d__create_t%d.sql\n' "$WORK/small" "$i" "$i"
      printf 'INSERT INTO public.flyway_schema_history ("installed_rank", "version", "description", "type", "script",'
      printf ' "checksum", "installed_by", "execution_time", "success") VALUES (%d, %s, %s, %s, %s, 0, current_user, 0, true);\n' \
        "$i" "'$i'" "'create t$i'" "'SQL'" "'V${i}__create_t$i.sql'"
      printf 'COMMIT;\n'
    done
  } >"$script"
  for ((i = 1; i <= RUNS; i++)); do
    fresh_db bench_s2
    measure S2.runway "$MIGRATE" migrate --locations "$WORK/small"
    fresh_db bench_s2
    measure S2.floor psql -X -q -v ON_ERROR_STOP=1 -f "$script"
  done
  drop_db bench_s2
}

# S3: one 5 MB migration of 60,000 INSERT statements; floor: the file as one multi-statement query through libpq.
scenario_S3() {
  mkdir -p "$WORK/s3"
  awk 'BEGIN {
    print "CREATE TABLE big (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2) NOT NULL);"
    for (i = 1; i <= 60000; i++)
      printf "INSERT INTO big (id, name, amount) VALUES (%d, '\''customer %d, a name of some length'\'', %d.%02d);\n",
        i, i, (i * 7919) % 100000, i % 100
  }' >"$WORK/s3/V1__big.sql"
  S3_BYTES=$(stat -c %s "$WORK/s3/V1__big.sql")
  local i
  for ((i = 1; i <= RUNS; i++)); do
    fresh_db bench_s3
    measure S3.runway "$MIGRATE" migrate --locations "$WORK/s3"
    fresh_db bench_s3
    measure S3.floor "$FLOOR" exec "$WORK/s3/V1__big.sql"
  done
  # psql -1 -f: one round trip per statement; slow, so measured once, for reference.
  fresh_db bench_s3
  measure S3.psql psql -X -q -v ON_ERROR_STOP=1 -1 -f "$WORK/s3/V1__big.sql"
  drop_db bench_s3
  echo "S3_BYTES $S3_BYTES" >>"$WORK/sizes"
}

# S4: validate and info with 10,000 migration files applied; floor: connect, read the history, read every file.
scenario_S4() {
  gen_tiny_migrations "$WORK/s4" 10000
  fresh_db bench_s4
  log "S4: applying 10,000 migrations once (untimed set-up)"
  local started=$(date +%s.%N)
  warm "$MIGRATE" migrate --locations "$WORK/s4" --group
  log "S4: set-up took $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  settle_db
  warm "$MIGRATE" validate --locations "$WORK/s4"
  warm "$MIGRATE" info --locations "$WORK/s4"
  local history='select * from flyway_schema_history order by installed_rank'
  warm "$FLOOR" query "$history" "$WORK/s4"
  # The same at 1,000 files, for the growth: 10× the files should cost at most ~13× (n log n), 10× if linear.
  gen_tiny_migrations "$WORK/s4-1000" 1000
  fresh_db bench_s4_1000
  warm "$MIGRATE" migrate --locations "$WORK/s4-1000" --group
  settle_db
  warm "$MIGRATE" validate --locations "$WORK/s4-1000"
  local i
  for ((i = 1; i <= RUNS; i++)); do
    use_db bench_s4
    measure S4.validate "$MIGRATE" validate --locations "$WORK/s4"
    measure S4.info "$MIGRATE" info --locations "$WORK/s4"
    measure S4.floor "$FLOOR" query "$history" "$WORK/s4"
    use_db bench_s4_1000
    measure S4.validate1000 "$MIGRATE" validate --locations "$WORK/s4-1000"
    measure S4.floor1000 "$FLOOR" query "$history" "$WORK/s4-1000"
  done
}

# S5: checksum throughput on a 100 MB file. Runway: the library's Checksum over the bytes in memory, and end to end
# (`migrate info` over a location holding the file, minus the same command over an empty location). Floors: zlib's
# CRC-32 over the bytes in memory, and read + CRC-32 streamed from the page cache.
scenario_S5() {
  mkdir -p "$WORK/s5" "$WORK/s5-empty"
  # Mostly ASCII with some multi-byte UTF-8, LF line endings, lines whole.
  (yes "INSERT INTO menu (id, dish, note) VALUES (42, 'crème brûlée', 'a dessert; the café''s own recipe');" || true) |
    head -c 100000000 | sed '$d' >"$WORK/s5/V1__checksum.sql"
  S5_BYTES=$(stat -c %s "$WORK/s5/V1__checksum.sql")
  echo "S5_BYTES $S5_BYTES" >>"$WORK/sizes"
  fresh_db bench_s5
  warm "$MIGRATE" info --locations "$WORK/s5"
  warm "$MIGRATE" info --locations "$WORK/s5-empty"
  local i line
  for ((i = 1; i <= RUNS; i++)); do
    line="$("$PROBE" checksum "$WORK/s5/V1__checksum.sql" | awk '$1 == "memory" { print $3 }')"
    [ -n "$line" ] || { log "runway-bench checksum failed"; return 1; }
    record S5.library "$line"
    "$FLOOR" crc32 "$WORK/s5/V1__checksum.sql" >"$WORK/crc.out" || { log "runway-bench-floor crc32 failed"; return 1; }
    record S5.floor.memory "$(awk '$1 == "memory" { print $3 }' "$WORK/crc.out")"
    record S5.floor.streamed "$(awk '$1 == "streamed" { print $3 }' "$WORK/crc.out")"
    measure S5.cli "$MIGRATE" info --locations "$WORK/s5"
    measure S5.cli.empty "$MIGRATE" info --locations "$WORK/s5-empty"
  done
}

# S6: a 500 MB COPY ... FROM STDIN migration; floor: psql -1 -f of the same file (psql streams COPY data).
scenario_S6() {
  mkdir -p "$WORK/s6"
  local megabytes="${BENCH_COPY_MB:-500}"
  local rows=$((megabytes * 1000000 / 83)) file="$WORK/s6/V1__copy.sql"
  {
    printf 'CREATE TABLE copy_target (id bigint NOT NULL, note text NOT NULL, bucket int NOT NULL);\n'
    printf 'COPY copy_target (id, note, bucket) FROM STDIN;\n'
    "$FLOOR" copy-data "$rows"
    printf '\\.\n'
  } >"$file"
  S6_BYTES=$(stat -c %s "$file")
  echo "S6_BYTES $S6_BYTES" >>"$WORK/sizes"
  local runs=$((RUNS < 3 ? RUNS : 3)) i
  for ((i = 1; i <= runs; i++)); do
    fresh_db bench_s6
    measure S6.runway "$MIGRATE" migrate --locations "$WORK/s6"
    fresh_db bench_s6
    measure S6.floor psql -X -q -v ON_ERROR_STOP=1 -1 -f "$file"
  done
  drop_db bench_s6
}

# S8: a 200 MB script of ordinary INSERT statements (no COPY): migrate, validate --offline (lint included) and
# validate --offline without the lint, each in bounded memory (the script is split from a window of the file, never
# held whole). migrate sends 2 million statements one at a time, as psql does: about two minutes, so it runs once.
scenario_S8() {
  mkdir -p "$WORK/s8"
  local megabytes="${BENCH_S8_MB:-200}" file="$WORK/s8/V1__inserts.sql"
  awk -v target=$((megabytes * 1000000)) 'BEGIN {
    print "CREATE TABLE wide (id bigint NOT NULL, name text NOT NULL, amount numeric(12,2) NOT NULL);"
    bytes = 0
    for (i = 1; bytes < target; i++) {
      line = sprintf("INSERT INTO wide (id, name, amount) VALUES (%d, '\''customer %d; a name'\'', %d.%02d);", i, i, (i * 7919) % 100000, i % 100)
      print line
      bytes += length(line) + 1
    }
  }' >"$file"
  echo "S8_BYTES $(stat -c %s "$file")" >>"$WORK/sizes"
  local runs=$((RUNS < 3 ? RUNS : 3)) i
  for ((i = 1; i <= runs; i++)); do
    measure S8.lint "$MIGRATE" validate --offline --locations "$WORK/s8"
    measure S8.offline "$MIGRATE" validate --offline --lint-disable all --locations "$WORK/s8"
  done
  fresh_db bench_s8
  measure S8.migrate "$MIGRATE" migrate --locations "$WORK/s8"
  drop_db bench_s8
}

# S9: a fleet (issue 14): 1,000 tenant schemas x 20 small migrations. Runway in one process with --parallel 8, against
# what users do today (a shell loop of one `migrate --schemas tN` process per tenant) and the floor (the same SQL from
# one psql session per tenant, in a loop). The loop and the floor run on a sample of tenants and are scaled to the
# fleet's size (they are linear: one process or session per tenant). Then the no-op fleet (everything applied), and
# the fleet at a tenth of the size, for memory and cost per tenant.
scenario_S9() {
  local tenants="${BENCH_S9_TENANTS:-1000}" sample="${BENCH_S9_SAMPLE:-100}" i t
  rm -rf "$WORK/s9" && gen_tiny_migrations "$WORK/s9" 20
  local query="SELECT name FROM registry ORDER BY 1"
  registry() { psql -X -q -v ON_ERROR_STOP=1 -c "CREATE TABLE registry (name text)" \
    -c "INSERT INTO registry SELECT 't' || g FROM generate_series(1, $1) g"; }
  local runs=$((RUNS < 2 ? RUNS : 2))
  for ((i = 1; i <= runs; i++)); do
    fresh_db bench_s9 && registry "$tenants"
    measure S9.fleet "$MIGRATE" migrate --locations "$WORK/s9" --each-schema-query "$query" --parallel 8 -q
  done
  settle_db
  for ((i = 1; i <= RUNS; i++)); do
    measure S9.noop "$MIGRATE" migrate --locations "$WORK/s9" --each-schema-query "$query" --parallel 8 -q
  done
  local tenth=$((tenants / 10))
  for ((i = 1; i <= runs; i++)); do
    fresh_db bench_s9 && registry "$tenth"
    measure S9.fleet_tenth "$MIGRATE" migrate --locations "$WORK/s9" --each-schema-query "$query" --parallel 8 -q
  done
  # The loop users write today, on the sample.
  fresh_db bench_s9
  measure S9.loop bash -c 'for i in $(seq 1 "$1"); do "$2" migrate --locations "$3" --schemas "t$i" -q || exit 1; done' \
    loop "$sample" "$MIGRATE" "$WORK/s9"
  # The floor: one psql session per tenant, each migration with its history row in one transaction.
  local floor="$WORK/s9-floor.sql"
  {
    printf 'CREATE SCHEMA :"tenant";\nSET search_path = :"tenant";\n'
    printf 'CREATE TABLE flyway_schema_history ("installed_rank" INT NOT NULL PRIMARY KEY, "version" VARCHAR(50),'
    printf ' "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL,'
    printf ' "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(),'
    printf ' "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL);\n'
    for ((t = 1; t <= 20; t++)); do
      local file; file="$(ls "$WORK/s9"/V${t}__*.sql)"
      printf 'BEGIN;\n\\i %s\n' "$file"
      printf 'INSERT INTO flyway_schema_history VALUES (%d, %s, %s, %s, %s, 0, current_user, now(), 0, true);\n' \
        "$t" "'$t'" "'m$t'" "'SQL'" "'$(basename "$file")'"
      printf 'COMMIT;\n'
    done
  } >"$floor"
  fresh_db bench_s9
  measure S9.floor bash -c 'for i in $(seq 1 "$1"); do psql -X -q -v ON_ERROR_STOP=1 -v tenant="t$i" -f "$2" || exit 1; done' \
    floor "$sample" "$floor"
  echo "S9_TENANTS $tenants" >>"$WORK/sizes"
  echo "S9_SAMPLE $sample" >>"$WORK/sizes"
  drop_db bench_s9
}

# S7: start-up (`migrate --version`); floor: a Swift process linking libpq that exits at once. Sizes.
scenario_S7() {
  warm "$MIGRATE" --version
  warm "$FLOOR" noop
  local i
  for ((i = 1; i <= RUNS * 4; i++)); do
    measure S7.runway "$MIGRATE" --version
    measure S7.floor "$FLOOR" noop
  done
  strip -o "$WORK/migrate.stripped" "$MIGRATE"
  {
    echo "BIN_SIZE $(stat -c %s "$MIGRATE")"
    echo "BIN_STRIPPED $(stat -c %s "$WORK/migrate.stripped")"
    # The last image scripts/build-image.sh built (--image builds it first).
    if [ -f "$ROOT/.build-image/image-sizes" ]; then sed 's/^/IMG_/' "$ROOT/.build-image/image-sizes"; fi
  } >>"$WORK/sizes"
}

# ------------------------------------------------------------------------------------------------------------------
FAILED=""
for scenario in S1 S2 S3 S4 S5 S6 S7 S8 S9; do
  wants "$scenario" || continue
  log "$scenario..."
  started=$(date +%s)
  set +e
  (
    set -e
    "scenario_$scenario"
  )
  status=$?
  set -e
  if [ "$status" != 0 ]; then
    FAILED="$FAILED $scenario"
    log "$scenario FAILED to run (exit $status)"
  else
    log "$scenario done in $(($(date +%s) - started)) s"
  fi
done

# ------------------------------------------------------------------------------------------------------------------
# Report
median() { # KEY [FIELD 2=seconds 3=RSS KB]: median over the runs, or empty
  awk -v key="$1" -v field="${2:-2}" '$1 == key { print $field }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
runs_of() { awk -v key="$1" '$1 == key' "$RESULTS" | wc -l | tr -d ' '; }
size_of() { [ -f "$WORK/sizes" ] && awk -v key="$1" '$1 == key { print $2 }' "$WORK/sizes" | tail -n 1; }
calc() { awk "BEGIN { printf \"%s\", $1 }"; }
fmt_time() { # seconds -> "12.3 ms" / "1.23 s"
  [ -z "$1" ] && { printf -- '-'; return; }
  awk -v s="$1" 'BEGIN { if (s < 1) printf "%.1f ms", s * 1000; else printf "%.2f s", s }'
}
fmt_rss() { [ -z "$1" ] || [ "$1" = 0 ] && { printf ''; return; }; awk -v k="$1" 'BEGIN { printf ", %.0f MB", k / 1024 }'; }  # RSS: MiB
fmt_rate() { awk -v b="$1" -v s="$2" 'BEGIN { if (s <= 0) printf "-"; else printf "%.2f GB/s", b / s / 1e9 }'; }
fmt_mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }  # file sizes: MB = 10^6 bytes

ROWS=()
# row SCENARIO DESCRIPTION RUNWAY FLOOR RATIO TARGET RESULT
row() { ROWS+=("$1|$2|$3|$4|$5|$6|$7"); }
verdict() { awk "BEGIN { exit !($1) }" && echo met || echo "not met"; }
both() { [ "$1" = met ] && [ "$2" = met ] && echo met || echo "not met"; }

time_row() { # SCENARIO DESC RUNWAY_KEY FLOOR_KEY MAX_MS MAX_RATIO MAX_RSS_MB (empty = no such target)
  local scenario="$1" desc="$2" rk="$3" fk="$4" max_ms="$5" max_ratio="$6" max_rss="$7"
  local rt rr ft fr ratio="" target="" result="met" v
  rt="$(median "$rk")"
  [ -z "$rt" ] && return
  rr="$(median "$rk" 3)"
  ft="$([ -n "$fk" ] && median "$fk" || true)"
  fr="$([ -n "$fk" ] && median "$fk" 3 || true)"
  [ -n "$ft" ] && ratio="$(awk -v a="$rt" -v b="$ft" 'BEGIN { printf "%.2f×", a / b }')"
  if [ -n "$max_ms" ]; then
    target="≤ $max_ms ms"
    result="$(both "$result" "$(verdict "$rt * 1000 <= $max_ms")")"
  fi
  if [ -n "$max_ratio" ] && [ -n "$ft" ]; then
    target="${target:+$target, }≤ ${max_ratio}× floor"
    result="$(both "$result" "$(verdict "$rt / $ft <= $max_ratio")")"
  fi
  if [ -n "$max_rss" ]; then
    target="${target:+$target, }RSS ≤ $max_rss MB"
    result="$(both "$result" "$(verdict "$rr / 1024 <= $max_rss")")"
  fi
  [ -z "$target" ] && { target="(reference)"; result=""; }
  row "$scenario" "$desc" "$(fmt_time "$rt")$(fmt_rss "$rr")" \
    "$( [ -n "$ft" ] && echo "$(fmt_time "$ft")$(fmt_rss "$fr")" || echo -)" "${ratio:--}" "$target" "$result"
}

time_row S1 "no-op migrate, 1,000 applied (floor: libpq connect + select 1)" S1.runway S1.floor 30 3 ""
time_row S1 "  reference: psql -c 'select 1'" S1.psql "" "" "" ""
time_row S2 "1,000 small migrations, empty database (floor: one psql session)" S2.runway S2.floor "" 1.5 ""
if [ -n "$(median S3.runway)" ]; then
  time_row S3 "$(fmt_mb "$(size_of S3_BYTES)"), 60,000 INSERTs (floor: one libpq query)" S3.runway S3.floor "" 1.5 64
  time_row S3 "  reference: psql -1 -f (1 run)" S3.psql "" "" "" ""
fi
time_row S4 "validate, 10,000 applied (floor: history + read files)" S4.validate S4.floor 150 "" ""
time_row S4 "info, 10,000 applied (same floor)" S4.info S4.floor 150 "" ""
if [ -n "$(median S4.validate1000)" ]; then
  time_row S4 "  validate, 1,000 applied (same floor at 1,000)" S4.validate1000 S4.floor1000 "" "" ""
  growth="$(awk -v a="$(median S4.validate)" -v b="$(median S4.validate1000)" 'BEGIN { printf "%.1f", a / b }')"
  floor_growth="$(awk -v a="$(median S4.floor)" -v b="$(median S4.floor1000)" 'BEGIN { printf "%.1f", a / b }')"
  row S4 "  growth from 1,000 to 10,000 files (10× linear, 13.3× n log n)" "${growth}×" "${floor_growth}×" "-" \
    "≤ 13.3×" "$(verdict "$growth <= 13.3")"
fi
if [ -n "$(median S5.library)" ]; then
  bytes="$(size_of S5_BYTES)"
  lib="$(median S5.library)" floor_mem="$(median S5.floor.memory)" floor_stream="$(median S5.floor.streamed)"
  row S5 "checksum of $(fmt_mb "$bytes") in memory, library (floor: zlib crc32)" "$(fmt_rate "$bytes" "$lib")" \
    "$(fmt_rate "$bytes" "$floor_mem")" "$(awk -v a="$lib" -v b="$floor_mem" 'BEGIN { printf "%.2f×", a / b }')" \
    "≥ 1 GB/s" "$(verdict "$bytes / $lib >= 1e9")"
  delta="$(calc "$(median S5.cli) - $(median S5.cli.empty)")"
  row S5 "  end to end: migrate info with the file − without (floor: read + crc32)" \
    "$(fmt_rate "$bytes" "$delta")$(fmt_rss "$(median S5.cli 3)")" "$(fmt_rate "$bytes" "$floor_stream")" \
    "$(awk -v a="$delta" -v b="$floor_stream" 'BEGIN { printf "%.2f×", a / b }')" "≥ 1 GB/s" \
    "$(verdict "$delta > 0 && $bytes / $delta >= 1e9")"
fi
[ -n "$(median S6.runway)" ] &&
  time_row S6 "COPY FROM STDIN, $(fmt_mb "$(size_of S6_BYTES)") (floor: psql -1 -f)" S6.runway S6.floor "" "" 64
if [ -n "$(median S8.lint)" ]; then
  time_row S8 "$(fmt_mb "$(size_of S8_BYTES)") of INSERTs: validate --offline with the lint" S8.lint "" "" "" 64
  time_row S8 "  validate --offline without the lint (--lint-disable all)" S8.offline "" "" "" 64
  time_row S8 "  migrate (statements sent one at a time, 1 run)" S8.migrate "" "" "" 64
fi
if [ -n "$(median S9.fleet)" ]; then
  tenants="$(size_of S9_TENANTS)" sample="$(size_of S9_SAMPLE)"
  scale="$(calc "$tenants / $sample")"
  fleet="$(median S9.fleet)" loop="$(calc "$(median S9.loop) * $scale")" floor9="$(calc "$(median S9.floor) * $scale")"
  row S9 "fleet: $tenants schemas × 20 migrations, --parallel 8 (floor: a psql session per tenant, loop)" \
    "$(fmt_time "$fleet")$(fmt_rss "$(median S9.fleet 3)")" "$(fmt_time "$floor9")" \
    "$(awk -v a="$fleet" -v b="$floor9" 'BEGIN { printf "%.2f×", a / b }')" "RSS ≤ 100 MB" \
    "$(verdict "$(median S9.fleet 3) / 1024 <= 100")"
  row S9 "  the loop users write: one migrate --schemas tN per tenant ($sample run, ×$scale)" "$(fmt_time "$loop")" \
    "-" "$(awk -v a="$fleet" -v b="$loop" 'BEGIN { printf "%.1f× faster", b / a }')" "fleet ≥ 10× faster" \
    "$(verdict "$loop / $fleet >= 10")"
  time_row S9 "  no-op fleet: $tenants schemas, everything applied" S9.noop "" 2000 "" 100
  tenth="$(median S9.fleet_tenth)"
  row S9 "  the fleet at $((tenants / 10)) schemas (cost per tenant, memory flat)" \
    "$(fmt_time "$tenth")$(fmt_rss "$(median S9.fleet_tenth 3)")" "-" \
    "$(awk -v a="$fleet" -v b="$tenth" 'BEGIN { printf "%.1f× for 10× the tenants", a / b }')" "linear (≈ 10×)" \
    "$(verdict "$fleet / $tenth <= 13")"
fi
time_row S7 "migrate --version (floor: Swift + libpq process, no-op)" S7.runway S7.floor 10 "" ""
if [ -n "$(size_of BIN_SIZE)" ]; then
  row S7 "  release binary size ($BENCH_MODE Swift runtime)" "$(fmt_mb "$(size_of BIN_SIZE)")" "-" "-" "(reported)" ""
  row S7 "  stripped" "$(fmt_mb "$(size_of BIN_STRIPPED)")" "-" "-" "(reported)" ""
fi
if [ -n "$(size_of IMG_IMAGE_UNCOMPRESSED)" ]; then  # the image ships the static build, stripped
  row S7 "  image: binary (stripped, scripts/build-image.sh)" "$(fmt_mb "$(size_of IMG_BINARY)")" "-" "-" "≤ 25 MB" \
    "$(verdict "$(size_of IMG_BINARY) <= 25000000")"
  row S7 "  image: $(size_of IMG_LIBRARY_COUNT) shared libraries (libpq, OpenSSL, Kerberos, LDAP, glibc...)" \
    "$(fmt_mb "$(size_of IMG_LIBRARIES)")" "-" "-" "(reported)" ""
  row S7 "  image: CA bundle" "$(fmt_mb "$(size_of IMG_CA_BUNDLE)")" "-" "-" "(reported)" ""
  row S7 "  image: migrations/" "$(fmt_mb "$(size_of IMG_MIGRATIONS)")" "-" "-" "(reported)" ""
  row S7 "  image, uncompressed (its one layer)" "$(fmt_mb "$(size_of IMG_IMAGE_UNCOMPRESSED)")" "-" "-" "≤ 60 MB" \
    "$(verdict "$(size_of IMG_IMAGE_UNCOMPRESSED) <= 60000000")"
  row S7 "  image, compressed (what a node pulls)" "$(fmt_mb "$(size_of IMG_IMAGE_COMPRESSED)")" "-" "-" "(reported)" ""
else
  row S7 "  image: not built yet (bash scripts/bench.sh --image)" "-" "-" "-" "" ""
fi

header="scenario|what|Runway (median)|floor (median)|ratio|target|result"
about=(
  "Runway benchmarks: $(date -u '+%Y-%m-%d %H:%M UTC'), \`bash scripts/bench.sh$BENCH_ARGS\`: $RUNS runs per measurement (median; S1 and S7 $((RUNS * 4)), S6 $((RUNS < 3 ? RUNS : 3))), $(($(date +%s) - suite_started)) s without the build"
  "machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), load average $LOAD_BEFORE before the suite, $(cut -d' ' -f1-3 /proc/loadavg) after"
  "$("$MIGRATE" --version 2>/dev/null | head -n 1 | sed 's/^/migrate /') ($BENCH_MODE Swift runtime), PostgreSQL $(psql -X -At -c 'show server_version' -d postgres | cut -d' ' -f1) on loopback (fsync off, as scripts/with-postgres.sh starts it)"
  "revision $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$([ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -n 1)" ] || echo ' + uncommitted changes')"
)
{
  echo
  printf '%s\n' "${about[0]}" "${about[@]:1}" | sed '2,$s/^/  /'
  echo
  if command -v column >/dev/null 2>&1; then
    printf '%s\n' "$header" "${ROWS[@]}" | column -t -s '|'
  else
    printf '%s\n' "$header" "${ROWS[@]}"
  fi
} | tee "$WORK/table.txt"
mkdir -p "$(dirname "$MARKDOWN")"
{
  printf '%s  \n' "${about[@]}"
  echo
  echo "| ${header//|/ | } |"
  echo "|---|---|---|---|---|---|---|"
  for r in "${ROWS[@]}"; do
    r="${r//|  /|↳ }"  # sub-rows: indented in the text table
    echo "| ${r//|/ | } |"
  done
} >"$MARKDOWN"
echo
echo "Markdown table: $MARKDOWN; suite (without the build) took $(($(date +%s) - suite_started)) s"
if [ -n "$FAILED" ]; then
  echo "bench: these scenarios failed to run:$FAILED" >&2
  exit 1
fi
