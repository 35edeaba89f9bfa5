/**
 * The conformance runner: reads the cases of {@code test/conformance} ({@link
 * io.payloadprocessor.conformance.ConformanceCase}), plays Envoy with the Envoy-faithful client
 * ({@code io.payloadprocessor.envoysim}) against a fresh server per case, or against any ext_proc
 * server given with {@code --target}, and checks what reached the upstream and the client ({@link
 * io.payloadprocessor.conformance.Expectations}). It starts the server in-process, so it lives in
 * the server's artifact, outside the server's packages.
 */
package io.payloadprocessor.conformance;
