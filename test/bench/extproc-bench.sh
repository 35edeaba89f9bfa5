#!/usr/bin/env bash
# Throughput and latency of the sidecar against its no-op floor, in one run (ratios matter; these
# machines are shared and noisy). Starts three servers on loopback: --no-op (answers CONTINUE at
# once), the embedded default pipeline, and a three-processor InProcess pipeline; drives each with
# the Envoy-like load driver (closed model, fixed concurrency), interleaving configurations over
# ROUNDS rounds so drift hits all of them alike.
# Usage: test/bench/extproc-bench.sh   (env: DURATION=10s WARMUP=3s CONCURRENCY=32 ROUNDS=2)
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/bench/load-row.sh
JAR=server/target/payload-processor.jar
[ -f "$JAR" ] || mvn -B -q package -DskipTests
DURATION=${DURATION:-10s}; WARMUP=${WARMUP:-3s}; CONCURRENCY=${CONCURRENCY:-32}; ROUNDS=${ROUNDS:-2}
. test/bench/servers.sh
start() { # port, extra args...
  local port=$1; shift
  java -Xms512m -Xmx512m -jar "$JAR" serve --port "$port" --admin-port -1 --log-level WARN "$@" &
  pids+=($!)
}
start 39101 --no-op
start 39102
start 39103 --config test/bench/three-inprocess.yaml
wait_for_ports 39101 39102 39103
sleep 3 # warm-up of the servers themselves finishes before /readyz; give it a moment
declare -A names=([39101]=no-op [39102]=default [39103]=three-inprocess)
echo "config,workload,round,exchanges_per_s,p50_ms,p99_ms,errors"
for round in $(seq 1 "$ROUNDS"); do
  for workload in headers-only body-2k; do
    for port in 39101 39102 39103; do
      load_row "$JAR" "${names[$port]}" "$port" "$workload" "$round"
    done
  done
done
