/**
 * Log formats and policies: text fields and messages with control characters escaped, repeated
 * warnings rate-limited, the audit line of every rejection.
 */
package io.payloadprocessor.server.logging;
