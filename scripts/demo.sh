#!/usr/bin/env bash
# The demo: builds `migrate`, starts a throwaway PostgreSQL and applies migrations/ to it (then shows info,
# runs migrate again to show there is nothing left to do, and validates).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product migrate
bin="$(swift build --show-bin-path)/migrate"
scripts/with-postgres.sh bash -c "
  set -e
  echo '$ migrate migrate'; '$bin' migrate
  echo; echo '$ migrate info'; '$bin' info
  echo; echo '$ migrate migrate   # again: nothing to do'; '$bin' migrate
  echo; echo '$ migrate validate'; '$bin' validate
"
