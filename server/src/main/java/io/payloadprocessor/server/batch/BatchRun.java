package io.payloadprocessor.server.batch;

import io.payloadprocessor.server.ServerMetrics;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.PipelineRunner;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.server.pipeline.StepScheduler;
import io.payloadprocessor.server.telemetry.Tracing;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One run of a pipeline over batch lines with its own counters: the per-line logic the CLI and the
 * Spark job share. The CLI has one per file, the Spark job one per partition, both over a pipeline
 * (modules, models) loaded once per JVM. {@link #process} is thread-safe.
 *
 * <p>Batch timing: every step gets {@link BatchOptions#stepTimeout()} instead of its realtime
 * timeout, and the runner a budget the step timeouts always bind before (unless one is set), so an
 * outcome depends on the line and the config only, not on the machine's load; a hung backend still
 * fails its step after the step timeout, by the step's failure mode.
 */
public final class BatchRun {
  private final BatchOptions options;
  private final ServerMetrics metrics;
  private final MutationTally tally;
  private final LineProcessor processor;

  /**
   * @param scheduler where the runner runs steps that do not run inline, and their timers; shared
   *     by runs (see {@link #scheduler})
   */
  public BatchRun(Pipeline pipeline, BatchOptions options, StepScheduler scheduler) {
    this(pipeline, options, scheduler, Tracing.off());
  }

  /** With a trace per line (the CLI; the Spark job does not trace). */
  public BatchRun(
      Pipeline pipeline, BatchOptions options, StepScheduler scheduler, Tracing tracing) {
    this.options = options;
    // A registry per run: the runner's counters then hold this run's outcomes only.
    this.metrics = new ServerMetrics(new PrometheusRegistry());
    this.tally = new MutationTally();
    List<Step> steps = tally.wrap(pipeline.select(Map.of()), options.stepTimeout());
    PipelineRunner runner = new PipelineRunner(scheduler, options.budgetFor(steps.size()), metrics);
    this.processor = new LineProcessor(runner, steps, options, tracing);
  }

  /**
   * The scheduler for batch runs: a CPU pool of {@code threads}, inline steps on the calling
   * (worker) thread whatever the body size, since batch workers may block, and nothing shed under
   * load, since an outcome must not depend on load.
   */
  public static StepScheduler scheduler(int threads) {
    return new StepScheduler(
        Math.max(1, threads), 1 << 16, Integer.MAX_VALUE, Duration.ofDays(365));
  }

  /** Runs one line. Never throws for a bad line: it becomes a malformed or rejected result. */
  public LineResult process(LineReader.Line line) {
    return processor.process(line);
  }

  /**
   * processor name to outcome to count so far: the runner's counters for this run's direction, plus
   * what each processor asked to change.
   */
  public Map<String, Map<String, Long>> processorOutcomes() {
    String dir = options.mode() == BatchOptions.Mode.REQUESTS ? "request" : "response";
    Map<String, Map<String, Long>> out = new TreeMap<>();
    CounterSnapshot snapshot = metrics.processorOutcomes.collect();
    for (CounterSnapshot.CounterDataPointSnapshot dp : snapshot.getDataPoints()) {
      if (!dir.equals(dp.getLabels().get("direction"))) {
        continue;
      }
      out.computeIfAbsent(dp.getLabels().get("processor"), k -> new TreeMap<>())
          .merge(dp.getLabels().get("outcome"), (long) dp.getValue(), Long::sum);
    }
    tally
        .snapshot()
        .forEach((name, m) -> out.computeIfAbsent(name, k -> new TreeMap<>()).putAll(m));
    return out;
  }
}
