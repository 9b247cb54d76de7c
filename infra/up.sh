#!/usr/bin/env bash
# Starts a fresh local FerretDB and Kafka and waits for both. Kafka first: the JVM is the slow one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$INFRA_DIR/provision-kafka.sh" >/dev/null
"$INFRA_DIR/kafka.sh" start --fresh
"$INFRA_DIR/ferretdb.sh" start --fresh
"$INFRA_DIR/ferretdb.sh" wait
"$INFRA_DIR/kafka.sh" wait
