#!/usr/bin/env bash
# Collects the Kafka broker's jars from Maven Central once per machine and version, prints the folder.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

target="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
if [ -f "$target/.complete" ]; then echo "$target"; exit 0; fi

require_cmd mvn "install Maven 3"
JAVA_HOME="$(java_home)"; export JAVA_HOME
require_disk "$CACHE_DIR" 1024
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/kafka.lock"
flock 9
if [ -f "$target/.complete" ]; then echo "$target"; exit 0; fi

work=$(mktemp -d "$CACHE_DIR/kafka-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "collecting Kafka $KAFKA_VERSION jars from Maven Central (first run only)"
mvn -B -q -f "$INFRA_DIR/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$work/libs" >&2 \
  || die "Maven could not collect the Kafka jars"
ls "$work/libs"/kafka_2.13-*.jar >/dev/null 2>&1 || die "kafka_2.13 jar missing after Maven run"
touch "$work/libs/.complete"
mkdir -p "$(dirname "$target")"
rm -rf "$target"
mv "$work/libs" "$target"
log "Kafka jars ready: $target"
echo "$target"
