/**
 * The ext_proc gRPC service and its per-stream state machine ({@link
 * io.payloadprocessor.server.grpc.ExchangeStream}): Envoy's messages in, per body mode, pipeline
 * runs started when a direction is complete, and the answers ({@link
 * io.payloadprocessor.server.grpc.EnvoyAnswers}) out, in order.
 */
package io.payloadprocessor.server.grpc;
