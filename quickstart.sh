#!/usr/bin/env bash
# Builds the backend and starts it in the dev profile: an embedded PostgreSQL under .data/dev/pg when no
# database is configured (QUARKUS_DATASOURCE_*), a development signing key, and an admin token printed at
# start (and written to .data/dev/admin.token). Stop it with Ctrl-C. Never use the dev profile in production.
#
# The embedded PostgreSQL comes from the dev module (dev/, QuickStart), which runs the packaged backend as a
# child process beside it: the backend's artifact carries no embedded database.
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -B -q -DskipTests -pl backend,dev -am package
exec java -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -cp "dev/target/classes:$(cat dev/target/classpath.txt)" io.spiremgmt.dev.QuickStart \
  backend/target/quarkus-app/quarkus-run.jar "$@"
