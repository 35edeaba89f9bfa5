#!/usr/bin/env bash
# Added latency at a fixed rate: the guard pipeline against the floor, same driver, same rate.
#
# Usage:  test/bench/latency-bench.sh        (env: RATES="1000 2000" ROUNDS=3 DURATION=20s HEAP=512m)
# Needs:  Java 17+.
#
# Servers as in h2load-bench.sh: the floor (test/bench/FloorServer.java) and `serve --config
# test/bench/guard-pipeline.yaml`, each -Xms/-Xmx$HEAP. The driver is `load` (open model: a
# fixed arrival rate, so queueing shows in the percentiles instead of slowing the driver): one
# ext_proc stream per exchange, request headers + a 2 KiB BUFFERED chat body, response headers,
# HdrHistogram percentiles, 5 s warm-up then DURATION measured. Floor and guards alternate within
# each round; the added latency of a round is guards minus floor at the same percentile. The
# sidecar also runs with -Xlog:gc so that pauses in a measured window can be read next to its
# p99 (GC log in the summary: count and longest pause).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=server/target/payload-processor.jar
[ -f "$JAR" ] || mvn -B -q package -DskipTests
RATES=${RATES:-1000 2000}; ROUNDS=${ROUNDS:-3}; DURATION=${DURATION:-20s}; HEAP=${HEAP:-512m}
. test/bench/servers.sh
tmp=$(mktemp -d)
JAVA=(java "-Xms$HEAP" "-Xmx$HEAP")
"${JAVA[@]}" -cp "$JAR" test/bench/FloorServer.java 39130 >"$tmp/floor.log" 2>&1 & pids+=($!)
"${JAVA[@]}" "-Xlog:gc:file=$tmp/gc.log" -jar "$JAR" serve --port 39131 --admin-port -1 \
  --log-level WARN --config test/bench/guard-pipeline.yaml >"$tmp/guards.log" 2>&1 & pids+=($!)
wait_for_ports 39130 39131
declare -A names=([39130]=floor [39131]=guards)
echo "rate,round,server,p50_ms,p90_ms,p99_ms,p999_ms,errors" | tee "$tmp/results.csv"
for rate in $RATES; do
  for round in $(seq 1 "$ROUNDS"); do
    for port in 39130 39131; do
      java -cp "$JAR" io.payloadprocessor.bench.LoadCommand --target "127.0.0.1:$port" \
        --rate "$rate" --duration "$DURATION" --warmup 5s --body-bytes 2048 --json >"$tmp/r.json" || true # exit 1 = some errors: counted in the row
      python3 - "$tmp/r.json" "$rate" "$round" "${names[$port]}" <<'PY' | tee -a "$tmp/results.csv"
import json, sys
r = json.load(open(sys.argv[1]))
lat = r["latencyMillis"]
print(f"{sys.argv[2]},{sys.argv[3]},{sys.argv[4]},{lat['p50']},{lat['p90']},{lat['p99']},{lat['p999']},{r['errors']}")
PY
    done
  done
done
python3 - "$tmp/results.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("\n| rate (exch/s) | round | floor p50 / p99 (ms) | guards p50 / p99 (ms) | added p50 / p99 (ms) |")
print("|---|---|---|---|---|")
for r in rows:
    if r["server"] != "floor": continue
    g = next(x for x in rows if x["server"] == "guards" and x["rate"] == r["rate"] and x["round"] == r["round"])
    f50, f99, g50, g99 = (float(v) for v in (r["p50_ms"], r["p99_ms"], g["p50_ms"], g["p99_ms"]))
    print(f"| {r['rate']} | {r['round']} | {f50:.2f} / {f99:.2f} | {g50:.2f} / {g99:.2f} | {g50-f50:+.2f} / {g99-f99:+.2f} |")
PY
echo; echo "sidecar GC (whole run): $(grep -c 'Pause' "$tmp/gc.log") pauses, longest $(grep -o '[0-9.]*ms$' "$tmp/gc.log" | sort -n | tail -1)"
