#!/usr/bin/env bash
# Validates k8s/ against a real Kubernetes API server: builds each overlay with kustomize, starts etcd and
# kube-apiserver (built by tools/k8s/install.sh) on loopback inside a private network namespace, installs
# the CustomResourceDefinitions the manifests use (CloudNativePG, prometheus-operator,
# spire-controller-manager; taken from their Go modules on the proxy at test time, not kept here), creates
# each overlay's namespaces for real (with their Pod Security labels), then applies every other object with
# `kubectl apply --server-side --dry-run=server`. An overlay fails on any error, and on any warning (the
# API server warns, for example, about a pod template that breaks the namespace's Pod Security Standard).
#
# Every environment variable the backend's and the agent's containers get must be a setting README.md's
# configuration tables name.
#
# Then proves the check can fail: broken copies of the production overlay (a CloudNativePG field outside its
# schema; a setting the service does not have; a container that may run as root) must be refused, with the
# API server's own message where it is the API server that refuses.
#
# usage: k8s/validate.sh [overlay-dir ...]     (default: k8s/overlays/dev, production, production-external-db,
#                                               site-example)
# Needs: Go (first run builds the tools, see tools/k8s/install.sh), openssl, unshare and ip (root).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

cnpg_module="github.com/cloudnative-pg/cloudnative-pg@${CNPG_VERSION:-v1.29.2}"
promop_module="github.com/prometheus-operator/prometheus-operator@${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
scm_module="github.com/spiffe/spire-controller-manager@${SPIRE_CONTROLLER_MANAGER_VERSION:-v0.6.3}"

if [[ "${1:-}" != --inside ]]; then
  # Outside the namespace: tools and CRDs need the network.
  mapfile -t tools < <(tools/k8s/install.sh)
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/crds"
  module_dir() { # module_dir MODULE@VERSION: its directory in the module cache
    (cd "$work" && GOFLAGS=-mod=mod go mod download -json "$1") |
      python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d["Error"]) if "Error" in d else print(d["Dir"])'
  }
  cp "$(module_dir "$cnpg_module")"/config/crd/bases/*.yaml "$work/crds/"
  cp "$(module_dir "$promop_module")"/example/prometheus-operator-crd/*.yaml "$work/crds/"
  cp "$(module_dir "$scm_module")"/config/crd/bases/*.yaml "$work/crds/"
  echo "CRDs ($((SECONDS))s since start): $cnpg_module, $promop_module, $scm_module ($(ls "$work/crds" | wc -l) files)"
  exec unshare -n bash -c 'ip link set lo up && exec "$@"' _ "$0" --inside "$work" "${tools[@]}" "$@"
fi

# Inside a private network namespace: loopback only, fixed ports clash with no one.
shift
work="$1" apiserver="$2" kubectl="$3" etcd="$4" kustomize="$5"
shift 5
overlays=("$@")
((${#overlays[@]})) || overlays=(k8s/overlays/dev k8s/overlays/production k8s/overlays/production-external-db k8s/overlays/site-example)
pids=()
cleanup() { # the API server first (it drains while etcd still answers), then etcd; 15 s each at most
  local pid i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid="${pids[i]}"
    kill "$pid" 2>/dev/null || continue
    for _ in {1..150}; do alive "$pid" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# alive PID: the process runs (a child that exited stays a zombie until waited for, and kill -0 finds it).
alive() { [[ -r "/proc/$1/stat" ]] && [[ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ]]; }

# Certificates and credentials for the API server (a throwaway CA, a serving certificate for 127.0.0.1,
# the service-account signing key and one static admin token).
pki="$work/pki"
mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=validate-ca -keyout ca.key -out ca.crt
  openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout apiserver.key -out apiserver.csr
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out apiserver.crt
  openssl genrsa -out sa.key 2048
  openssl rsa -in sa.key -pubout -out sa.pub
) >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log" >&2; exit 1; }
token="$(openssl rand -hex 16)"
echo "$token,validate-admin,validate-admin,system:masters" >"$pki/tokens.csv"

"$etcd" --data-dir "$work/etcd" --listen-client-urls http://127.0.0.1:2379 \
  --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 --unsafe-no-fsync \
  >"$work/etcd.log" 2>&1 &
pids+=($!)
"$apiserver" --etcd-servers http://127.0.0.1:2379 --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
  --secure-port 6443 --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --token-auth-file "$pki/tokens.csv" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$pki/sa.pub" \
  --service-account-signing-key-file "$pki/sa.key" --service-cluster-ip-range 10.96.0.0/24 \
  --endpoint-reconciler-type none --cert-dir "$work/apiserver-certs" >"$work/apiserver.log" 2>&1 &
pids+=($!)

export KUBECONFIG="$work/kubeconfig"
"$kubectl" config set-cluster validate --server https://127.0.0.1:6443 --certificate-authority "$pki/ca.crt" --embed-certs >/dev/null
"$kubectl" config set-credentials validate-admin --token "$token" >/dev/null
"$kubectl" config set-context validate --cluster validate --user validate-admin >/dev/null
"$kubectl" config use-context validate >/dev/null
k() { "$kubectl" --request-timeout 60s "$@"; }

start=$SECONDS
until k get --raw /readyz >/dev/null 2>&1; do
  if ((SECONDS - start > 120)) || ! alive "${pids[0]}" || ! alive "${pids[1]}"; then
    echo "kube-apiserver did not become ready (in 120 s, or it exited); last lines of its log and etcd's:" >&2
    tail -n 20 "$work/apiserver.log" "$work/etcd.log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "kube-apiserver $(k version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])') ready with etcd after $((SECONDS - start)) s"

k apply --server-side -f "$work/crds" >/dev/null
k wait --for condition=Established --timeout 60s crd --all >/dev/null
echo "installed $(k get crd -o name | wc -l) CustomResourceDefinitions"

# check_overlay DIR: builds DIR, creates its namespaces, dry-runs the rest. Prints the API server's
# answer and returns non-zero on any error or warning.
check_overlay() {
  local dir="$1" out="$work/out"
  rm -rf "$out" && mkdir -p "$out"
  if ! "$kustomize" build --load-restrictor LoadRestrictionsNone "$dir" >"$out/all.yaml" 2>"$out/build.err"; then
    cat "$out/build.err"
    return 1
  fi
  python3 - "$out" <<'PY'
import sys, yaml
out = sys.argv[1]
docs = [d for d in yaml.safe_load_all(open(f"{out}/all.yaml")) if d]
ns = [d for d in docs if d["kind"] == "Namespace"]
rest = [d for d in docs if d["kind"] != "Namespace"]
yaml.safe_dump_all(ns, open(f"{out}/namespaces.yaml", "w"))
yaml.safe_dump_all(rest, open(f"{out}/objects.yaml", "w"))
print(f"{len(docs)} objects ({len(ns)} namespaces)", file=open(f"{out}/count", "w"))
# The environment variables given to the project's own containers (backend, agent): their env and the
# ConfigMaps they take whole (envFrom). Each must be a setting README.md's configuration tables name.
maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
names = set()
for d in docs:
    pod = d.get("spec", {}).get("template", {}).get("spec", {})
    for c in pod.get("containers", []):
        if c["name"] not in ("backend", "agent"):
            continue
        names.update(e["name"] for e in c.get("env", []))
        for ref in c.get("envFrom", []):
            names.update(maps.get(ref.get("configMapRef", {}).get("name"), {}).keys())
open(f"{out}/env-names", "w").write("".join(n + "\n" for n in sorted(names)))
PY
  local name unknown=()
  while read -r name; do
    grep -qF "\`$name\`" README.md || unknown+=("$name")
  done <"$out/env-names"
  if ((${#unknown[@]})); then
    echo "not a setting of the service (README.md's configuration tables name none of these): ${unknown[*]}"
    return 1
  fi
  local rc=0
  if [[ -s "$out/namespaces.yaml" ]] && [[ "$(head -c 4 "$out/namespaces.yaml")" != "[]" ]]; then
    k apply --server-side --force-conflicts -f "$out/namespaces.yaml" >"$out/ns.out" 2>&1 || { cat "$out/ns.out"; return 1; }
  fi
  k apply --server-side --dry-run=server -f "$out/objects.yaml" >"$out/apply.out" 2>&1 || rc=$?
  cat "$out/apply.out"
  if ((rc != 0)); then return 1; fi
  if grep -q '^Warning:' "$out/apply.out"; then return 1; fi
  echo "($(cat "$out/count"), accepted; ${SECONDS}s since the API server's start)"
}

failed=0
for overlay in "${overlays[@]}"; do
  echo "-- $overlay"
  if ! check_overlay "$overlay"; then
    echo "FAILED: $overlay was not accepted as it is (see the API server's answer above)"
    failed=1
  fi
done

if [[ "${VALIDATE_NEGATIVE:-true}" == true ]]; then
  # Each broken overlay must be refused, and with the message the API server gives for that fault.
  negative() { # negative NAME EXPECTED-MESSAGE PATCH
    local name="$1" expected="$2" dir="$work/negative-$1"
    mkdir -p "$dir"
    cp -r "$repo/k8s" "$dir/k8s" && cp -r "$repo/envoy" "$dir/envoy"
    printf '%s\n' "$3" >>"$dir/k8s/overlays/production/kustomization.yaml"
    echo "-- negative: $name"
    if check_overlay "$dir/k8s/overlays/production" >"$dir/answer" 2>&1; then
      echo "FAILED: the broken overlay was accepted"; failed=1
    elif ! grep -qF -- "$expected" "$dir/answer"; then
      cat "$dir/answer"
      echo "FAILED: refused, but without the expected message: $expected"; failed=1
    else
      echo "refused as expected: $(grep -F -m 1 -- "$expected" "$dir/answer" | cut -c1-200)"
    fi
  }
  negative cnpg-schema 'Unsupported value: "all"' '  - target: { kind: Cluster, name: spire-mgmt-db }
    patch: |-
      - op: replace
        path: /spec/postgresql/synchronous/method
        value: all'
  negative unknown-setting 'not a setting of the service (README.md'"'"'s configuration tables name none of these): SPIRE_MGMT_NO_SUCH_SETTING' '  - target: { kind: Deployment, name: spire-mgmt-backend }
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/env/-
        value: { name: SPIRE_MGMT_NO_SUCH_SETTING, value: "1" }'
  negative pod-security 'would violate PodSecurity "restricted' '  - target: { kind: Deployment, name: spire-mgmt-backend }
    patch: |-
      - op: remove
        path: /spec/template/spec/securityContext/runAsNonRoot
      - op: remove
        path: /spec/template/spec/securityContext/runAsUser'
fi
exit "$failed"
