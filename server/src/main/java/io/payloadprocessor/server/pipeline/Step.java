package io.payloadprocessor.server.pipeline;

import io.payloadprocessor.spi.Processor;
import java.time.Duration;

/**
 * One processor in force: where it came from (document, stage, target), how it fails, how long it
 * may take, whether it may be shed under overload, and the processor itself. {@code type} is what
 * the user wrote ({@code InProcess}, {@code ExtProcess} or a module id). {@code optional} steps
 * (FailOpen only) are skipped while the server is overloaded.
 */
public record Step(
    String name,
    String document,
    Stage stage,
    TargetRef target,
    FailureMode failureMode,
    Duration timeout,
    String type,
    Processor processor,
    boolean optional) {

  /** A step that is never shed. */
  public Step(
      String name,
      String document,
      Stage stage,
      TargetRef target,
      FailureMode failureMode,
      Duration timeout,
      String type,
      Processor processor) {
    this(name, document, stage, target, failureMode, timeout, type, processor, false);
  }

  /** The same step with another timeout (batch runs use their own). */
  public Step withTimeout(Duration t) {
    return new Step(name, document, stage, target, failureMode, t, type, processor, optional);
  }
}
