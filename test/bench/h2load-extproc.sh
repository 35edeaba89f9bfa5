#!/usr/bin/env bash
# h2load against an ext_proc gRPC server: a second load driver, independent of our Java client.
#
# Usage:  test/bench/h2load-extproc.sh [HOST:PORT] [extra h2load options...]
# Env:    N (requests, default 100000)  C (connections, 4)  M (streams in flight per connection, 32)
#         T (h2load threads, 1)  PP_CLASSPATH (classpath with io.payloadprocessor.bench.LoadCommand;
#         default: server/target/payload-processor.jar, built if missing)
# Needs:  h2load (Debian/Ubuntu: apt-get install -y nghttp2-client), Java 17+.
#
# How it works. h2load speaks HTTP/2 but not gRPC, so we give it what gRPC puts on the wire:
# - the request body is one gRPC length-prefixed message (1 byte "compressed" = 0, 4 bytes
#   big-endian length, the serialized ProcessingRequest); `load --write-grpc-frame FILE` writes it:
#   request_headers of a GET with end_of_stream=true, so one answer completes the exchange;
# - headers `content-type: application/grpc` and `te: trailers`; POST to
#   /envoy.service.ext_proc.v3.ExternalProcessor/Process over cleartext HTTP/2 (h2c, prior knowledge).
# h2load sends the body with END_STREAM, i.e. it half-closes the bidi stream right after the one
# message, then waits for the whole response. The server must therefore answer the message AND
# finish the call (grpc-status 0 in trailers) once the client half-closed; a server that keeps the
# stream open waiting for more (or for Envoy's RST_STREAM) leaves every h2load request hanging
# until its timeout. Behind Envoy this is never exercised (Envoy resets instead of half-closing),
# but Envoy's opt-in graceful close relies on the same behaviour.
#
# What h2load cannot see: the gRPC status travels in HTTP/2 trailers with :status 200, and h2load
# counts any 2xx as "succeeded". A server failing every call with INTERNAL still shows
# "200 succeeded" (verified against a test server that always fails). Use it for throughput and
# latency of the transport path; use `load` (Envoy-faithful, counts gRPC statuses) for correctness.
# It also exercises only the request-headers phase: one message per stream, no bodies.
#
# Measured (2026-11-29, 2 shared vCPUs, load average ~10 from parallel builds, so only relative
# numbers mean anything), against the test-only trivial CONTINUE server
# (tools/src/test/.../bench/ContinueExtProcServer.java, see below):
#   h2load -n 2000 -c 4 -m 16            -> 2000/2000 succeeded, ~3900 req/s, mean 9.6 ms
#   load --concurrency 32 (4 messages per exchange + END_STREAM/RST like Envoy)
#                                        -> ~1100 exchanges/s, p50 25 ms, p99 145 ms, 0 errors
#   load --rate 2000 (open model)        -> above capacity: latency from the schedule grows to
#                                           seconds and exchanges beyond --max-in-flight are
#                                           reported as "overload" (no coordinated omission)
#
# To reproduce against the trivial server:
#   mvn -q -B -pl tools -am test-compile
#   mvn -q -B -pl tools dependency:build-classpath -Dmdep.includeScope=test \
#       -Dmdep.outputFile=/tmp/cp.txt
#   CP=tools/target/classes:tools/target/test-classes:proto/target/classes:$(cat /tmp/cp.txt)
#   java -cp "$CP" io.payloadprocessor.bench.ContinueExtProcServer 19002 &
#   PP_CLASSPATH=$CP test/bench/h2load-extproc.sh 127.0.0.1:19002
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${1:-127.0.0.1:9002}
if [[ $# -gt 0 ]]; then shift; fi
N=${N:-100000}
C=${C:-4}
M=${M:-32}
T=${T:-1}

if ! command -v h2load >/dev/null 2>&1; then
  echo "h2load not found; on Debian/Ubuntu: apt-get install -y nghttp2-client" >&2
  exit 2
fi

if [[ -z "${PP_CLASSPATH:-}" ]]; then
  PP_CLASSPATH="$ROOT/server/target/payload-processor.jar"
  if [[ ! -f "$PP_CLASSPATH" ]]; then
    echo "building $PP_CLASSPATH ..." >&2
    (cd "$ROOT" && mvn -q -B -pl server -am package -DskipTests)
  fi
fi

FRAME=$(mktemp --suffix=.grpc)
trap 'rm -f "$FRAME"' EXIT
java -cp "$PP_CLASSPATH" io.payloadprocessor.bench.LoadCommand --write-grpc-frame "$FRAME" >/dev/null

exec h2load -n "$N" -c "$C" -m "$M" -t "$T" \
  -H 'content-type: application/grpc' \
  -H 'te: trailers' \
  -d "$FRAME" \
  "$@" \
  "http://$TARGET/envoy.service.ext_proc.v3.ExternalProcessor/Process"
