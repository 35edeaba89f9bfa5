/**
 * Conventions for log lines: field names ({@link io.payloadprocessor.logging.LogFields}), the
 * per-exchange context that joins log lines to a request and a trace, and the check that a
 * client-supplied request id is safe to log ({@link io.payloadprocessor.logging.RequestIds}).
 */
package io.payloadprocessor.logging;
