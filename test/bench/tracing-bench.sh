#!/usr/bin/env bash
# What tracing costs: the same pipeline (test/bench/three-inprocess.yaml: three steps, so four
# spans per exchange) with tracing off (no OTEL_* variables) and on (OTLP exporter, every exchange
# sampled, sent to a loopback port where nothing listens: spans are built, batched and their export
# attempted, then dropped), and optionally a jar without tracing code (BASELINE_JAR=path) for the
# cost of tracing when off. Same driver and method as extproc-bench.sh: closed model, fixed
# concurrency, configurations interleaved over ROUNDS rounds; compare ratios within one run.
# Usage: test/bench/tracing-bench.sh   (env: DURATION=10s WARMUP=3s CONCURRENCY=32 ROUNDS=3
#                                       BASELINE_JAR=)
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/bench/load-row.sh
JAR=server/target/payload-processor.jar
[ -f "$JAR" ] || mvn -B -q package -DskipTests
DURATION=${DURATION:-10s}; WARMUP=${WARMUP:-3s}; CONCURRENCY=${CONCURRENCY:-32}; ROUNDS=${ROUNDS:-3}
BASELINE_JAR=${BASELINE_JAR:-}
. test/bench/servers.sh
start() { # jar, port, then env assignments for the server
  local jar=$1 port=$2; shift 2
  env "$@" java -Xms512m -Xmx512m -jar "$jar" serve --port "$port" --admin-port -1 \
    --log-level ERROR --config test/bench/three-inprocess.yaml &
  pids+=($!)
}
declare -A names=([39201]=tracing-off [39202]=tracing-on-otlp [39203]=baseline-no-tracing-code)
ports=(39201 39202)
start "$JAR" 39201 OTEL_TRACES_EXPORTER=
start "$JAR" 39202 OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:39209
if [ -n "$BASELINE_JAR" ]; then
  start "$BASELINE_JAR" 39203 OTEL_TRACES_EXPORTER=
  ports+=(39203)
fi
wait_for_ports "${ports[@]}"
sleep 3
echo "config,workload,round,exchanges_per_s,p50_ms,p99_ms,errors"
for round in $(seq 1 "$ROUNDS"); do
  for workload in headers-only body-2k; do
    for port in "${ports[@]}"; do
      load_row "$JAR" "${names[$port]}" "$port" "$workload" "$round"
    done
  done
done
