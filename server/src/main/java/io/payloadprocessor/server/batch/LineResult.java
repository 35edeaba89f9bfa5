package io.payloadprocessor.server.batch;

import io.payloadprocessor.proto.v1.Rejection;
import java.util.List;

/**
 * What became of one input line.
 *
 * @param number 1-based line number in the input
 * @param kind where the line goes and how it is counted
 * @param output the line for the output file (no line terminator), or null
 * @param reject the line for the rejects file (no line terminator), or null
 * @param rejection the rejection record of a rejected or malformed line, or null
 * @param changedHeaders names of headers the pipeline changed (not part of the output line)
 * @param message for a malformed line: what is wrong with it (never its content)
 */
public record LineResult(
    long number,
    Kind kind,
    byte[] output,
    byte[] reject,
    Rejection rejection,
    List<String> changedHeaders,
    String message) {

  /** Where a line went. */
  public enum Kind {
    /** Passed, written as it was read. */
    UNCHANGED,
    /** Passed, body rewritten by the pipeline. */
    REWRITTEN,
    /** A processor answered with a synthetic, non-error response (e.g. a cache hit): passes. */
    RESPONDED,
    /** Results mode: a line without a response (its request failed upstream): passes. */
    NO_RESPONSE,
    /** Blocked by the pipeline: goes to the rejects file. */
    REJECTED,
    /** Not a valid line of the expected format. */
    MALFORMED,
    /** An empty line: not a record, written nowhere. */
    BLANK
  }

  public boolean passed() {
    return output != null;
  }
}
