#!/usr/bin/env bash
# Stops the local FerretDB and Kafka started by up.sh (by PID file, never by process name).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$INFRA_DIR/kafka.sh" stop || true
"$INFRA_DIR/ferretdb.sh" stop || true
