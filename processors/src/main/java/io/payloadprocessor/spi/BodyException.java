package io.payloadprocessor.spi;

/**
 * The body cannot be read the way a processor needs it (not JSON, duplicate keys, too deep, invalid
 * UTF-8, undecodable content-encoding). The runner turns it into a rejection with {@link #status()}
 * and {@link #reason()} whatever the processor's failure mode: bad input is the client's error, not
 * the processor's.
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
