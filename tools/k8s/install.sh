#!/usr/bin/env bash
# Builds the Kubernetes tools that validate k8s/ from the Go module proxy, once per machine and version, and
# prints their paths: kube-apiserver and kubectl (from k8s.io/kubernetes), etcd (from go.etcd.io/etcd/server/v3)
# and kustomize (sigs.k8s.io/kustomize/kustomize/v5).
#
# usage: tools/k8s/install.sh            prints four lines: kube-apiserver, kubectl, etcd, kustomize
#        tools/k8s/install.sh NAME       prints the path of that one tool
#
# Facts this relies on (tried on these machines, December 2026):
# - k8s.io/kubernetes is served, but as a dependency its go.mod requires its staging modules (k8s.io/api, ...)
#   at v0.0.0 with replace directives to ./staging that only apply inside that repository. A throwaway module
#   replaces each of them with the published k8s.io/<name> at the matching v0.<minor>.<patch> release.
# - etcd's server module is itself the `etcd` command (package main at its root).
# - Measured cold here (2 cores shared with five other builds): kube-apiserver and kubectl 42 min (13 CPU-
#   minutes, with part of the Go build cache already warm), etcd 3 min, kustomize 3 min; cached after. The
#   binaries: kube-apiserver 170 MB, kubectl 88 MB.
set -euo pipefail

k8s_version="${K8S_VERSION:-v1.37.2}"
etcd_version="${ETCD_VERSION:-v3.7.3}"
kustomize_version="${KUSTOMIZE_VERSION:-v5.8.0}"
root="${SPIRE_MGMT_CACHE:-$HOME/.cache/spire-mgmt}"
k8s_dir="$root/kubernetes-$k8s_version/bin"
etcd_dir="$root/etcd-$etcd_version/bin"
kustomize_dir="$root/kustomize-$kustomize_version/bin"

case "${1:-all}" in
  all | kube-apiserver | kubectl | etcd | kustomize) ;;
  *) echo "usage: $0 [kube-apiserver|kubectl|etcd|kustomize]" >&2; exit 2 ;;
esac

export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
export CGO_ENABLED=0
gobin="$(command -v go)"
# Builds share the machine with other work: stay polite.
go() { nice -n 10 "$gobin" "$@"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

build_kubernetes() {
  [[ -x "$k8s_dir/kube-apiserver" && -x "$k8s_dir/kubectl" ]] && return
  local staging_version="v0.${k8s_version#v1.}" mod="$work/kubernetes"
  mkdir -p "$mod" "$k8s_dir"
  (
    cd "$mod"
    go mod init spire-mgmt-kubernetes-build
    gomod="$(go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
    [[ -f "$gomod" ]] || { echo "no go.mod downloaded for k8s.io/kubernetes@$k8s_version" >&2; exit 1; }
    # Every module k8s.io/kubernetes replaces with ./staging/src/k8s.io/<name>.
    sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$gomod" | sort -u >staging.txt
    [[ -s staging.txt ]] || { echo "found no staging modules in $gomod" >&2; exit 1; }
    while read -r m; do
      go mod edit -replace "$m=$m@$staging_version"
    done <staging.txt
    go mod edit -require "k8s.io/kubernetes@$k8s_version"
    go mod edit -tool k8s.io/kubernetes/cmd/kube-apiserver -tool k8s.io/kubernetes/cmd/kubectl
    go mod tidy
    # The version the binaries report (a build outside the repository's own scripts has none), for the
    # API server's /version and kubectl's version check.
    minor="${k8s_version#v1.}" minor="${minor%%.*}" ldflags=""
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    done
    go build -ldflags "$ldflags" -o "$work/kbin/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
  ) >&2
  mv "$work/kbin/kube-apiserver" "$k8s_dir/kube-apiserver.tmp" && mv "$k8s_dir/kube-apiserver.tmp" "$k8s_dir/kube-apiserver"
  mv "$work/kbin/kubectl" "$k8s_dir/kubectl.tmp" && mv "$k8s_dir/kubectl.tmp" "$k8s_dir/kubectl"
}

build_tool() { # build_tool DIR NAME MODULE@VERSION PACKAGE
  local dir="$1" name="$2" modver="$3" pkg="$4"
  [[ -x "$dir/$name" ]] && return
  mkdir -p "$work/$name" "$dir"
  (
    cd "$work/$name"
    go mod init "spire-mgmt-$name-build"
    go get -tool "$modver"
    go build -o "$work/$name/$name.bin" "$pkg"
  ) >&2
  mv "$work/$name/$name.bin" "$dir/$name.tmp" && mv "$dir/$name.tmp" "$dir/$name"
}

want="${1:-all}"
if [[ "$want" == all || "$want" == kube-apiserver || "$want" == kubectl ]]; then build_kubernetes; fi
if [[ "$want" == all || "$want" == etcd ]]; then
  build_tool "$etcd_dir" etcd "go.etcd.io/etcd/server/v3@$etcd_version" go.etcd.io/etcd/server/v3
fi
if [[ "$want" == all || "$want" == kustomize ]]; then
  build_tool "$kustomize_dir" kustomize "sigs.k8s.io/kustomize/kustomize/v5@$kustomize_version" sigs.k8s.io/kustomize/kustomize/v5
fi
case "$want" in
  all) printf '%s\n' "$k8s_dir/kube-apiserver" "$k8s_dir/kubectl" "$etcd_dir/etcd" "$kustomize_dir/kustomize" ;;
  kube-apiserver | kubectl) echo "$k8s_dir/$want" ;;
  etcd) echo "$etcd_dir/etcd" ;;
  kustomize) echo "$kustomize_dir/kustomize" ;;
esac
