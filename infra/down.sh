#!/usr/bin/env bash
# Stops the local SecantusDB and Kafka started by up.sh (by PID file, never by process name). Data stays.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$INFRA_DIR/kafka.sh" stop || true
"$INFRA_DIR/secantusdb.sh" stop || true
