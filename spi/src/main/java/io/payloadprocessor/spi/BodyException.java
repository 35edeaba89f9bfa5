package io.payloadprocessor.spi;

/**
 * The body cannot be read the way a processor needs it (not JSON, duplicate keys, too deep, invalid
 * UTF-8, undecodable content-encoding). Under FailClosed the runner turns it into a rejection with
 * {@link #status()} and {@link #reason()} (400, 415: the client's error, not a 500); under FailOpen
 * the processor is skipped, as for any other failure, so an optional processor never blocks traffic
 * it cannot read.
 */
public class BodyException extends Exception {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final String reason;

  public BodyException(int status, String reason, String message) {
    super(message);
    this.status = status;
    this.reason = reason;
  }

  public BodyException(int status, String reason, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.reason = reason;
  }

  public int status() {
    return status;
  }

  public String reason() {
    return reason;
  }
}
