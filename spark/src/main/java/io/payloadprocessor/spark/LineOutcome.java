package io.payloadprocessor.spark;

import java.io.Serializable;

/**
 * What a task emits: a line for the output or the rejects, or, last in each partition, the
 * partition's report as JSON.
 */
record LineOutcome(Kind kind, byte[] bytes) implements Serializable {
  private static final long serialVersionUID = 1L;

  enum Kind {
    OUTPUT,
    REJECT,
    REPORT
  }
}
