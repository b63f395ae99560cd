#!/usr/bin/env bash
# Builds the backend and starts it in the dev profile: an embedded PostgreSQL under .data/dev when no
# database is configured, a development signing key, and an admin token printed at start (and written to
# .data/dev/admin.token). Stop it with Ctrl-C. Never use the dev profile in production.
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -B -q -DskipTests -pl backend -am package
exec java -Dquarkus.profile=dev -jar backend/target/quarkus-app/quarkus-run.jar "$@"
