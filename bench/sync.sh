#!/usr/bin/env bash
# Sync benchmark: three real spire-server processes of one trust domain, the packaged backend on an embedded
# PostgreSQL, and three site agents, all on this machine. Each SPIRE server keeps its entries in a database of
# its own on a second embedded PostgreSQL (SPIRE's SQL datastore, database_type "postgres"). Prints
#   1. latency, after an untimed warm-up, at each rate of LATENCY_RATES (LATENCY_N entries, 4 clients), side
#      by side: (a) CreateEntry alone, (b) a raw SPIRE BatchCreateEntry of one entry at each site (the
#      slowest site), (c) from calling CreateEntry to SYNCED at all three sites (seen through
#      StreamSyncUpdates), and the overhead (c) - (a) - (b); and the CPU time each part (backend, its
#      PostgreSQL, agents, SPIRE servers, SPIRE's PostgreSQL) spent per entry in (c) and in (b);
#   2. saturation, when SATURATION_RATES is set: the p99 of (c) and of (b) at each of those rates (16 clients,
#      10 s each), and the highest rate at which each stays under 500 ms;
#   3. bulk: BULK_N entries created centrally with the agents stopped, raw BatchCreateEntry of the same
#      entries straight into the three SPIRE servers, then the agents started and timed until every pair is
#      SYNCED; and the ratio of the two rates.
# Logs of the backend and agents go to e2e/target/e2e-logs.
#
# usage: bench/sync.sh [LATENCY_N=1000] [BULK_N=100000] [SPIRE_BATCH=500]      (0 skips that part)
# environment: SPIRE_DATASTORE=postgres|sqlite (default postgres)
#              LATENCY_RATES=<entries/s,...> the latency runs' paces (default 10,50; 0: as fast as 4 clients go)
#              SATURATION_RATES=<entries/s,...> e.g. 25,50,100,150,200,300 (default: none)
#              WARM_UP=<entries> created (and written raw) untimed first, so that the JIT has compiled (default 2000)
#              BACKEND_JVM_OPTS, AGENT_JVM_OPTS: the backend's and the agents' JVM options (default: their
#              images', bench/image-jvm-opts.sh; add a JFR recording here, say)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/image-jvm-opts.sh
./mvnw -B -q -DskipTests install
./mvnw -B -q -pl e2e dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
cd e2e
exec java -De2e.jvm.opts.backend="$backend_opts" -De2e.jvm.opts.agent="$agent_opts" -Dbench.spire-datastore="${SPIRE_DATASTORE:-postgres}" -Dbench.latency-rates="${LATENCY_RATES:-10,50}" \
  -Dbench.warm-up="${WARM_UP:-2000}" \
  -Dbench.saturation-rates="${SATURATION_RATES:-}" \
  -De2e.backend.jar="$PWD/../backend/target/quarkus-app/quarkus-run.jar" \
  -De2e.agent.jar="$PWD/../site-agent/target/quarkus-app/quarkus-run.jar" \
  -De2e.logs="$PWD/target/e2e-logs" \
  -cp "target/test-classes:$(cat target/test-classpath.txt)" io.spiremgmt.e2e.SyncBench "$@"
