#!/usr/bin/env bash
# Strategy A end to end: builds Examples/StartupApp (a Hummingbird app using RunwayServiceLifecycle, its migrations
# shipped as package resources), starts three copies together against one throwaway PostgreSQL, and checks that
# every migration of the app was applied exactly once and that all three copies serve /health. Run by
# scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# The manifest cache of a package misses files added to a path dependency (Runway itself) during development.
swift build --package-path Examples/StartupApp --disable-build-manifest-caching
export APP_BIN="$(swift build --package-path Examples/StartupApp --show-bin-path)/StartupApp"
export MIGRATIONS="$PWD/Examples/StartupApp/Sources/StartupApp/Migrations"  # what the app ships (counted below)

scripts/with-postgres.sh bash -c '
  set -euo pipefail
  logs=$(mktemp -d)
  base=$((30000 + RANDOM % 20000))
  pids=()
  for i in 1 2 3; do
    PORT=$((base + i)) "$APP_BIN" >"$logs/app$i.log" 2>&1 &
    pids+=($!)
  done
  stop() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }
  trap stop EXIT
  health() {  # GET /health over bash /dev/tcp (no curl needed)
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" >&3
    local reply; reply=$(cat <&3); exec 3>&-
    [[ "$reply" == *" 200 "* && "$reply" == *ok ]]
  }
  for i in 1 2 3; do
    up=""
    for _ in $(seq 1 120); do
      if health $((base + i)) 2>/dev/null; then up=yes; break; fi
      kill -0 "${pids[$((i - 1))]}" 2>/dev/null || break
      sleep 0.5
    done
    if [ -z "$up" ]; then echo "example: copy $i did not come up; its log:" >&2; cat "$logs/app$i.log" >&2; exit 1; fi
  done
  files=$(find "$MIGRATIONS" -name "[VR]*__*.sql" | wc -l)
  read -r rows distinct < <(PGPASSWORD="$DB_PASSWORD" psql -XAt -F " " -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USERNAME" \
    -d "$DB_NAME" -c "SELECT count(*), count(DISTINCT coalesce(version, description)) FROM flyway_schema_history")
  applied=$(grep -h "Applied migration" "$logs"/app*.log | wc -l)
  echo "example: 3 copies up; $files migration files, $rows history rows ($distinct distinct), $applied applications logged"
  if [ "$rows" != "$files" ] || [ "$distinct" != "$files" ] || [ "$applied" != "$files" ]; then
    echo "example: FAILED: every migration must be applied exactly once" >&2
    cat "$logs"/app*.log >&2
    exit 1
  fi
  stop
  trap - EXIT
  echo "example: all copies stopped on SIGTERM"
'
