#!/usr/bin/env bash
# The whole test suite: builds, starts a throwaway PostgreSQL, runs every test against it.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
scripts/with-postgres.sh swift test --skip-build "$@"
