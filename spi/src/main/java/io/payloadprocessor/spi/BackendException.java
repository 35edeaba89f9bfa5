package io.payloadprocessor.spi;

/**
 * A dependency of the processor (remote backend, key file, store) failed or was unreachable;
 * FailClosed maps it to 502.
 */
public class BackendException extends Exception {
  private static final long serialVersionUID = 1L;

  public BackendException(String message) {
    super(message);
  }

  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
