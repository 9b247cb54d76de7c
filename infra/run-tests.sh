#!/usr/bin/env bash
# `npm test`: type-check, lint, build, and run every test. Integration tests start their own SecantusDB and Kafka
# (jest globalSetup) on fresh data and ports apart from `npm start`'s; the first run on a machine installs them.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PROJECT_DIR"
[ -d node_modules ] || { log "installing npm packages"; npm ci --no-audit --no-fund; }
# Provision the servers and the OpenAPI fuzzer side by side before jest starts, so its time-outs never include a build.
"$INFRA_DIR/provision-kafka.sh" >/dev/null & kafka_jars=$!
"$INFRA_DIR/provision-secantusdb.sh" >/dev/null
"$INFRA_DIR/provision-schemathesis.sh" >/dev/null
wait "$kafka_jars"
log "type-checking"
npx tsc --noEmit -p tsconfig.json
log "linting (ESLint) and checking the format (Prettier)"
npx eslint --max-warnings 0 .
npx prettier --check --log-level warn .
log "building"
npm run --silent build
log "checking that schema.graphql is current"
node dist/schema/print-sdl.js --check
log "checking that the GraphQL Code Generator output is current"
# --check generates in memory and compares with the committed files (exit 1 and the stale paths when they differ).
if ! codegen_check=$(npx graphql-codegen --config codegen.yml --check 2>&1); then
  printf '%s\n' "$codegen_check" | tail -n 5 >&2
  echo "generated GraphQL types are stale: run \`npm run codegen\` and commit the result" >&2
  exit 1
fi
# --forceExit: a kafkajs reconnect timer left by a broker-outage test must never hold CI until its time-out.
npx jest --ci --forceExit "$@"
