package io.payloadprocessor.server.logging;

import io.payloadprocessor.logging.LogFields;
import io.payloadprocessor.proto.v1.Rejection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The audit trail of rejections: one INFO line per rejection on the logger {@value #LOGGER} (set
 * its level to WARN to silence it), with the processor, phase, reason, rule, status, retryable and
 * request id as fields. The rejection's message is not logged: it is for the client, and the rule
 * says what matched without the matched value.
 */
public final class RejectionLog {
  /** Logger name of audit lines. */
  public static final String LOGGER = "io.payloadprocessor.audit";

  private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);

  private RejectionLog() {}

  /** Logs one audit line for {@code r}. */
  public static void audit(Rejection r) {
    if (!AUDIT.isInfoEnabled()) {
      return;
    }
    LoggingEventBuilder line =
        AUDIT
            .atInfo()
            .addKeyValue(LogFields.OUTCOME, "reject")
            .addKeyValue(LogFields.PROCESSOR, r.getProcessor())
            .addKeyValue(LogFields.PHASE, r.getPhase())
            .addKeyValue(LogFields.REASON, r.getReason());
    if (!r.getRule().isEmpty()) {
      line = line.addKeyValue(LogFields.RULE, r.getRule());
    }
    line =
        line.addKeyValue(LogFields.STATUS, r.getHttpStatus())
            .addKeyValue("retryable", r.getRetryable());
    if (!r.getRequestId().isEmpty() && MDC.get(LogFields.REQUEST_ID) == null) {
      line = line.addKeyValue(LogFields.REQUEST_ID, r.getRequestId());
    }
    line.log("rejected");
  }
}
