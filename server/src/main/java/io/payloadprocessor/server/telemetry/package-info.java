/**
 * OpenTelemetry tracing, off unless {@code OTEL_TRACES_EXPORTER} is set: one span per exchange and
 * per pipeline step ({@link io.payloadprocessor.server.telemetry.ExchangeTrace}), set up the
 * standard {@code OTEL_*} way ({@link io.payloadprocessor.server.telemetry.Tracing}).
 */
package io.payloadprocessor.server.telemetry;
