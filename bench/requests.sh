#!/usr/bin/env bash
# Entry request list benchmark: loads entry requests with SQL into an embedded PostgreSQL under
# .data/bench-requests (emptied at each run) in steps, 10,000 then 100,000 by default (500 requesters with skewed
# volumes, 15% PENDING spread over a year, the rest in final states, approvals to match), starts the real backend
# against it, warms it up (6,000 calls), and at each step measures over real gRPC: GetApprovalPolicy (the floor),
# then ListEntryRequests pages of 50 for `mine` (59 Developers, from the busiest requester to light ones) and
# `awaiting_my_decision` (10 Operators). Per query it walks every caller's pages once untimed (collecting the page
# tokens), runs CALLS pages (half first pages, half deeper pages by token) untimed, then the same timed in another
# order, and prints p50/p99/max of the first pages, the deeper pages, the busiest caller's deeper pages and all,
# with the machine's load average.
#
# usage: bench/requests.sh [CALLS=500] [SIZES=10000,100000]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -DskipTests package
exec java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.spiremgmt.bench.RequestBench "$@"
