package io.payloadprocessor.inprocess;

/**
 * An InProcess expression could not be evaluated or its result could not be used (missing key,
 * wrong type, cost limit, a header value that is null or contains CR/LF). A processor error: the
 * runner applies the processor's failure mode. The message names the processor and the entry, never
 * body content.
 */
public final class CelTransformException extends Exception {
  private static final long serialVersionUID = 1L;

  public CelTransformException(String processor, String message, Throwable cause) {
    super("InProcess processor '" + processor + "': " + message, cause);
  }
}
