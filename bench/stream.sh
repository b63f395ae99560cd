#!/usr/bin/env bash
# Stream delivery benchmark: the packaged backend on an embedded PostgreSQL under .data/bench-stream, one
# StreamSyncUpdates subscriber over real gRPC, and CHANGES changes of one site row committed one at a time by a
# JDBC client (each moves the row's target revision, so the sync event trigger logs it). Prints the latency from
# the COMMIT being sent to the subscriber receiving the update, p50/p99/max: first on an idle server, then while
# another session holds a transaction open on an unrelated table (a transaction id and an INSERT), with how many
# changes were not delivered within 2 s (a phase stops after 10 in a row). WARM_UP changes run first, untimed.
#
# usage: bench/stream.sh [CHANGES=1000] [WARM_UP=300]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -DskipTests package
exec java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.spiremgmt.bench.StreamBench "$@"
