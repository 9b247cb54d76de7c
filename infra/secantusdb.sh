#!/usr/bin/env bash
# Local SecantusDB (MongoDB wire protocol on WiredTiger, a one-node replica set) on 127.0.0.1:$STORE_PORT.
#   secantusdb.sh start [--fresh]   start in the background; keeps its data unless --fresh
#   secantusdb.sh wait              block until it answers `hello` (60 s)
#   secantusdb.sh stop              stop by PID (SIGTERM, then SIGKILL after 30 s)
# STORE_TEST_COMMANDS=true enables configureFailPoint (fault tests only, never `npm start`).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The console script's entry point, run by the venv's python (see provision-secantusdb.sh).
SECANTUSD_MAIN='import sys; from secantus.cli import main; sys.exit(main())'
dir="$RUN_DIR/store"; pidfile="$dir/secantusdb.pid"; logfile="$dir/secantusdb.log"

start() {
  if pid_alive "$(cat "$pidfile" 2>/dev/null)"; then log "SecantusDB already running"; return; fi
  local python; python="$("$INFRA_DIR/provision-secantusdb.sh")"
  require_free_port "$STORE_PORT" SecantusDB STORE_PORT
  [ "${1:-}" = "--fresh" ] && rm -rf "$dir/data"
  mkdir -p "$dir/data"
  require_disk "$dir" 512
  # A config file of our own: otherwise the server picks up a secantusd.toml from the working directory or $HOME.
  : >"$dir/secantusd.toml"
  local flags=()
  [ "${STORE_TEST_COMMANDS:-false}" = true ] && flags+=(--enable-test-commands)
  # Kept data (`npm start`) is fsynced at every commit: otherwise WiredTiger's log reaches the file on its own schedule
  # and a kill -9 of the server loses its last acknowledged writes. Fresh data (tests, bench) is thrown away anyway.
  [ "${1:-}" = "--fresh" ] || flags+=(--sync-on-commit)
  (cd "$dir" && exec nohup "$python" -c "$SECANTUSD_MAIN" --config "$dir/secantusd.toml" --host 127.0.0.1 --port "$STORE_PORT" \
    --storage-path "$dir/data" --log-level WARNING "${flags[@]}" >>"$logfile" 2>&1) &
  echo $! >"$pidfile"
  log "SecantusDB starting (pid $(cat "$pidfile"), log $logfile)"
}

wait_ready() {
  local python deadline=$((SECONDS + 60))
  python="$("$INFRA_DIR/provision-secantusdb.sh")"
  # Ready when the wire protocol answers `hello`, not merely when the port is open.
  until "$python" - "$STORE_PORT" <<'PY' 2>/dev/null
import sys
from pymongo import MongoClient
MongoClient("127.0.0.1", int(sys.argv[1]), serverSelectionTimeoutMS=1000, directConnection=True).admin.command("hello")
PY
  do
    pid_alive "$(cat "$pidfile" 2>/dev/null)" || { tail -n 20 "$logfile" >&2; die "SecantusDB exited during start"; }
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$logfile" >&2; die "SecantusDB not answering after 60 s"; }
    sleep 0.3
  done
  log "SecantusDB ready on 127.0.0.1:$STORE_PORT"
}

stop() { stop_by_pid_file "$pidfile" SecantusDB; }

case "${1:-}" in
  start) shift; start "$@" ;;
  wait) wait_ready ;;
  stop) stop ;;
  *) die "usage: secantusdb.sh start [--fresh] | wait | stop" ;;
esac
