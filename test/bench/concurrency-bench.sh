#!/usr/bin/env bash
# 10,000 exchanges in flight at once, each waiting on an ExtProcess backend that answers after 1 s.
#
# Usage:  test/bench/concurrency-bench.sh        (env: N=10000 C=100 M=100 HEAP=512m DELAY_MS=1000)
# Needs:  h2load (Debian: apt-get install -y nghttp2-client), Java 17+, curl.
#
# The backend is test/bench/FloorServer.java with DELAY_MS (answers from a timer, parks no thread).
# The sidecar runs test/bench/slow-backend-pipeline.yaml (one FailClosed ExtProcess step) with
# -Xmx$HEAP. h2load opens C connections with M streams each (C x M = N in flight at once), each
# stream one exchange: request_headers + a ~2 KiB BUFFERED request_body. While it runs, the
# sidecar's live threads (/proc/PID/status) and used heap (jcmd GC.heap_info) are sampled every
# 0.5 s. At the end the sidecar's /metrics gives how the ExtProcess steps ended: every exchange
# must have passed it (outcome continue), none failed (timeout, backend_unavailable, overloaded).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=server/target/payload-processor.jar
[ -f "$JAR" ] || mvn -B -q package -DskipTests
N=${N:-10000}; C=${C:-100}; M=${M:-100}; HEAP=${HEAP:-512m}; DELAY_MS=${DELAY_MS:-1000}
command -v h2load >/dev/null || { echo "h2load not found: apt-get install -y nghttp2-client" >&2; exit 2; }
. test/bench/servers.sh
tmp=$(mktemp -d)
java -Xmx512m -cp "$JAR" test/bench/FloorServer.java 39120 "$DELAY_MS" >"$tmp/backend.log" 2>&1 & pids+=($!)
java "-Xms$HEAP" "-Xmx$HEAP" -jar "$JAR" serve --port 39121 --admin-port 39122 --log-level WARN \
  --config test/bench/slow-backend-pipeline.yaml --backend slow-backend=127.0.0.1:39120 \
  --pipeline-budget 20s >"$tmp/sidecar.log" 2>&1 & sidecar=$!; pids+=($sidecar)
java -cp "$JAR" io.payloadprocessor.bench.LoadCommand --write-grpc-frame "$tmp/body-2k" --frame-body-bytes 2048 >/dev/null
wait_for_ports 39120 39121
for _ in $(seq 1 240); do curl -sf http://127.0.0.1:39122/readyz >/dev/null && break; sleep 0.5; done
url=http://127.0.0.1:39121/envoy.service.ext_proc.v3.ExternalProcessor/Process
h2() { h2load -n "$1" -c "$2" -m "$3" -H 'content-type: application/grpc' -H 'te: trailers' -d "$tmp/body-2k" "$url"; }
h2 2000 20 100 >/dev/null # warm-up: connections, JIT
threads0=$(awk '/^Threads:/ {print $2}' /proc/$sidecar/status)
( while kill -0 $sidecar 2>/dev/null; do
    t=$(awk '/^Threads:/ {print $2}' /proc/$sidecar/status 2>/dev/null || echo 0)
    h=$(jcmd $sidecar GC.heap_info 2>/dev/null | awk '/garbage-first heap|def new generation|total/ {for(i=1;i<=NF;i++) if ($i=="used") {print $(i+1); exit}}')
    echo "$t ${h:-?}"; sleep 0.5
  done ) >"$tmp/samples" & sampler=$!; pids+=($sampler)
start=$(date +%s.%N)
h2 "$N" "$C" "$M" | tee "$tmp/h2load.txt" | grep -E '^(finished in|requests:|status codes:)'
end=$(date +%s.%N)
kill $sampler 2>/dev/null || true
curl -s http://127.0.0.1:39122/metrics >"$tmp/metrics"
echo "in flight at once: $((C * M)); backend delay ${DELAY_MS} ms per message; wall $(python3 -c "print(round($end-$start,2))") s"
echo "sidecar threads: before $threads0, max while loaded $(awk '{print $1}' "$tmp/samples" | sort -n | tail -1)"
echo "sidecar heap used (jcmd GC.heap_info), max sample: $(awk '{print $2}' "$tmp/samples" | grep -v '?' | sed 's/K$//' | sort -n | tail -1) KiB of -Xmx$HEAP"
echo "ExtProcess step outcomes (payload_processor_processor_outcomes_total):"
grep '^payload_processor_processor_outcomes_total{.*slow-guard' "$tmp/metrics" || true
grep -E '^payload_processor_(errors|rejections)_total' "$tmp/metrics" || echo "  no errors or rejections recorded"
