#!/usr/bin/env bash
# Times `payload-processor batch` over a generated OpenAI Batch file: a pass-through pipeline (reads
# the JSON body, changes a header only, so every line passes unchanged) and a pii pipeline (email,
# phone and payment-card detectors masking; one line in ten holds an email).
# Usage: test/bench/batch-bench.sh [LINES (default 100000)] [extra batch options, e.g. --threads 2]
# Needs python3 (the generator) and the jar (built here when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES="${1:-100000}"
shift || true
JAR=server/target/payload-processor.jar
if [[ ! -f "$JAR" ]]; then
  mvn -q -B -pl server -am package -DskipTests -Dspotless.check.skip=true
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

source test/bench/batch-inputs.sh

TIME=()
if [[ -x /usr/bin/time ]]; then TIME=(/usr/bin/time -f "%e s wall, %M KiB max RSS"); fi
echo "input: $LINES lines, $(du -h "$WORK/in.jsonl" | cut -f1), $(nproc) cores"
for p in pass pii; do
  "${TIME[@]}" java -jar "$JAR" batch --config "$WORK/$p.yaml" --input "$WORK/in.jsonl" \
      --output "$WORK/out-$p.jsonl" --rejects "$WORK/rejects-$p.jsonl" \
      --report "$WORK/report-$p.json" --progress-interval 0 "$@" 2> "$WORK/err-$p.txt" \
    || { cat "$WORK/err-$p.txt"; exit 1; }
  python3 - "$p" "$WORK/report-$p.json" "$WORK/err-$p.txt" <<'PY'
import json, sys
name, report, err = sys.argv[1:]
r = json.load(open(report))
c, t = r["counts"], r["timing"]
last = open(err).read().strip().splitlines()[-1]
rss = last if "RSS" in last else "(no /usr/bin/time)"
print(f"{name:5s} {c['lines']} lines: {c['passed']} passed ({c['rewritten']} rewritten),"
      f" {c['rejected']} rejected; {t['lines_per_second']:.0f} lines/s in-run"
      f" ({t['wall_seconds']} s, {t['threads']} threads); JVM total {rss}")
PY
done
