#!/usr/bin/env bash
# The primary throughput harness: h2load against the sidecar and against the floor, in one run.
#
# Usage:  test/bench/h2load-bench.sh   (env: ROUNDS=7 N=100000 WARMUP=150000 C=4 M=16 HEAP=512m)
# Needs:  h2load (Debian: apt-get install -y nghttp2-client), Java 17+, python3.
#
# Servers (same JVM flags for all, each started once and warmed up):
#   floor    test/bench/FloorServer.java: grpc-java, direct executor, empty CONTINUE to every
#            message; nothing of ours in it.
#   default  `serve` with the embedded default pipeline (body-field-to-header).
#   guards   `serve --config test/bench/guard-pipeline.yaml` (body-field-to-header, prompt-guard,
#            pii with five detectors).
# Workloads, one gRPC stream per exchange, h2load sends the frames then half-closes and counts the
# stream when the server finishes it:
#   body-2k       request_headers (POST) + one BUFFERED request_body of a ~2 KiB chat request.
#   headers-only  request_headers of a GET with end_of_stream.
# The configurations are interleaved in each of ROUNDS rounds, so that drift on a shared machine
# hits all of them alike; the summary gives the median exchanges/s of each and its ratio to the
# floor's median, then each round's ratios (to that round's floor) and their median. Each server
# is first warmed with WARMUP exchanges per workload, so the JIT is done before the first measured
# round (with 20,000 it was still compiling through rounds 1-3). h2load runs on the same cores as the servers (its C event loop is far cheaper
# than any Java driver, see BENCHMARKS.md). It counts any HTTP 200 as success, and gRPC errors
# travel as 200 with a grpc-status trailer: correctness is the tests' job, this is throughput.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=server/target/payload-processor.jar
[ -f "$JAR" ] || mvn -B -q package -DskipTests
ROUNDS=${ROUNDS:-7}; N=${N:-100000}; WARMUP=${WARMUP:-150000}; C=${C:-4}; M=${M:-16}; HEAP=${HEAP:-512m}
command -v h2load >/dev/null || { echo "h2load not found: apt-get install -y nghttp2-client" >&2; exit 2; }
JAVA=(java "-Xms$HEAP" "-Xmx$HEAP")
. test/bench/servers.sh
tmp=$(mktemp -d)
"${JAVA[@]}" -cp "$JAR" test/bench/FloorServer.java 39100 >"$tmp/floor.log" 2>&1 & pids+=($!)
"${JAVA[@]}" -jar "$JAR" serve --port 39101 --admin-port -1 --log-level WARN >"$tmp/default.log" 2>&1 & pids+=($!)
"${JAVA[@]}" -jar "$JAR" serve --port 39102 --admin-port -1 --log-level WARN \
  --config test/bench/guard-pipeline.yaml >"$tmp/guards.log" 2>&1 & pids+=($!)
java -cp "$JAR" io.payloadprocessor.bench.LoadCommand --write-grpc-frame "$tmp/body-2k" --frame-body-bytes 2048 >/dev/null
java -cp "$JAR" io.payloadprocessor.bench.LoadCommand --write-grpc-frame "$tmp/headers-only" >/dev/null
wait_for_ports 39100 39101 39102
declare -A names=([39100]=floor [39101]=default [39102]=guards)
run() { # port workload n -> exchanges/s
  h2load -n "$3" -c "$C" -m "$M" -H 'content-type: application/grpc' -H 'te: trailers' \
    -d "$tmp/$2" "http://127.0.0.1:$1/envoy.service.ext_proc.v3.ExternalProcessor/Process" \
    | awk '/^finished in/ {gsub(",","",$4); print $4} /^requests:/ {ok=$8} END {if (ok=="") print "0"}' | head -1
}
for port in 39100 39101 39102; do for wl in body-2k headers-only; do run $port $wl "$WARMUP" >/dev/null; done; done # JIT warm-up
echo "round,workload,server,exchanges_per_s" | tee "$tmp/results.csv"
for round in $(seq 1 "$ROUNDS"); do
  for wl in body-2k headers-only; do
    for port in 39100 39101 39102; do
      echo "$round,$wl,${names[$port]},$(run $port $wl "$N")" | tee -a "$tmp/results.csv"
    done
  done
done
python3 - "$tmp/results.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rate = {(r["round"], r["workload"], r["server"]): float(r["exchanges_per_s"]) for r in rows}
rounds = sorted({r["round"] for r in rows}, key=int)
print("\n| workload | floor (median exch/s) | default | ratio | guards | ratio |")
print("|---|---|---|---|---|---|")
for wl in ("body-2k", "headers-only"):
    med = {s: statistics.median(rate[(n, wl, s)] for n in rounds) for s in ("floor", "default", "guards")}
    f = med["floor"]
    print(f"| {wl} | {f:.0f} | {med['default']:.0f} | {med['default']/f:.2f} | "
          f"{med['guards']:.0f} | {med['guards']/f:.2f} |")
print("\nPer round, each server's ratio to the floor of the same round (and their median):")
for wl in ("body-2k", "headers-only"):
    for s in ("default", "guards"):
        r = [rate[(n, wl, s)] / rate[(n, wl, "floor")] for n in rounds]
        print(f"  {wl} {s}: {' '.join(f'{x:.2f}' for x in r)} (median {statistics.median(r):.2f})")
PY
