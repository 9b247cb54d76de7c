#!/usr/bin/env bash
# `npm run reset`: wipes what `npm start` keeps between runs (the local store's and Kafka's data and the local
# token-signing key, in .run/local/).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for pidfile in "$RUN_DIR/store/secantusdb.pid" "$RUN_DIR/kafka/kafka.pid"; do
  if pid_alive "$(cat "$pidfile" 2>/dev/null)"; then
    die "the local servers are running (pid $(cat "$pidfile")): stop \`npm start\` first"
  fi
done
if [ ! -d "$RUN_DIR" ]; then log "nothing to wipe: $RUN_DIR does not exist"; exit 0; fi
for part in store kafka auth; do
  [ -d "$RUN_DIR/$part" ] && log "wiping $RUN_DIR/$part ($(du -sh "$RUN_DIR/$part" | cut -f1))"
done
had_key=false; [ -f "$RUN_DIR/auth/private.pem" ] && had_key=true
rm -rf "$RUN_DIR"
log "wiped $RUN_DIR: every order, DLQ entry, idempotency record and Kafka event of the local servers is gone"
# The next start makes a new key, so tokens people keep in shells and HTTP clients stop working: say why before they do.
if $had_key; then
  log "and the local token-signing key: tokens made with it are refused from now on; make new ones after \`npm start\`"
fi
