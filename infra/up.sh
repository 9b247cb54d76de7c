#!/usr/bin/env bash
# Starts the local SecantusDB and Kafka and waits for both; `--fresh` starts them on empty data directories
# (tests, bench), otherwise they reopen what the last run left. Kafka first: the JVM is the slow one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$INFRA_DIR/provision-kafka.sh" >/dev/null
"$INFRA_DIR/provision-secantusdb.sh" >/dev/null
"$INFRA_DIR/kafka.sh" start "$@"
"$INFRA_DIR/secantusdb.sh" start "$@"
"$INFRA_DIR/secantusdb.sh" wait
"$INFRA_DIR/kafka.sh" wait
