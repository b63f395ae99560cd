#!/usr/bin/env bash
# Entry store benchmark: loads ENTRIES entries (default 1,000,000) across 3 sites into an embedded PostgreSQL
# under .data/bench (kept between runs, so the load happens once), starts the real backend against it and
# measures over real gRPC, after 2,000 untimed calls on other namespaces (the JIT's warm-up): ListEntries
# pages of 100 (no filter, by site, by selector, by SPIFFE ID prefix), then the write path. Per query it prints the first page's latency, cold (the first request of that query), then
# p50/p99 of PAGES_PER_QUERY pages sampled at random depths through the whole result (each fetched by its page
# token, collected by an untimed walk of every page; 0 skips the lists). Then CREATES CreateEntry calls from
# CONCURRENCY clients (default 3000 from 16) and BATCHES BatchCreateEntries calls of 500 from BATCH_CLIENTS
# clients (default 20 from 4), each after a fifth as many untimed calls (JIT warm-up): latencies, rate, load
# average, the CPU time the backend and PostgreSQL spent per entry, and the SQL each created entry cost as
# pg_stat_statements counts it (statements and commits per entry, the most frequent statements).
#
# usage: bench/entries.sh [ENTRIES] [PAGES_PER_QUERY] [CREATES] [CONCURRENCY] [BATCHES] [BATCH_CLIENTS]   (CREATES or BATCHES 0: skipped)
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -DskipTests package
exec java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.spiremgmt.bench.EntryBench "$@"
