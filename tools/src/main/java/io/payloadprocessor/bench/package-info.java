/**
 * The {@code load} driver ({@link io.payloadprocessor.bench.LoadCommand}): benchmarks any ext_proc
 * server by speaking the protocol as Envoy does, one bidi stream per simulated exchange, at a fixed
 * rate or a fixed concurrency, with latency histograms. Its messages are built once and reused
 * (unlike {@code envoysim}, which checks every rule per exchange), so the driver is not the
 * bottleneck.
 */
package io.payloadprocessor.bench;
