#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster started in a temporary directory, then removes it.
#
#   scripts/with-postgres.sh <command> [args...]
#
# The cluster listens on 127.0.0.1 on a free port with password (SCRAM) authentication for the superuser `runway`.
# The command sees:
#   RUNWAY_TEST_PGHOST / _PGPORT / _PGUSER / _PGPASSWORD   how to reach the cluster (tests create one database each)
#   RUNWAY_TEST_PGBIN                                      the server's bin directory (initdb, pg_ctl, pg_basebackup)
#   DB_HOST / DB_PORT / DB_NAME / DB_USERNAME / DB_PASSWORD the same, as the migrate CLI reads them (database: runway)
# initdb refuses to run as root, so as root the server runs as the `postgres` user (runuser).
set -euo pipefail

PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "with-postgres: no PostgreSQL server found under /usr/lib/postgresql (install Debian's postgresql package)" >&2
  exit 1
fi

as_server_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

dir="$(mktemp -d /tmp/runway-pg.XXXXXX)"
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
cleanup() {
  as_server_user "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

password="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$password" >"$dir/pwfile"
[ "$(id -u)" = 0 ] && chown postgres "$dir/pwfile"
as_server_user "$PGBIN/initdb" -D "$dir/data" -U runway --pwfile="$dir/pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}
cat >>"$dir/data/pg_hba.conf" <<HBA
host replication all 127.0.0.1/32 scram-sha-256
HBA

started=""
for attempt in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 40000))
  if as_server_user "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c wal_level=replica -c max_wal_senders=10" \
    >/dev/null 2>&1; then
    started=yes
    break
  fi
done
if [ -z "$started" ]; then
  echo "with-postgres: the server did not start; its log:" >&2
  cat "$dir/server.log" >&2 || true
  exit 1
fi
PGPASSWORD="$password" psql -q -h 127.0.0.1 -p "$port" -U runway -d postgres \
  -c "CREATE DATABASE runway" >/dev/null

export RUNWAY_TEST_PGHOST=127.0.0.1 RUNWAY_TEST_PGPORT="$port" RUNWAY_TEST_PGUSER=runway
export RUNWAY_TEST_PGPASSWORD="$password" RUNWAY_TEST_PGBIN="$PGBIN"
export DB_HOST=127.0.0.1 DB_PORT="$port" DB_NAME=runway DB_USERNAME=runway DB_PASSWORD="$password"
echo "with-postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
