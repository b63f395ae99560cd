#!/usr/bin/env bash
# Sync benchmark: three real spire-server processes of one trust domain, the packaged backend on an embedded
# PostgreSQL, and three site agents, all on this machine. Each SPIRE server keeps its entries in a database of
# its own on a second embedded PostgreSQL (SPIRE's SQL datastore, database_type "postgres"). Prints
#   1. latency from CreateEntry returning to SYNCED at all three sites (LATENCY_N entries, 4 clients), seen
#      through StreamSyncUpdates;
#   2. bulk: BULK_N entries created centrally with the agents stopped, raw BatchCreateEntry of the same
#      entries straight into the three SPIRE servers, then the agents started and timed until every pair is
#      SYNCED; and the ratio of the two rates.
# Logs of the backend and agents go to e2e/target/e2e-logs.
#
# usage: bench/sync.sh [LATENCY_N=1000] [BULK_N=100000] [SPIRE_BATCH=500]      (BULK_N=0: latency only)
# environment: SPIRE_DATASTORE=postgres|sqlite (default postgres)
#              LATENCY_RATE=<entries/s> paces the latency clients (default 0: as fast as 4 clients go)
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -DskipTests install
./mvnw -B -q -pl e2e dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
cd e2e
exec java -Dbench.spire-datastore="${SPIRE_DATASTORE:-postgres}" -Dbench.latency-rate="${LATENCY_RATE:-0}" \
  -De2e.backend.jar="$PWD/../backend/target/quarkus-app/quarkus-run.jar" \
  -De2e.agent.jar="$PWD/../site-agent/target/quarkus-app/quarkus-run.jar" \
  -De2e.logs="$PWD/target/e2e-logs" \
  -cp "target/test-classes:$(cat target/test-classpath.txt)" io.spiremgmt.e2e.SyncBench "$@"
