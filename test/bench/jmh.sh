#!/usr/bin/env bash
# Runs the JMH micro-benchmarks of test/src/test/java/io/payloadprocessor/jmh.
# Usage: test/bench/jmh.sh [JMH options, e.g. a benchmark regex, -f 1 -wi 3 -i 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -q -B -pl test -am test-compile -Dspotless.check.skip=true
CP="test/target/test-classes:$(cat test/target/test-classpath.txt)"
for m in server tools modules spi proto; do CP="$CP:$m/target/classes"; done
exec java -cp "$CP" org.openjdk.jmh.Main "$@"
