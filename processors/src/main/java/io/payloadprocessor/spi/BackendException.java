package io.payloadprocessor.spi;

/**
 * A dependency of the processor (remote backend, key file, store) failed or was unreachable. Unlike
 * a {@link BodyException} this is not the client's fault: under {@code FailClosed} the runner maps
 * it to 502, under {@code FailOpen} the processor is skipped. The message must never contain a
 * secret (a key, a token) the dependency held.
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
