#!/usr/bin/env bash
# Footprint benchmark: the packaged backend on an embedded PostgreSQL (its start is not counted) and one site
# with a real SPIRE server and its agent. Prints the backend's start time (Quarkus' "started in", and launch to
# /q/health/ready; the first start runs the migrations, then RESTARTS restarts on the migrated database) and
# the resident memory (VmRSS) of the backend and the agent: idle, and while CLIENTS clients create entries
# for LOAD_SECONDS seconds that the agent writes to SPIRE.
#
# Both JVMs run with the options their container images run with in the k8s/ manifests' memory limits
# (bench/image-jvm-opts.sh): BACKEND_JVM_OPTS and AGENT_JVM_OPTS override them. Logs go to e2e/target/e2e-logs.
#
# usage: bench/footprint.sh [RESTARTS=5] [IDLE_SECONDS=20] [LOAD_SECONDS=30] [CLIENTS=16]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/image-jvm-opts.sh
./mvnw -B -q -DskipTests install
./mvnw -B -q -pl e2e dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
cd e2e
exec java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -De2e.jvm.opts.backend="$backend_opts" -De2e.jvm.opts.agent="$agent_opts" \
  -De2e.backend.jar="$PWD/../backend/target/quarkus-app/quarkus-run.jar" \
  -De2e.agent.jar="$PWD/../site-agent/target/quarkus-app/quarkus-run.jar" \
  -De2e.logs="$PWD/target/e2e-logs" \
  -cp "target/test-classes:$(cat target/test-classpath.txt)" io.spiremgmt.e2e.FootprintBench "$@"
