#!/usr/bin/env bash
# Runs one of the release's main classes with its jars, as the release's script of this name does.
set -euo pipefail
class=$1
shift
exec java ${KAFKA_HEAP_OPTS:-} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC} -Djava.awt.headless=true \
  ${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/log4j2.yaml} ${KAFKA_OPTS:-} \
  -cp '/opt/kafka/libs/*' "$class" "$@"
