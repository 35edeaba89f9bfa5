/**
 * The ext_proc sidecar: {@link io.payloadprocessor.server.PayloadProcessorServer} (gRPC server,
 * warm-up, drain), what every stream shares ({@link io.payloadprocessor.server.ServerContext}), the
 * limit on body bytes held at once and the server metrics. The request path runs through {@code
 * grpc} (one state machine per stream) and {@code pipeline} (the steps); docs/architecture.md has
 * the map.
 */
package io.payloadprocessor.server;
