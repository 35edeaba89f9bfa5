#!/usr/bin/env bash
# Added latency at a fixed rate, driven by h2load: the guard pipeline (and the default one) against
# the floor, same driver, same rate, in one run.
#
# Usage:  test/bench/h2load-latency.sh     (env: RATES="1000 2000" ROUNDS=3 SECONDS_PER_RUN=20 HEAP=512m)
# Needs:  h2load (Debian: apt-get install -y nghttp2-client), Java 17+, python3.
#
# Servers as in h2load-bench.sh: the floor (test/bench/FloorServer.java), `serve` (default
# pipeline) and `serve --config test/bench/guard-pipeline.yaml`, each -Xms/-Xmx$HEAP, each warmed
# with 100,000 exchanges at full speed first (JIT). h2load runs 4 connections, each sending
# RATE/4 exchanges per second (--rps: a fixed rate, not as fast as the server answers), each
# exchange request_headers + a ~2 KiB BUFFERED chat body on its own gRPC stream, and writes every
# exchange's time from its start to the end of its answer (--log-file). The first 2 s of each run
# are dropped, the percentiles are of the rest. The servers alternate within each round; the added
# latency of a server is its percentile minus the floor's in the same round: what the pipeline adds
# to an exchange, with the driver's and the transport's share (the same for both) taken out.
# h2load's C event loop uses a few percent of a core at these rates, unlike the Java `load` driver
# (latency-bench.sh), whose own JIT and GC on the servers' cores dominated its percentiles here.
# The sidecars run with -Xlog:gc; the summary gives each one's young collections and longest pause.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=server/target/payload-processor.jar
[ -f "$JAR" ] || mvn -B -q package -DskipTests
RATES=${RATES:-1000 2000}; ROUNDS=${ROUNDS:-3}; SECS=${SECONDS_PER_RUN:-20}; HEAP=${HEAP:-512m}
command -v h2load >/dev/null || { echo "h2load not found: apt-get install -y nghttp2-client" >&2; exit 2; }
. test/bench/servers.sh
tmp=$(mktemp -d)
JAVA=(java "-Xms$HEAP" "-Xmx$HEAP")
"${JAVA[@]}" -cp "$JAR" test/bench/FloorServer.java 39140 >"$tmp/floor.log" 2>&1 & pids+=($!)
"${JAVA[@]}" "-Xlog:gc:file=$tmp/gc-default.log" -jar "$JAR" serve --port 39141 --admin-port -1 \
  --log-level WARN >"$tmp/default.log" 2>&1 & pids+=($!)
"${JAVA[@]}" "-Xlog:gc:file=$tmp/gc-guards.log" -jar "$JAR" serve --port 39142 --admin-port -1 \
  --log-level WARN --config test/bench/guard-pipeline.yaml >"$tmp/guards.log" 2>&1 & pids+=($!)
java -cp "$JAR" io.payloadprocessor.bench.LoadCommand --write-grpc-frame "$tmp/body-2k" --frame-body-bytes 2048 >/dev/null
wait_for_ports 39140 39141 39142
declare -A names=([39140]=floor [39141]=default [39142]=guards)
url() { echo "http://127.0.0.1:$1/envoy.service.ext_proc.v3.ExternalProcessor/Process"; }
H2=(h2load -H 'content-type: application/grpc' -H 'te: trailers' -d "$tmp/body-2k")
for port in 39140 39141 39142; do "${H2[@]}" -n 100000 -c 4 -m 16 "$(url $port)" >/dev/null; done # JIT warm-up
echo "rate,round,server,n,p50_us,p90_us,p99_us,p999_us,max_us,non_200" | tee "$tmp/results.csv"
for rate in $RATES; do
  for round in $(seq 1 "$ROUNDS"); do
    for port in 39140 39141 39142; do
      rm -f "$tmp/log.tsv"
      "${H2[@]}" -n $((rate * SECS)) -c 4 -m 16 --rps $((rate / 4)) --log-file "$tmp/log.tsv" \
        "$(url $port)" >"$tmp/h2load.out"
      python3 - "$tmp/log.tsv" "$rate" "$round" "${names[$port]}" <<'PY' | tee -a "$tmp/results.csv"
import sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
t0 = min(int(r[0]) for r in rows)
kept = [r for r in rows if int(r[0]) - t0 >= 2_000_000]  # drop the first 2 s
lat = sorted(int(r[2]) for r in kept)
bad = sum(1 for r in kept if r[1] != "200")
def q(p): return lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"{sys.argv[2]},{sys.argv[3]},{sys.argv[4]},{len(lat)},{q(.5)},{q(.9)},{q(.99)},{q(.999)},{lat[-1]},{bad}")
PY
    done
  done
done
python3 - "$tmp/results.csv" "$tmp/gc-default.log" "$tmp/gc-guards.log" <<'PY'
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("\n| rate (exch/s) | round | floor p50 / p99 / p99.9 (ms) | server | its p50 / p99 / p99.9 (ms) | added p50 / p99 / p99.9 (ms) |")
print("|---|---|---|---|---|---|")
ms = lambda r, k: int(r[k]) / 1000
for f in (r for r in rows if r["server"] == "floor"):
    for s in ("default", "guards"):
        g = next(x for x in rows if x["server"] == s and x["rate"] == f["rate"] and x["round"] == f["round"])
        cells = [f"{ms(g, k) - ms(f, k):+.3f}" for k in ("p50_us", "p99_us", "p999_us")]
        print(f"| {f['rate']} | {f['round']} | {ms(f,'p50_us'):.3f} / {ms(f,'p99_us'):.3f} / {ms(f,'p999_us'):.3f} "
              f"| {s} | {ms(g,'p50_us'):.3f} / {ms(g,'p99_us'):.3f} / {ms(g,'p999_us'):.3f} | {' / '.join(cells)} |")
for name, path in (("default", sys.argv[2]), ("guards", sys.argv[3])):
    pauses = [float(m.group(1)) for m in re.finditer(r"Pause Young.* ([0-9.]+)ms", open(path).read())]
    if pauses:
        print(f"\n{name}: {len(pauses)} young collections over the whole run, longest {max(pauses):.1f} ms, "
              f"median {sorted(pauses)[len(pauses)//2]:.1f} ms")
PY
