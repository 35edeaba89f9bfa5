package io.payloadprocessor.server.batch;

/** A malformed input line stopped the run ({@link BatchOptions.MalformedPolicy#FAIL}). */
public final class MalformedLineException extends Exception {
  private static final long serialVersionUID = 1L;

  private final long line;

  public MalformedLineException(long line, String problem) {
    super("line " + line + ": " + problem);
    this.line = line;
  }

  /** The 1-based number of the malformed line. */
  public long line() {
    return line;
  }
}
