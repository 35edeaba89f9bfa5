package io.payloadprocessor.server.batch;

import java.io.Serializable;
import java.time.Duration;

/**
 * How a batch run works.
 *
 * @param mode which kind of file is read: batch input lines (request phase) or batch output lines
 *     (response phase)
 * @param threads worker threads that run the pipeline (at least 1)
 * @param window lines in flight at most (read ahead of the writer); bounds memory to about {@code
 *     window} lines
 * @param onMalformed what a malformed line does: stop the run, or go to the rejects file
 * @param maxBodyBytes largest body run through the pipeline; larger ones are rejected (413 request,
 *     500 response), as the server does
 * @param maxLineBytes longest input line read; a longer one is malformed
 * @param stepTimeout how long one step may take in batch: every step gets this timeout instead of
 *     its realtime one, so an outcome depends on the input and the config, not on how loaded the
 *     machine is, while a hung backend still cannot hang the run
 * @param pipelineBudget time budget of one pipeline run, or null (the default) for none: then the
 *     runner gets a budget that no run of step timeouts can exhaust
 * @param resultsPath {@code :path} of the synthetic request in results mode, where batch output
 *     lines do not carry the request's url
 */
public record BatchOptions(
    Mode mode,
    int threads,
    int window,
    MalformedPolicy onMalformed,
    long maxBodyBytes,
    int maxLineBytes,
    Duration stepTimeout,
    Duration pipelineBudget,
    String resultsPath)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** What the input file holds. */
  public enum Mode {
    /** OpenAI Batch input lines: {@code custom_id, method, url, body}; request phase. */
    REQUESTS,
    /** OpenAI Batch output lines: {@code id, custom_id, response{status_code, body}, error}. */
    RESULTS
  }

  /** What a malformed line does. */
  public enum MalformedPolicy {
    /** Stop at the first malformed line (exit code 1). */
    FAIL,
    /** Write it to the rejects file with reason {@code malformed_line} and go on. */
    SKIP
  }

  public BatchOptions {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1");
    }
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1");
    }
    if (stepTimeout.isNegative() || stepTimeout.isZero()) {
      throw new IllegalArgumentException("the step timeout must be positive");
    }
  }

  /** Default step timeout in batch: generous, so only a hung backend reaches it. */
  public static final Duration DEFAULT_STEP_TIMEOUT = Duration.ofSeconds(60);

  /** Defaults: requests mode, one thread per core, fail on malformed lines, 2 MiB bodies. */
  public static BatchOptions defaults() {
    int cores = Runtime.getRuntime().availableProcessors();
    return new BatchOptions(
        Mode.REQUESTS,
        cores,
        defaultWindow(cores),
        MalformedPolicy.FAIL,
        2L << 20,
        64 << 20,
        DEFAULT_STEP_TIMEOUT,
        null,
        "/v1/chat/completions");
  }

  /** The in-flight window for a number of threads: enough read-ahead to keep every worker busy. */
  public static int defaultWindow(int threads) {
    return Math.max(64, threads * 64);
  }

  public BatchOptions withMode(Mode m) {
    Copy c = new Copy(this);
    c.mode = m;
    return c.build();
  }

  /** Sets the threads and the matching default window. */
  public BatchOptions withThreads(int t) {
    Copy c = new Copy(this);
    c.threads = t;
    c.window = defaultWindow(t);
    return c.build();
  }

  public BatchOptions withWindow(int w) {
    Copy c = new Copy(this);
    c.window = w;
    return c.build();
  }

  public BatchOptions withOnMalformed(MalformedPolicy p) {
    Copy c = new Copy(this);
    c.onMalformed = p;
    return c.build();
  }

  /** Sets the body limit; the line limit grows with it (a line holds escaped JSON). */
  public BatchOptions withMaxBodyBytes(long b) {
    Copy c = new Copy(this);
    c.maxBodyBytes = b;
    c.maxLineBytes = (int) Math.min(Integer.MAX_VALUE - 64L, Math.max(64L << 20, b * 4));
    return c.build();
  }

  /** Sets the longest line read whole (tests; the body limit sets it otherwise). */
  public BatchOptions withMaxLineBytes(int l) {
    Copy c = new Copy(this);
    c.maxLineBytes = l;
    return c.build();
  }

  public BatchOptions withStepTimeout(Duration d) {
    Copy c = new Copy(this);
    c.stepTimeout = d;
    return c.build();
  }

  /** A pipeline budget, which makes outcomes depend on the machine's speed; null for none. */
  public BatchOptions withPipelineBudget(Duration d) {
    Copy c = new Copy(this);
    c.pipelineBudget = d;
    return c.build();
  }

  public BatchOptions withResultsPath(String p) {
    Copy c = new Copy(this);
    c.resultsPath = p;
    return c.build();
  }

  /** The components of an instance, to change some and build another (the withers above). */
  private static final class Copy {
    Mode mode;
    int threads;
    int window;
    MalformedPolicy onMalformed;
    long maxBodyBytes;
    int maxLineBytes;
    Duration stepTimeout;
    Duration pipelineBudget;
    String resultsPath;

    Copy(BatchOptions o) {
      mode = o.mode;
      threads = o.threads;
      window = o.window;
      onMalformed = o.onMalformed;
      maxBodyBytes = o.maxBodyBytes;
      maxLineBytes = o.maxLineBytes;
      stepTimeout = o.stepTimeout;
      pipelineBudget = o.pipelineBudget;
      resultsPath = o.resultsPath;
    }

    BatchOptions build() {
      return new BatchOptions(
          mode,
          threads,
          window,
          onMalformed,
          maxBodyBytes,
          maxLineBytes,
          stepTimeout,
          pipelineBudget,
          resultsPath);
    }
  }

  /**
   * The runner's budget for {@code stepCount} steps: the configured one, or else one that the step
   * timeouts always bind before (every step may use its whole timeout, plus one for overheads).
   */
  public Duration budgetFor(int stepCount) {
    return pipelineBudget != null
        ? pipelineBudget
        : stepTimeout.multipliedBy(Math.max(1, stepCount) + 1L);
  }

  /**
   * What changes the outcome of a line, for the resume check: a run may only be continued under the
   * same settings. Threads, window and progress do not change outcomes.
   */
  public String outcomeSettings() {
    return String.join(
        "|",
        mode.name(),
        Long.toString(maxBodyBytes),
        Integer.toString(maxLineBytes),
        stepTimeout.toString(),
        String.valueOf(pipelineBudget),
        resultsPath);
  }
}
