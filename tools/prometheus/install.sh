#!/usr/bin/env bash
# Builds Prometheus's promtool from the Go module proxy, once per machine and version, and prints the path of
# the binary. The alert rules under k8s/base/monitoring/ are checked and unit-tested with it
# (`promtool check rules`, `promtool test rules`).
#
# usage: tools/prometheus/install.sh
#
# Facts this relies on (tried on these machines, December 2026):
# - Prometheus 3.x is published on the proxy as module versions v0.3XX.Y (v0.316.0 is Prometheus 3.16.0);
#   v0.316.0 is the newest served here (see /work/.library/env/packages/go-partial.tsv).
# - As with SPIRE, the command is added as a tool of a throwaway module with an explicit version and then
#   installed, so the proxy's version list is never needed.
# - promtool needs no cgo and no web UI assets.
# - A cold build (empty Go build cache) took 11 CPU-minutes, so about 6 minutes on 2 idle cores (estimated)
#   and 43 minutes measured on a machine shared with other builds (load around 28); the binary is about 120 MB.
set -euo pipefail

version="${PROMETHEUS_VERSION:-v0.316.0}"
cache="${SPIRE_MGMT_CACHE:-$HOME/.cache/spire-mgmt}/prometheus-$version"
binary="$cache/bin/promtool"

if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi

command -v go >/dev/null || { echo "$0: needs Go 1.24 or newer to build promtool (go not found)" >&2; exit 1; }
mkdir -p "$cache/bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
{
  go mod init spire-mgmt-promtool-build
  go get -tool "github.com/prometheus/prometheus/cmd/promtool@$version"
  # v0.3MM.P is Prometheus 3.MM.P: stamped so that `promtool --version` says which.
  minor="${version#v0.3}" minor="${minor%%.*}" patch="${version##*.}"
  GOBIN="$work/bin" go install \
    -ldflags "-X github.com/prometheus/common/version.Version=3.$((10#$minor)).$patch" \
    "github.com/prometheus/prometheus/cmd/promtool"
} >&2
# Moved last: its presence means the build finished.
mv "$work/bin/promtool" "$binary.tmp"
"$binary.tmp" --version >&2
mv "$binary.tmp" "$binary"
echo "$binary"
