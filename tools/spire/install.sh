#!/usr/bin/env bash
# Builds SPIRE's spire-server (and, with "agent", spire-agent) from the Go module proxy, once per machine and
# version, and prints the path of the binary. Real SPIRE servers for end-to-end tests come from here.
#
# usage: tools/spire/install.sh [server|agent]     (default: server)
#
# Facts this relies on (tried on these machines, November 2026):
# - The proxy lists no SPIRE versions, so `go install ...@version` fails at its deprecation check (403 on
#   /@v/list). Adding the command as a tool of a throwaway module with an explicit version works.
# - v1.13.3 is the version served here (see /work/.library/env/packages/go-partial.tsv).
# - sum.golang.org has no entry for github.com/GoogleCloudPlatform/cloudsql-proxy@v1.37.9, a dependency of
#   the SQL datastore; GONOSUMDB skips the checksum-database lookup for that module only (go.sum still pins
#   it within the build).
# - cgo is required: without it the sqlite datastore refuses to start.
# - A build takes about 5 minutes on 2 cores; the binaries are about 230 MB.
set -euo pipefail

component="${1:-server}"
case "$component" in
  server | agent) ;;
  *) echo "usage: $0 [server|agent]" >&2; exit 2 ;;
esac

version="${SPIRE_VERSION:-v1.13.3}"
cache="${SPIRE_MGMT_CACHE:-$HOME/.cache/spire-mgmt}/spire-$version"
binary="$cache/bin/spire-$component"

if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi

mkdir -p "$cache/bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export CGO_ENABLED=1
export GONOSUMDB="github.com/GoogleCloudPlatform/cloudsql-proxy${GONOSUMDB:+,$GONOSUMDB}"
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
{
  go mod init spire-mgmt-spire-build
  go get -tool "github.com/spiffe/spire/cmd/spire-$component@$version"
  GOBIN="$work/bin" go install "github.com/spiffe/spire/cmd/spire-$component"
} >&2
mv "$work/bin/spire-$component" "$binary.tmp"
mv "$binary.tmp" "$binary"
echo "$binary"
