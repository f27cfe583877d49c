#!/usr/bin/env bash
# Builds the migration image (the `migrate` CLI with migrations/ baked in) without a Docker engine:
#
#   bash scripts/build-image.sh                       # -> .build-image/runway-migrate.oci.tar (OCI archive)
#   bash scripts/build-image.sh --rootfs DIR          # only the root file system, into DIR (what the Dockerfile runs)
#   bash scripts/build-image.sh --version 1.0.0       # image version label and tag (default: dev)
#
# Steps:
#   1. `swift build -c release --product migrate --static-swift-stdlib` (scratch folder .build-image), stripped.
#   2. The shared libraries the binary needs, found with ldd, taken from the Debian packages that own them here, in
#      the mirror's current version (`apt-get download` + `dpkg -x`): only those files, their SONAME links and each
#      package's copyright file. The binary is started on the extracted libraries once, so a missing one fails here.
#   3. The CA bundle (/etc/ssl/certs/ca-certificates.crt, from the ca-certificates package's Mozilla certificates),
#      /etc/passwd and /etc/group with the runtime user 10001, /etc/nsswitch.conf, and migrations/ at
#      /app/migrations, all owned by root.
#   4. `podman build` of the Dockerfile's final stage (FROM scratch; this script's root file system as one layer),
#      so the image's metadata (user, entrypoint, labels) comes from one place, and `podman save --format
#      oci-archive`. Base images are never pulled.
#
# Sizes go to .build-image/image-sizes (read by scripts/bench.sh S7 and printed at the end). Needs root or write
# access to the scratch folder, apt-get with current package lists, dpkg, binutils, and podman for the archive
# (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

version=dev
rootfs_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rootfs) rootfs_only="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "build-image: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

SCRATCH="$ROOT/.build-image"
OUT="$SCRATCH/image"
ARCHIVE="$SCRATCH/runway-migrate.oci.tar"
mkdir -p "$SCRATCH"

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || {
      echo "build-image: '$tool' not found: run scripts/setup.sh (as root) first" >&2
      exit 1
    }
  done
}
need swift apt-get dpkg dpkg-query ldd strip tar
[ -n "$rootfs_only" ] || need podman

# --- 1. the binary ------------------------------------------------------------------------------------------------
echo "build-image: building migrate (release, static Swift runtime)" >&2
swift build -c release --product migrate --static-swift-stdlib --scratch-path "$SCRATCH" >&2
binary="$(swift build -c release --product migrate --static-swift-stdlib --scratch-path "$SCRATCH" --show-bin-path)/migrate"

rm -rf "$OUT"
rootfs="$OUT/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/app" "$rootfs/etc/ssl/certs" "$OUT/debs" "$OUT/packages"
strip --strip-all -o "$rootfs/usr/local/bin/migrate" "$binary"
chmod 0755 "$rootfs/usr/local/bin/migrate"

# --- 2. shared libraries from Debian's packages -------------------------------------------------------------------
# Each library ldd resolves, as the path its package installs it at (bookworm's packages still say /lib/... for
# what merged /usr puts under /usr/lib/...).
package_of() {
  local path="$1" candidate owner
  for candidate in "$path" "${path#/usr}" "/usr$path"; do
    owner="$(dpkg-query -S "$candidate" 2>/dev/null | grep -v '^diversion' | head -n 1)" || true
    if [ -n "$owner" ]; then
      echo "${owner%%: *} $candidate"
      return 0
    fi
  done
  echo "build-image: no Debian package owns $path (a library built or copied by hand cannot go into the image)" >&2
  return 1
}

declare -A packages=()
libraries=()
while read -r path; do
  read -r package packaged < <(package_of "$path")
  packages["$package"]=1
  libraries+=("$packaged")
done < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
packages["ca-certificates"]=1

download() {
  local name="${1%%:*}"
  # The mirror's current version of the package: Debian 12's updates keep each library's ABI (the SONAME the
  # binary names), and the image gets the security fixes.
  if ! (cd "$OUT/debs" && apt-get download -qq "$name" >/dev/null 2>&1); then
    echo "build-image: apt-get download $name failed: run apt-get update first" >&2
    return 1
  fi
  local deb
  deb="$(find "$OUT/debs" -name "${name}_*.deb" | head -n 1)"
  dpkg-deb -x "$deb" "$OUT/packages/$name"
  echo "$name $(dpkg-deb -f "$deb" Version)" >>"$OUT/package-versions"
}
: >"$OUT/package-versions"
for package in "${!packages[@]}"; do download "$package"; done

# Copies one path from an extracted package into the root file system, following symbolic links (the SONAME link
# and the file it names both go in).
copy_from_packages() {
  local path="$1" package source
  for package in "$OUT"/packages/*; do
    source="$package$path"
    if [ -e "$source" ] || [ -L "$source" ]; then
      mkdir -p "$rootfs$(dirname "$path")"
      cp -a "$source" "$rootfs$path"
      if [ -L "$source" ]; then
        local target
        target="$(readlink "$source")"
        case "$target" in
          /*) copy_from_packages "$target" ;;
          *) copy_from_packages "$(dirname "$path")/$target" ;;
        esac
      fi
      return 0
    fi
  done
  echo "build-image: $path is not in the downloaded packages" >&2
  return 1
}
for library in "${libraries[@]}"; do copy_from_packages "$library"; done
# The dynamic loader is also reached as /lib64/ld-linux-x86-64.so.2 (the path written into every binary).
interpreter="$(readelf -l "$binary" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')"
[ -e "$rootfs$interpreter" ] || copy_from_packages "$interpreter"
for name in "${!packages[@]}"; do
  name="${name%%:*}"
  if [ -f "$OUT/packages/$name/usr/share/doc/$name/copyright" ]; then
    mkdir -p "$rootfs/usr/share/doc/$name"
    cp "$OUT/packages/$name/usr/share/doc/$name/copyright" "$rootfs/usr/share/doc/$name/copyright"
  fi
done

# --- 3. CA bundle, users, migrations ------------------------------------------------------------------------------
# What update-ca-certificates writes with Debian's default configuration: every Mozilla certificate, in name order.
find "$OUT/packages/ca-certificates/usr/share/ca-certificates/mozilla" -name '*.crt' -print0 | sort -z |
  xargs -0 cat >"$rootfs/etc/ssl/certs/ca-certificates.crt"
cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
runway:x:10001:10001:runway:/app:/usr/sbin/nologin
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
runway:x:10001:
EOF
# glibc's default without this file asks DNS before /etc/hosts.
cat >"$rootfs/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
cp -R "$ROOT/migrations" "$rootfs/app/migrations"
find "$rootfs" -type d -exec chmod 0755 {} +
find "$rootfs/etc" "$rootfs/app" "$rootfs/usr/share" -type f -exec chmod 0644 {} +

# The binary starts on these libraries alone (the extracted loader, no host library path).
"$rootfs$interpreter" --library-path "$rootfs/lib/x86_64-linux-gnu:$rootfs/usr/lib/x86_64-linux-gnu" \
  --inhibit-cache "$rootfs/usr/local/bin/migrate" --version >/dev/null || {
  echo "build-image: the binary does not start on the libraries put into the image" >&2
  exit 1
}

# --- sizes --------------------------------------------------------------------------------------------------------
bytes() { du -sb --apparent-size "$@" | awk '{ total += $1 } END { print total + 0 }'; }
library_files=()
while IFS= read -r -d '' file; do library_files+=("$file"); done < <(find "$rootfs/lib" "$rootfs/usr/lib" \
  "$rootfs/lib64" -type f -print0 2>/dev/null)
{
  echo "BINARY_UNSTRIPPED $(stat -c %s "$binary")"
  echo "BINARY $(stat -c %s "$rootfs/usr/local/bin/migrate")"
  echo "LIBRARIES $(bytes "${library_files[@]}")"
  echo "LIBRARY_COUNT ${#library_files[@]}"
  echo "CA_BUNDLE $(stat -c %s "$rootfs/etc/ssl/certs/ca-certificates.crt")"
  echo "MIGRATIONS $(bytes "$rootfs/app/migrations")"
  echo "ROOTFS $(bytes "$rootfs")"
} >"$SCRATCH/image-sizes"
# The biggest libraries, for docs/performance.md.
for file in "${library_files[@]}"; do echo "$(stat -c %s "$file") ${file#"$rootfs"}"; done | sort -rn \
  >"$SCRATCH/image-libraries"

if [ -n "$rootfs_only" ]; then
  mkdir -p "$rootfs_only"
  cp -a "$rootfs/." "$rootfs_only/"
  echo "build-image: root file system in $rootfs_only" >&2
  exit 0
fi

# --- 4. the OCI image ---------------------------------------------------------------------------------------------
epoch="$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)"
revision="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
context="$OUT/context"
mkdir -p "$context"
# One layer, reproducible: sorted names, root-owned, the commit's time on every file.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$rootfs" -cf "$context/rootfs.tar" .
# The Dockerfile's final stage, with its root file system taken from the tarball above instead of the build stage.
awk '/^FROM scratch/ { image = 1 } image' "$ROOT/Dockerfile" |
  sed 's|^COPY --from=rootfs /rootfs/ /$|ADD rootfs.tar /|' >"$context/Containerfile"
grep -q '^ADD rootfs.tar /$' "$context/Containerfile" || {
  echo "build-image: the Dockerfile's final stage no longer has 'COPY --from=rootfs /rootfs/ /'" >&2
  exit 1
}
# A private store under the scratch folder: nothing of the host's container storage is used or left behind.
podman_store=(--root "$SCRATCH/podman/root" --runroot "$SCRATCH/podman/run" --storage-driver vfs)
tag="localhost/runway-migrate:$version"
podman "${podman_store[@]}" build --quiet --format oci --timestamp "$epoch" --pull=never \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg CREATED="$created" \
  -f "$context/Containerfile" -t "$tag" "$context" >/dev/null
rm -f "$ARCHIVE"
podman "${podman_store[@]}" save --quiet --format oci-archive -o "$ARCHIVE" "$tag"
podman "${podman_store[@]}" rmi --force "$tag" >/dev/null 2>&1 || true

# Uncompressed: the layer as it is unpacked on a node; compressed: what a registry stores and a node pulls.
layer_bytes="$(stat -c %s "$context/rootfs.tar")"
{
  echo "IMAGE_UNCOMPRESSED $layer_bytes"
  echo "IMAGE_COMPRESSED $(gzip -6 -n -c "$context/rootfs.tar" | wc -c)"
  echo "IMAGE_ARCHIVE $(stat -c %s "$ARCHIVE")"
} >>"$SCRATCH/image-sizes"

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
size() { awk -v k="$1" '$1 == k { print $2 }' "$SCRATCH/image-sizes"; }
{
  echo "build-image: $ARCHIVE ($tag)"
  printf '  %-34s %s\n' "binary (stripped)" "$(mb "$(size BINARY)")" \
    "shared libraries ($(size LIBRARY_COUNT) files)" "$(mb "$(size LIBRARIES)")" \
    "CA bundle" "$(mb "$(size CA_BUNDLE)")" \
    "migrations/" "$(mb "$(size MIGRATIONS)")" \
    "image, uncompressed" "$(mb "$(size IMAGE_UNCOMPRESSED)")" \
    "image, gzip-compressed layer" "$(mb "$(size IMAGE_COMPRESSED)")"
} >&2
