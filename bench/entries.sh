#!/usr/bin/env bash
# Entry store benchmark: loads ENTRIES entries (default 1,000,000) across 3 sites into an embedded PostgreSQL
# under .data/bench (kept between runs, so the load happens once), starts the real backend against it and
# measures over real gRPC: ListEntries pages of 100 (no filter, by site, by selector, by SPIFFE ID prefix) and
# CreateEntry throughput. Per query it prints the first page's latency, cold (the first request of that query),
# then p50/p99 of PAGES_PER_QUERY pages sampled at random depths through the whole result (each fetched by its
# page token, collected by an untimed walk of every page); then the CreateEntry latencies and rate.
#
# usage: bench/entries.sh [ENTRIES] [PAGES_PER_QUERY] [CREATES] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -DskipTests package
exec java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.spiremgmt.bench.EntryBench "$@"
