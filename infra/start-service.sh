#!/usr/bin/env bash
# `npm start`: runs the service. Without MONGODB_URI and KAFKA_BROKERS it first provisions and starts a local
# SecantusDB and Kafka (first run: about a minute of installing) on the data of the last run (.run/local/; `npm run
# reset` wipes it), and stops them again when the service exits. With those it also gives the service a local
# token-signing key unless you set AUTH_MODE, AUTH_PUBLIC_KEY_FILE or AUTH_JWKS_URL (infra/local-auth.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$INFRA_DIR/local-auth.sh"
cd "$PROJECT_DIR"

local_infra=false
if [ -z "${MONGODB_URI:-}" ] && [ -z "${KAFKA_BROKERS:-}" ]; then
  local_infra=true
elif [ -z "${MONGODB_URI:-}" ] || [ -z "${KAFKA_BROKERS:-}" ]; then
  die "set both MONGODB_URI and KAFKA_BROKERS to use your own servers, or neither to use local ones"
fi

[ -d node_modules ] || { log "installing npm packages"; npm ci --no-audit --no-fund; }
# WMS_SKIP_BUILD=true runs the last build as it is (tests that restart the service several times).
if [ "${WMS_SKIP_BUILD:-false}" = true ]; then log "not compiling TypeScript (WMS_SKIP_BUILD=true)"; else
  log "compiling TypeScript"
  npm run --silent build
fi

if $local_infra; then
  # Before the servers: a key that cannot be made or read stops the start without a minute of waiting for Kafka.
  use_local_auth
  # The console's one-click "Dev sign-in" (POST /console/dev-session) signs with that same local key; never in production.
  if [ -n "${LOCAL_AUTH_PRIVATE_KEY_FILE:-}" ] && [ "${NODE_ENV:-}" != production ]; then
    export CONSOLE_DEV_SIGNING_KEY_FILE="${CONSOLE_DEV_SIGNING_KEY_FILE:-$LOCAL_AUTH_PRIVATE_KEY_FILE}"
  fi
  trap '"$INFRA_DIR/down.sh"' EXIT
  "$INFRA_DIR/up.sh"
  export MONGODB_URI="mongodb://127.0.0.1:$STORE_PORT/?directConnection=true"
  export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
fi

node dist/main.js &
service_pid=$!
# Forward stop signals so the service shuts down gracefully; the EXIT trap then stops local servers.
trap 'kill -TERM "$service_pid" 2>/dev/null' TERM INT
status=0
wait "$service_pid" || status=$?
# A trapped signal interrupts the first wait (its status is the signal's, 128+n); wait again for the service's own.
if pid_alive "$service_pid"; then status=0; wait "$service_pid" || status=$?; fi
exit "$status"
