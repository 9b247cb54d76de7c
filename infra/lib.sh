#!/usr/bin/env bash
# Shared helpers for the local-infrastructure scripts. Sourced, never run.
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_DIR="$(cd "$INFRA_DIR/.." && pwd)"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"

# Machine-level cache, shared by every clone on this machine (CI clones included).
CACHE_DIR="${WMS_CACHE_DIR:-$HOME/.cache/wms-order-service}"
# Per-clone runtime state: data directories, logs, PID files. `npm start` keeps its servers' data in .run/local/
# across restarts; the tests and the bench use folders of their own, fresh every run.
RUN_DIR="${WMS_RUN_DIR:-$PROJECT_DIR/.run/local}"

STORE_PORT="${STORE_PORT:-27017}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"

log()  { printf '[infra] %s\n' "$*" >&2; }
die()  { printf '[infra] error: %s\n' "$*" >&2; exit 1; }

require_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is required but not on PATH ($2)"
}

# At least this many MiB free where we are about to write, or stop before a half-written build.
require_disk() {
  local dir="$1" need_mb="$2" free_mb
  mkdir -p "$dir"
  free_mb=$(df -Pm "$dir" | awk 'NR==2 {print $4}')
  [ "${free_mb:-0}" -ge "$need_mb" ] || die "only ${free_mb} MiB free in $dir, need ${need_mb} MiB"
}

port_in_use() {
  # bash's /dev/tcp connect succeeds only when something listens.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

require_free_port() {
  if port_in_use "$1"; then
    die "port $1 ($2) is already taken on 127.0.0.1; stop whatever listens there (ss -ltnp 'sport = :$1') or set $3"
  fi
}

java_home() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME"; return; fi
  for candidate in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk*; do
    [ -x "$candidate/bin/java" ] && { echo "$candidate"; return; }
  done
  die "Java 17 not found: install openjdk-17-jre-headless or set JAVA_HOME"
}

# SecantusDB ships wheels for CPython 3.11-3.13: the first of those found, or PYTHON when set.
python_for_store() {
  local candidate
  for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; then
      command -v "$candidate"; return
    fi
  done
  die "Python 3.11, 3.12 or 3.13 is required for the local SecantusDB (found: $(python3 --version 2>&1 || echo none)); install python3 and python3-venv, or set PYTHON"
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Stops the process named by a PID file: SIGTERM, then SIGKILL after 30 s; removes the file.
stop_by_pid_file() {
  local pidfile="$1" name="$2" pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if pid_alive "$pid"; then
    kill "$pid"; for _ in $(seq 1 300); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && kill -9 "$pid"
    log "$name stopped"
  fi
  rm -f "$pidfile"
}
