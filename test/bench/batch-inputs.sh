# Sourced by batch-bench.sh and spark-batch-bench.sh: writes the generated OpenAI Batch file
# ($WORK/in.jsonl, $LINES lines; one line in ten holds an email address) and the pass-through and
# pii pipelines ($WORK/pass.yaml, $WORK/pii.yaml) that both benchmarks run.
python3 - "$LINES" > "$WORK/in.jsonl" <<'PY'
import json, sys
n = int(sys.argv[1])
for i in range(1, n + 1):
    text = f"Summarise ticket {i}: the customer reports that the export job fails after the upgrade."
    if i % 10 == 0:
        text += f" Reply to user{i}@example.com."
    body = {"model": "gpt-4o-mini" if i % 2 else "gpt-4o",
            "messages": [{"role": "system", "content": "You are a helpful support assistant."},
                         {"role": "user", "content": text}],
            "max_tokens": 256}
    print(json.dumps({"custom_id": f"req-{i}", "method": "POST",
                      "url": "/v1/chat/completions", "body": body}, separators=(",", ":")))
PY

HEAD='apiVersion: ainetworking.x-k8s.io/v0alpha0
kind: PayloadProcessor
metadata: {name: bench}
spec:
  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway}
  phase: PreRouting
  processors:'
cat > "$WORK/pass.yaml" <<YAML
$HEAD
    - name: model-header
      type: InProcess
      inProcess:
        request:
          setHeaders: [{name: x-gateway-model-name, value: 'json(request.body).model'}]
YAML
cat > "$WORK/pii.yaml" <<YAML
$HEAD
    - name: pii
      type: payload-processor.io/Module
      module:
        id: pii
        config:
          detectors:
            - {type: email, action: mask}
            - {type: phone, action: mask}
            - {type: payment_card, action: mask}
YAML

