package io.payloadprocessor.inprocess;

import dev.cel.common.ast.CelExpr;
import dev.cel.common.values.CelByteString;
import dev.cel.runtime.CelEvaluationListener;
import java.util.Collection;
import java.util.Map;

/**
 * The run-time bounds of one CEL evaluation, enforced through CEL-Java's evaluation listener
 * (called after every expression node with the node's value). CEL-Java 0.14 has a comprehension
 * iteration budget ({@code CelOptions.comprehensionMaxIterations}) but no run-time cost or size
 * limit (no cost estimator, no string or list growth bound), so those are counted here.
 *
 * <ul>
 *   <li>steps: at most {@value #MAX_STEPS} expression nodes evaluated;
 *   <li>value size: no value a node produces may be larger than {@link #BASE_ALLOWANCE} units plus
 *       the size of the inputs bound so far (a string counts its characters, bytes their bytes, a
 *       list or map its elements);
 *   <li>total size: the sizes of all values produced, added up, at most {@value #TOTAL_FACTOR}
 *       times that;
 *   <li>interruption: the evaluation stops when its thread is interrupted (the runner interrupts
 *       CPU-pool threads at the step's deadline).
 * </ul>
 *
 * The inputs themselves (bodies, header maps, vocabulary values, and the lazily converted views of
 * a parsed JSON tree) are not counted: they are already in memory and bounded by the body and
 * header limits. What is read out of them and every value computed from them is.
 *
 * <p>The listener sees a value after it exists, so one node can overshoot by what a single CEL
 * operation makes of values that were each within the bounds (a concatenation: twice the value
 * bound). Memory per evaluation is therefore bounded by ({@value #TOTAL_FACTOR} + 2) times the
 * value bound.
 */
final class EvaluationBudget implements CelEvaluationListener {
  /** Expression nodes evaluated per evaluation. */
  static final int MAX_STEPS = 10_000;

  /** The size every value may have on top of the inputs' size (1 Mi units). */
  static final long BASE_ALLOWANCE = 1L << 20;

  /** All values produced by one evaluation together: this many times the value bound. */
  static final int TOTAL_FACTOR = 4;

  /** What the evaluation reads, as its variables resolved them. */
  interface Inputs {
    /** Whether {@code value} is an input (or part of one) rather than something computed. */
    boolean isInput(Object value);

    /** Bytes of the bodies bound so far. */
    long inputSize();
  }

  private final Inputs inputs;
  private int steps;
  private long produced;

  EvaluationBudget(Inputs inputs) {
    this.inputs = inputs;
  }

  @Override
  public void callback(CelExpr expr, Object value) {
    if (++steps > MAX_STEPS) {
      throw new CostLimitExceeded("exceeded " + MAX_STEPS + " steps");
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new CostLimitExceeded("was interrupted (its step ran out of time)");
    }
    long size = sizeOf(value);
    if (size == 0) {
      return;
    }
    long bound = BASE_ALLOWANCE + inputs.inputSize();
    if (size > bound) {
      throw new CostLimitExceeded(
          "produced a value of size "
              + size
              + ", over the limit of "
              + bound
              + " (1 Mi + the size of the bodies it reads)");
    }
    produced += size;
    if (produced > TOTAL_FACTOR * bound) {
      throw new CostLimitExceeded(
          "produced values of total size "
              + produced
              + ", over the limit of "
              + TOTAL_FACTOR * bound
              + " ("
              + TOTAL_FACTOR
              + " x (1 Mi + the size of the bodies it reads))");
    }
  }

  private long sizeOf(Object value) {
    if (value instanceof String s) {
      return s.length();
    }
    if (value instanceof CelByteString b) {
      return inputs.isInput(b) ? 0 : b.size();
    }
    if (value instanceof Collection<?> c) {
      return CelValues.isView(c) || inputs.isInput(c) ? 0 : c.size();
    }
    if (value instanceof Map<?, ?> m) {
      return CelValues.isView(m) || inputs.isInput(m) ? 0 : m.size();
    }
    return 0; // numbers, booleans, null; an optional's content was counted when it was made
  }

  /** An evaluation went over a bound or was interrupted; the message quotes no value. */
  static final class CostLimitExceeded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CostLimitExceeded(String message) {
      super("CEL evaluation " + message);
    }
  }
}
