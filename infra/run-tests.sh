#!/usr/bin/env bash
# `npm test`: type-check, build, and run every test. Integration tests start their own FerretDB and Kafka
# (jest globalSetup) on ports apart from `npm start`'s; the first run on a machine builds them (minutes).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PROJECT_DIR"
[ -d node_modules ] || { log "installing npm packages"; npm ci --no-audit --no-fund; }
# Provision both servers side by side before jest starts, so its time-outs never include a build.
"$INFRA_DIR/provision-kafka.sh" >/dev/null & kafka_jars=$!
"$INFRA_DIR/provision-ferretdb.sh" >/dev/null
wait "$kafka_jars"
log "type-checking"
npx tsc --noEmit -p tsconfig.json
log "building"
npm run --silent build
log "checking that schema.graphql is current"
node dist/schema/print-sdl.js --check
npx jest --ci "$@"
