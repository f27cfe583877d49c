#!/usr/bin/env bash
# Builds the migration image (scripts/build-image.sh) and runs it as the Kubernetes Job does, against a throwaway
# PostgreSQL, with and without TLS:
#
#   bash scripts/test-image.sh              # build, then test .build-image/runway-migrate.oci.tar
#   bash scripts/test-image.sh --no-build   # test the archive already built
#
# There is no container engine to run it here (`podman run` cannot set rlimits in this sandbox), so the test
# unpacks the OCI archive's layers into a folder and runs the image's own files from it: a private mount namespace
# (unshare) in which the folder is mounted read-only, with /proc, a minimal /dev, /etc/hosts and the Secret's
# password file mounted as a container runtime and the kubelet mount them, then `unshare --root` (chroot) into it
# as uid/gid 10001 with the working directory /app and only DB_* in the environment. Nothing from the host is
# reachable from there: no host library, no shell, no PATH.
#
# Checks: the image's metadata (OCI config: user, entrypoint, command, working directory, labels), its size
# ceilings (60 MB uncompressed, 25 MB stripped binary), that the binary's libraries all resolve inside it, then
# `migrate` (with the Job's arguments), `info`, `validate` and `wait` over plain TCP, and again over TLS with
# sslmode=verify-full against a server that refuses unencrypted connections to that database (SCRAM either way),
# plus the failures that prove the checks can fail: a wrong password, an unencrypted connection, an unknown CA, and
# the image's CA bundle (read, but without the test CA). No output may contain the password. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
ARCHIVE="$ROOT/.build-image/runway-migrate.oci.tar"
MAX_IMAGE_BYTES=60000000
MAX_BINARY_BYTES=25000000

if [ "${1:-}" != --inside ]; then
  missing=()
  for tool in jq openssl unshare tar gzip psql podman; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "test-image: missing ${missing[*]}: run scripts/setup.sh (as root)" >&2
    exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "test-image: needs root (mount namespaces, chroot, switching to uid 10001)" >&2
    exit 1
  fi
  [ "${1:-}" = --no-build ] || bash scripts/build-image.sh
  [ -f "$ARCHIVE" ] || { echo "test-image: $ARCHIVE not found: run scripts/build-image.sh" >&2; exit 1; }
  exec scripts/with-postgres.sh bash "$0" --inside
fi

# --- inside with-postgres.sh: DB_* and RUNWAY_TEST_PG* point at the server ----------------------------------------
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok    $*"; }
fail() { failed=$((failed + 1)); echo "FAIL  $*"; }
check() { # check <description> <command...>: passes when the command succeeds
  local description="$1"
  shift
  if "$@"; then pass "$description"; else fail "$description"; fi
}

work="$(mktemp -d /tmp/runway-image.XXXXXX)"
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# --- unpack the OCI archive ---------------------------------------------------------------------------------------
mkdir -p "$work/oci" "$work/rootfs"
tar -xf "$ARCHIVE" -C "$work/oci"
blob() { echo "$work/oci/blobs/${1/://}"; }
manifest="$(blob "$(jq -r '.manifests[0].digest' "$work/oci/index.json")")"
config="$(blob "$(jq -r '.config.digest' "$manifest")")"
layer_bytes=0
while read -r digest; do
  # tar recognises a compressed layer by itself.
  tar -xf "$(blob "$digest")" -C "$work/rootfs"
  layer_bytes=$((layer_bytes + $(gzip -dc -f <"$(blob "$digest")" | wc -c)))
done < <(jq -r '.layers[].digest' "$manifest")
rootfs="$work/rootfs"
check "the layers hold no whiteout files" test -z "$(find "$rootfs" -name '.wh.*' -print -quit)"

# --- metadata -----------------------------------------------------------------------------------------------------
expect_config() { # expect_config <jq filter> <expected JSON>
  local got
  got="$(jq -c "$1" "$config")"
  if [ "$got" = "$2" ]; then pass "config $1 = $2"; else fail "config $1 = $got, expected $2"; fi
}
expect_config '.os' '"linux"'
expect_config '.architecture' '"amd64"'
expect_config '.config.User' '"10001:10001"'
expect_config '.config.Entrypoint' '["/usr/local/bin/migrate"]'
expect_config '.config.Cmd' '["migrate"]'
expect_config '.config.WorkingDir' '"/app"'
expect_config '.config.Labels["org.opencontainers.image.title"]' '"runway-migrate"'
expect_config '.config.Labels["org.opencontainers.image.revision"]' "\"$(git -C "$ROOT" rev-parse HEAD)\""
expect_config '[.config.Labels | keys[] | select(startswith("org.opencontainers.image."))] | length' '6'
expect_config '.rootfs.diff_ids | length' '1'

# --- sizes --------------------------------------------------------------------------------------------------------
binary_bytes="$(stat -c %s "$rootfs/usr/local/bin/migrate")"
check "image $layer_bytes bytes uncompressed <= $MAX_IMAGE_BYTES" test "$layer_bytes" -le "$MAX_IMAGE_BYTES"
check "binary $binary_bytes bytes <= $MAX_BINARY_BYTES" test "$binary_bytes" -le "$MAX_BINARY_BYTES"
check "the binary is stripped" test -z "$(readelf -S "$rootfs/usr/local/bin/migrate" | grep -E '\.symtab|\.debug_')"
check "migrations/ and the binary are root's, not writable by others" \
  test -z "$(find "$rootfs/app" "$rootfs/usr/local/bin" \( ! -uid 0 -o -perm /022 \) -print -quit)"
check "migrations/ is the repository's" diff -r "$ROOT/migrations" "$rootfs/app/migrations"

# --- the runtime's mounts ----------------------------------------------------------------------------------------
# Mount points, as a container runtime creates them in its copy of the image.
mkdir -p "$rootfs/proc" "$rootfs/dev" "$rootfs/var/run/secrets/db" "$rootfs/var/run/secrets/db-ca"
touch "$rootfs/etc/hosts"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$work/hosts"
# The Secret, as the Job mounts it: defaultMode 0440, group 10001 (fsGroup).
mkdir -p "$work/secret" "$work/wrong-secret" "$work/ca"
printf '%s\n' "$DB_PASSWORD" >"$work/secret/password"
printf 'not-the-password\n' >"$work/wrong-secret/password"
chown -R 0:10001 "$work/secret" "$work/wrong-secret"
chmod 0440 "$work/secret/password" "$work/wrong-secret/password"

# in_image <secret folder> <VAR=value...> -- <migrate arguments...>: runs /usr/local/bin/migrate from the image;
# stdout and stderr go to $work/out, the exit status to $status.
in_image() {
  local secret="$1"
  shift
  local environment=()
  while [ "$1" != -- ]; do environment+=("$1"); shift; done
  shift
  set +e
  # shellcheck disable=SC2016 # the script runs in the new namespace and expands its own arguments
  unshare --mount --propagation private -- bash -c '
    set -e
    root="$1" secret="$2" ca="$3" hosts="$4"
    shift 4
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount -t tmpfs -o mode=0755,nosuid,noexec tmpfs "$root/dev"
    for device in null zero random urandom; do
      touch "$root/dev/$device"
      mount --bind "/dev/$device" "$root/dev/$device"
    done
    mount --bind "$hosts" "$root/etc/hosts"
    mount --bind "$secret" "$root/var/run/secrets/db"
    mount --bind "$ca" "$root/var/run/secrets/db-ca"
    for read_only in var/run/secrets/db var/run/secrets/db-ca etc/hosts ""; do
      mount -o remount,bind,ro "$root/$read_only"
    done
    if touch "$root/probe" 2>/dev/null; then echo "test-image: the root file system is writable" >&2; exit 99; fi
    exec "$@"
  ' in-image "$rootfs" "$secret" "$work/ca" "$work/hosts" \
    env -i "${environment[@]}" unshare --root="$rootfs" --wd=/app --setgid 10001 --setuid 10001 "$@" \
    >"$work/out" 2>&1
  status=$?
  set -e
  if grep -qF "$DB_PASSWORD" "$work/out"; then
    fail "the password appears in the output of: ${*}"
  fi
}
show_output() { sed 's/^/      | /' "$work/out" | head -n 20; }
expect() { # expect <status> <description> [text the output must contain]
  if [ "$status" = "$1" ] && { [ -z "${3:-}" ] || grep -qF -- "$3" "$work/out"; }; then
    pass "$2"
  else
    fail "$2 (exit $status, expected $1${3:+, output containing \"$3\"})"
    show_output
  fi
}

plain=(DB_HOST=127.0.0.1 "DB_PORT=$DB_PORT" DB_NAME=runway "DB_USERNAME=$DB_USERNAME"
  DB_PASSWORD_FILE=/var/run/secrets/db/password)
# The Job's arguments (deploy/components/migration-job/job.yaml).
job=(migrate --connect-retries 20 --connect-retries-interval 15 --lock-retry-count 300 --log-format json)

echo "--- the image's libraries, as its own loader resolves them"
in_image "$work/secret" -- /lib64/ld-linux-x86-64.so.2 --list /usr/local/bin/migrate
expect 0 "every library the binary needs is in the image"
if grep -q "not found" "$work/out"; then fail "a library is missing from the image"; show_output; fi
sed 's/^/      /' "$work/out"
in_image "$work/secret" -- /usr/local/bin/migrate --version
expect 0 "migrate --version"

echo "--- without TLS (database runway)"
in_image "$work/secret" "${plain[@]}" -- /usr/local/bin/migrate wait --timeout 2
expect 5 "wait before the Job ran: times out, exit 5" "not applied"
in_image "$work/secret" "${plain[@]}" -- /usr/local/bin/migrate info
expect 0 "info before migrate lists pending migrations" "Pending"
in_image "$work/secret" "${plain[@]}" -- /usr/local/bin/migrate validate
expect 1 "validate before migrate fails: migrations pending"
in_image "$work/wrong-secret" "${plain[@]}" -- /usr/local/bin/migrate "${job[@]}"
expect 6 "a wrong password in the Secret: login refused, exit 6"
in_image "$work/secret" "${plain[@]}" -- /usr/local/bin/migrate "${job[@]}"
expect 0 "migrate with the Job's arguments" '"Successfully applied'
in_image "$work/secret" "${plain[@]}" -- /usr/local/bin/migrate info
expect 0 "info after migrate" "Success"
if grep -q Pending "$work/out"; then fail "info still lists a pending migration"; show_output; fi
in_image "$work/secret" "${plain[@]}" -- /usr/local/bin/migrate validate
expect 0 "validate after migrate" "Successfully validated"
in_image "$work/secret" "${plain[@]}" -- /usr/local/bin/migrate wait --timeout 30
expect 0 "wait after migrate"

echo "--- with TLS, sslmode=verify-full (database runway_tls; the server refuses it without TLS)"
tls="$work/tls"
mkdir -p "$tls"
(
  cd "$tls"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  for ca in ca other-ca; do
    openssl req -x509 "${ec[@]}" -keyout "$ca.key" -out "$ca.crt" -days 2 -subj "/CN=Runway image test $ca" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  done
  openssl req -new "${ec[@]}" -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
  printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 \
    -extfile server.ext 2>/dev/null
  chmod 600 server.key
  chown postgres server.key server.crt
)
cp "$tls/ca.crt" "$tls/other-ca.crt" "$work/ca/"
chmod 0444 "$work/ca/"*
admin() { PGPASSWORD="$DB_PASSWORD" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$DB_PORT" -U "$DB_USERNAME" "$@"; }
hba="$(admin -d postgres -tAc 'SHOW hba_file')"
{
  echo "hostnossl runway_tls all 127.0.0.1/32 reject"
  echo "hostnossl runway_tls all ::1/128 reject"
  cat "$hba"
} >"$work/hba" && cat "$work/hba" >"$hba"
admin -d postgres -c "CREATE DATABASE runway_tls" \
  -c "ALTER SYSTEM SET ssl = on" \
  -c "ALTER SYSTEM SET ssl_cert_file = '$tls/server.crt'" \
  -c "ALTER SYSTEM SET ssl_key_file = '$tls/server.key'" \
  -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
check "the server speaks TLS" \
  test "$(PGSSLMODE=require admin -d postgres -tAc 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')" = t

tls_env=(DB_HOST=localhost "DB_PORT=$DB_PORT" DB_NAME=runway_tls "DB_USERNAME=$DB_USERNAME"
  DB_PASSWORD_FILE=/var/run/secrets/db/password DB_SSLMODE=verify-full)
ca=(DB_SSLROOTCERT=/var/run/secrets/db-ca/ca.crt)
in_image "$work/secret" "${tls_env[@]}" DB_SSLMODE=disable -- /usr/local/bin/migrate info
expect 3 "without TLS the server refuses runway_tls (so what passes below used TLS)" "no encryption"
in_image "$work/secret" "${tls_env[@]}" DB_SSLROOTCERT=/var/run/secrets/db-ca/other-ca.crt -- \
  /usr/local/bin/migrate info
expect 3 "verify-full with a CA that did not sign the server's certificate fails" "certificate verify failed"
in_image "$work/secret" "${tls_env[@]}" DB_SSLROOTCERT=/etc/ssl/certs/ca-certificates.crt -- \
  /usr/local/bin/migrate info
expect 3 "the image's CA bundle is read (and does not hold the test CA)" "certificate verify failed"
in_image "$work/secret" "${tls_env[@]}" "${ca[@]}" -- /usr/local/bin/migrate "${job[@]}"
expect 0 "migrate over TLS with the Job's arguments" '"Successfully applied'
in_image "$work/secret" "${tls_env[@]}" "${ca[@]}" -- /usr/local/bin/migrate info
expect 0 "info over TLS" "Success"
in_image "$work/secret" "${tls_env[@]}" "${ca[@]}" -- /usr/local/bin/migrate validate
expect 0 "validate over TLS" "Successfully validated"
in_image "$work/secret" "${tls_env[@]}" "${ca[@]}" -- /usr/local/bin/migrate wait --timeout 30
expect 0 "wait over TLS"

echo "image: $passed passed, $failed failed"
[ "$failed" = 0 ]
