#!/usr/bin/env bash
# Builds Jaeger (the all-in-one `jaeger` binary: collector with OTLP on 4317/4318, in-memory storage, query
# API and UI on 16686) from the Go module proxy, once per machine and version, and prints the path of the
# binary. The real trace backend of the end-to-end tracing test comes from here.
#
# usage: tools/jaeger/install.sh
#
# Facts this relies on (tried on these machines, December 2026):
# - The Go module github.com/jaegertracing/jaeger is served at v1.75.0 here (v1.76.0 is listed but not an
#   approved release: see /work/.library/env/packages/go-partial.tsv). Its all-in-one program is
#   cmd/jaeger (Jaeger v2, built on the OpenTelemetry Collector); with no config it runs all-in-one with
#   in-memory storage. The old cmd/all-in-one is gone from that version.
# - Built as a tool of a throwaway module with an explicit version, as tools/spire/install.sh does.
# - A cold build (modules downloaded and compiled) took 9 minutes of CPU (7m41s user, 1m24s sys): about
#   5 minutes on 2 idle cores (45 minutes wall clock on a machine shared with five other builds); the
#   binary is about 120 MB. It has no version flag (`jaeger version` prints empty build data).
set -euo pipefail

version="${JAEGER_VERSION:-v1.75.0}"
cache="${SPIRE_MGMT_CACHE:-$HOME/.cache/spire-mgmt}/jaeger-$version"
binary="$cache/bin/jaeger"

if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi

command -v go >/dev/null || { echo "$0: needs Go 1.24 or newer to build Jaeger (go not found)" >&2; exit 1; }
mkdir -p "$cache/bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
{
  go mod init spire-mgmt-jaeger-build
  go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$version"
  GOBIN="$work/bin" go install "github.com/jaegertracing/jaeger/cmd/jaeger"
} >&2
mv "$work/bin/jaeger" "$binary.tmp"
mv "$binary.tmp" "$binary"
echo "$binary"
