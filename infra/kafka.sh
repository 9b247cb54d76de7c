#!/usr/bin/env bash
# Local single-node Kafka (KRaft, combined broker+controller) on 127.0.0.1:$KAFKA_PORT.
#   kafka.sh start [--fresh]   start in the background (fresh log dirs with --fresh)
#   kafka.sh wait              block until the broker has started (90 s)
#   kafka.sh stop              stop by PID (clean shutdown, then kill after 30 s)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$RUN_DIR/kafka"; pidfile="$dir/kafka.pid"; logfile="$dir/logs/server.log"
CLUSTER_ID="${KAFKA_CLUSTER_ID:-wmsOrderSvcLocal00001A}"

write_config() {
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=3
auto.create.topics.enable=true
# One node: every internal topic needs replication factor 1 or groups never find a coordinator.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
PROPS
  cat >"$dir/log4j2.properties" <<PROPS
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = info
logger.apache.name = org.apache.kafka
logger.apache.level = warn
PROPS
}

# Fills the JAVA array; the classpath wildcard must reach Java unexpanded.
java_cmd() {
  local libs jh; libs="$("$INFRA_DIR/provision-kafka.sh")"; jh="$(java_home)"
  JAVA=("$jh/bin/java" -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
    "-Dkafka.logs.dir=$dir/logs" "-Dlog4j2.configurationFile=$dir/log4j2.properties" -cp "$libs/*")
}

start() {
  if pid_alive "$(cat "$pidfile" 2>/dev/null)"; then log "Kafka already running"; return; fi
  require_free_port "$KAFKA_PORT" "Kafka broker" KAFKA_PORT
  require_free_port "$KAFKA_CONTROLLER_PORT" "Kafka controller" KAFKA_CONTROLLER_PORT
  [ "${1:-}" = "--fresh" ] && rm -rf "$dir"
  write_config
  require_disk "$dir" 512
  java_cmd
  "${JAVA[@]}" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$dir/server.properties" --ignore-formatted \
    >"$dir/logs/format.log" 2>&1 || { cat "$dir/logs/format.log" >&2; die "Kafka storage format failed"; }
  : >"$logfile"
  nohup "${JAVA[@]}" kafka.Kafka "$dir/server.properties" >"$dir/logs/stdout.log" 2>&1 &
  echo $! >"$pidfile"
  log "Kafka starting (pid $(cat "$pidfile"), log $logfile)"
}

wait_ready() {
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  until grep -q 'Kafka Server started' "$logfile" 2>/dev/null; do
    pid_alive "$(cat "$pidfile" 2>/dev/null)" || { tail -n 30 "$logfile" "$dir/logs/stdout.log" >&2; die "Kafka exited during start"; }
    [ $SECONDS -lt $deadline ] || { tail -n 30 "$logfile" >&2; die "Kafka not started after ${KAFKA_START_TIMEOUT:-90} s"; }
    sleep 0.5
  done
  log "Kafka ready on 127.0.0.1:$KAFKA_PORT"
}

stop() { stop_by_pid_file "$pidfile" Kafka; }

case "${1:-}" in
  start) shift; start "$@" ;;
  wait) wait_ready ;;
  stop) stop ;;
  *) die "usage: kafka.sh start [--fresh] | wait | stop" ;;
esac
