# Sourced by the ext_proc benchmarks: one measured run of the Envoy-like load driver as a CSV row.
# load_row JAR NAME PORT WORKLOAD ROUND  (WORKLOAD: headers-only | body-2k; env: CONCURRENCY,
# DURATION, WARMUP). Prints: name,workload,round,exchanges_per_s,p50_ms,p99_ms,errors
load_row() {
  local jar=$1 name=$2 port=$3 workload=$4 round=$5 wl
  if [ "$workload" = headers-only ]; then wl=(--headers-only); else wl=(--body-bytes 2048 --response-body-bytes 0); fi
  java -cp "$jar" io.payloadprocessor.bench.LoadCommand --target "127.0.0.1:$port" \
    --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" "${wl[@]}" --json \
    | python3 -c "
import json,sys
r=json.load(sys.stdin)
def g(*ks):
    for k in ks:
        if k in r: return r[k]
    return ''
lat=r.get('latencyMillis', r.get('latency_ms', {}))
print('$name,$workload,$round,%.0f,%s,%s,%s' % (g('throughputPerSecond','throughput','exchangesPerSecond'), lat.get('p50',''), lat.get('p99',''), g('errors','errorCount')))"
}
