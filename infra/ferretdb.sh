#!/usr/bin/env bash
# Local FerretDB (SQLite backend) on 127.0.0.1:$FERRETDB_PORT.
#   ferretdb.sh start [--fresh]   start in the background (fresh data dir with --fresh)
#   ferretdb.sh wait              block until it answers the wire protocol (60 s)
#   ferretdb.sh stop              stop by PID
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$RUN_DIR/ferretdb"; pidfile="$dir/ferretdb.pid"; logfile="$dir/ferretdb.log"

start() {
  if pid_alive "$(cat "$pidfile" 2>/dev/null)"; then log "FerretDB already running"; return; fi
  local bin; bin="$("$INFRA_DIR/provision-ferretdb.sh")"
  require_free_port "$FERRETDB_PORT" FerretDB FERRETDB_PORT
  [ "${1:-}" = "--fresh" ] && rm -rf "$dir/data"
  mkdir -p "$dir/data"
  require_disk "$dir" 256
  # SQLite URL must be an existing absolute directory with a trailing slash. WAL (FerretDB's default) with
  # synchronous=NORMAL: no fsync per commit, so writes run ~1.5x faster; a killed process (FerretDB's or ours) loses
  # nothing, only a power cut or OS crash can lose the last commits (docs/decisions.md).
  nohup "$bin" --handler=sqlite --sqlite-url="file:$dir/data/?_pragma=synchronous(normal)" \
    --listen-addr="127.0.0.1:$FERRETDB_PORT" --state-dir=- --debug-addr=- --telemetry=disable \
    --log-level=warn >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  log "FerretDB starting (pid $(cat "$pidfile"), log $logfile)"
}

wait_ready() {
  local deadline=$((SECONDS + 60))
  until port_in_use "$FERRETDB_PORT"; do
    pid_alive "$(cat "$pidfile" 2>/dev/null)" || { tail -n 20 "$logfile" >&2; die "FerretDB exited during start"; }
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$logfile" >&2; die "FerretDB not listening after 60 s"; }
    sleep 0.2
  done
  log "FerretDB ready on 127.0.0.1:$FERRETDB_PORT"
}

stop() {
  local pid; pid="$(cat "$pidfile" 2>/dev/null || true)"
  if pid_alive "$pid"; then
    kill "$pid"; for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && kill -9 "$pid"
    log "FerretDB stopped"
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  wait) wait_ready ;;
  stop) stop ;;
  *) die "usage: ferretdb.sh start [--fresh] | wait | stop" ;;
esac
