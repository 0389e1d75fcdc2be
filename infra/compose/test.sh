#!/usr/bin/env bash
# `npm run test:compose`: the compose end-to-end test (test/compose/) on a Docker engine of its own.
# Starts the engine (engine.sh), builds the stand-in images (stand-ins.sh), runs the test, and stops
# the engine again; KEEP_COMPOSE_TEST=1 leaves the engine and the test's containers running.
# Needs root, `npm run infra:install` (Kafka's jars, fake-gcs-server, DuckDB's httpfs) and compose's
# ports free: 8080, 9050, 9094, 4443 and 9090 (stop `npm start` first).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/compose/engine.sh start
[ -n "${KEEP_COMPOSE_TEST:-}" ] || trap 'bash infra/compose/engine.sh stop' EXIT
bash infra/compose/stand-ins.sh
# shellcheck source=/dev/null
. .local/docker/env
npx vitest run --config test/compose/vitest.config.ts
