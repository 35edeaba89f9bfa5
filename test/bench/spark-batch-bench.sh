#!/usr/bin/env bash
# Lines/s of the same batch file through `payload-processor batch` (CLI, --threads 2) and the Spark
# job in local mode with 1 and 2 cores (local[1], local[2]), for a pass-through pipeline, a pii
# pipeline and deploy/pipelines/all-modules.yaml. Outputs are compared: the Spark part files,
# concatenated, must equal the CLI's output byte for byte.
# Usage: test/bench/spark-batch-bench.sh [LINES (default 100000)] [PIPELINES (default "pass pii all")]
# Needs python3, and builds the jar and the Spark module's classpath file when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES="${1:-100000}"
PIPELINES="${2:-pass pii all}"
JAR=server/target/payload-processor.jar
CP_FILE=spark/target/job-classpath.txt
if [[ ! -f "$JAR" || ! -f "$CP_FILE" ]]; then
  mvn -q -B -pl spark -am package -DskipTests -Dspotless.check.skip=true
fi
CP="$(cat "$CP_FILE"):spark/target/classes"
OPENS=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

source test/bench/batch-inputs.sh
cp deploy/pipelines/all-modules.yaml "$WORK/all.yaml"

rate() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["timing"]["lines_per_second"], r["counts"]["passed"], r["counts"]["rejected"])' "$1"; }
echo "input: $LINES lines, $(du -h "$WORK/in.jsonl" | cut -f1), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-5s %-10s %12s %8s %8s %9s\n' pipe engine lines/s passed rejected "JVM wall"
for p in $PIPELINES; do
  s=$(date +%s.%N)
  java -jar "$JAR" batch --config "$WORK/$p.yaml" --input "$WORK/in.jsonl" \
      --output "$WORK/cli-$p.jsonl" --rejects "$WORK/cli-rej-$p.jsonl" --report "$WORK/cli-$p.json" \
      --threads 2 --progress-interval 0 2> "$WORK/err.txt" || { cat "$WORK/err.txt"; exit 1; }
  e=$(date +%s.%N)
  read -r lps passed rej < <(rate "$WORK/cli-$p.json")
  printf '%-5s %-10s %12s %8s %8s %8.1fs\n' "$p" "cli" "$lps" "$passed" "$rej" "$(echo "$e - $s" | bc)"
  for cores in 1 2; do
    s=$(date +%s.%N)
    java "${OPENS[@]}" -Xmx2g -Dspark.master="local[$cores]" -Dspark.ui.enabled=false \
        -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 \
        -cp "$CP" io.payloadprocessor.spark.SparkBatch --config "$WORK/$p.yaml" \
        --input "$WORK/in.jsonl" --output "$WORK/spark-$p-$cores" \
        --rejects "$WORK/spark-rej-$p-$cores" --report "$WORK/spark-$p-$cores.json" \
        --split-bytes 4MiB > /dev/null 2> "$WORK/err.txt" || { tail -30 "$WORK/err.txt"; exit 1; }
    e=$(date +%s.%N)
    read -r lps passed rej < <(rate "$WORK/spark-$p-$cores.json")
    printf '%-5s %-10s %12s %8s %8s %8.1fs\n' "$p" "local[$cores]" "$lps" "$passed" "$rej" "$(echo "$e - $s" | bc)"
    cat "$WORK"/spark-$p-$cores/part-* | cmp -s - "$WORK/cli-$p.jsonl" \
      || { echo "spark output differs from the CLI's ($p, local[$cores])"; exit 1; }
  done
done
