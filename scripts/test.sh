#!/usr/bin/env bash
# The whole test suite: the Strategy A example (three app copies starting together), the Kubernetes manifests
# (when kubectl and kubernetes-validate are installed), then every Swift test against a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-example.sh
bash scripts/validate-manifests.sh
swift build --build-tests
scripts/with-postgres.sh swift test --skip-build "$@"
