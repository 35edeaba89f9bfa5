package io.payloadprocessor.server.batch;

import io.payloadprocessor.server.ServerMetrics;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.PipelineRunner;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.server.pipeline.StepScheduler;
import io.payloadprocessor.spi.HttpMessage;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a PayloadProcessor pipeline over an OpenAI Batch JSONL file, so the guards of realtime
 * traffic also apply to batch inference.
 *
 * <p>Streaming and order: one thread (the caller's) reads lines, hands each to a pool of workers
 * and writes results in input order. The results wait in a FIFO of futures, which is the reorder
 * buffer: it holds at most {@link BatchOptions#window()} lines, and reading pauses while the oldest
 * line is still running. Memory is therefore bounded by the window, whatever the file size.
 *
 * <p>Every non-blank input line ends up in exactly one of the output file (passed: unchanged,
 * rewritten, or answered by a synthetic response) and the rejects file (blocked or malformed); see
 * {@link LineProcessor} for how a line becomes an exchange.
 */
public final class BatchProcessor implements AutoCloseable {
  private static final byte[] LF = {'\n'};

  private final Pipeline pipeline;
  private final BatchOptions options;
  private final ExecutorService workers;
  private final StepScheduler scheduler;

  public BatchProcessor(Pipeline pipeline, BatchOptions options) {
    this.pipeline = pipeline;
    this.options = options;
    this.workers = Executors.newFixedThreadPool(options.threads(), daemon("batch-worker-"));
    // Batch workers may block; inline steps run on them whatever the body size, and nothing is
    // shed (an outcome must not depend on load).
    this.scheduler =
        new StepScheduler(
            Math.max(1, options.threads()), 1 << 16, Integer.MAX_VALUE, Duration.ofDays(365));
  }

  /**
   * Processes files: input lines to {@code output} and {@code rejects}, counts to {@code report}.
   */
  public BatchReport run(Path input, Path output, Path rejects, Path report, Progress progress)
      throws IOException, MalformedLineException {
    BatchReport r;
    try (InputStream in = Files.newInputStream(input);
        OutputStream out = Files.newOutputStream(output);
        OutputStream rej = Files.newOutputStream(rejects)) {
      r = run(in, out, rej, progress, Files.size(input));
    }
    if (report != null) {
      writeReport(r, report);
    }
    return r;
  }

  /** Writes the report as pretty-printed JSON. */
  public static void writeReport(BatchReport r, Path report) throws IOException {
    Files.write(
        report, HttpMessage.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(r.toJson()));
  }

  /**
   * Processes a stream. The output streams are flushed, not closed.
   *
   * @param totalBytes the input's size for the progress percentage, or -1
   * @throws MalformedLineException at the first malformed line when the policy is FAIL; the lines
   *     before it are written
   */
  public BatchReport run(
      InputStream in, OutputStream out, OutputStream rejects, Progress progress, long totalBytes)
      throws IOException, MalformedLineException {
    long start = System.nanoTime();
    // A registry per run: the runner's counters then hold this run's outcomes only.
    ServerMetrics metrics = new ServerMetrics(new PrometheusRegistry());
    PipelineRunner runner = new PipelineRunner(scheduler, options.pipelineBudget(), metrics);
    MutationTally tally = new MutationTally();
    List<Step> steps = tally.wrap(pipeline.select(Map.of()));
    LineProcessor processor = new LineProcessor(runner, steps, options);
    BatchReport report = new BatchReport(options.mode());
    BufferedOutputStream o = new BufferedOutputStream(out, 1 << 16);
    BufferedOutputStream j = new BufferedOutputStream(rejects, 1 << 16);
    ArrayDeque<Future<LineResult>> window = new ArrayDeque<>(options.window());
    LineReader reader = new LineReader(in, options.maxLineBytes());
    try {
      LineReader.Line line;
      while ((line = reader.next()) != null) {
        LineReader.Line l = line;
        window.add(workers.submit(() -> processor.process(l)));
        while (!window.isEmpty()
            && (window.size() >= options.window() || window.peekFirst().isDone())) {
          write(window.pollFirst(), o, j, report);
        }
        progress.update(report.lines(), reader.bytesRead(), rejectedSoFar(report));
      }
      while (!window.isEmpty()) {
        write(window.pollFirst(), o, j, report);
        progress.update(report.lines(), reader.bytesRead(), rejectedSoFar(report));
      }
    } finally {
      window.forEach(f -> f.cancel(true));
      o.flush();
      j.flush();
    }
    progress.done(report.lines(), reader.bytesRead(), rejectedSoFar(report));
    report.finish(
        (System.nanoTime() - start) / 1e9,
        options.threads(),
        outcomes(metrics.processorOutcomes.collect(), tally.snapshot()));
    return report;
  }

  private static long rejectedSoFar(BatchReport r) {
    return r.rejected() + r.malformed();
  }

  private void write(
      Future<LineResult> f, OutputStream out, OutputStream rejects, BatchReport report)
      throws IOException, MalformedLineException {
    LineResult r;
    try {
      r = f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      // LineProcessor turns every exception into a rejection; only an Error gets here.
      throw new IllegalStateException("batch worker failed", e.getCause());
    }
    if (r.kind() == LineResult.Kind.MALFORMED
        && options.onMalformed() == BatchOptions.MalformedPolicy.FAIL) {
      throw new MalformedLineException(r.number(), r.message());
    }
    report.add(r);
    if (r.output() != null) {
      out.write(r.output());
      out.write(LF);
    } else if (r.reject() != null) {
      rejects.write(r.reject());
      rejects.write(LF);
    }
  }

  /**
   * processor name to outcome to count: the runner's counters for this direction, plus what each
   * processor asked to change.
   */
  private Map<String, Map<String, Long>> outcomes(
      CounterSnapshot snapshot, Map<String, Map<String, Long>> mutations) {
    String dir = options.mode() == BatchOptions.Mode.REQUESTS ? "request" : "response";
    Map<String, Map<String, Long>> out = new TreeMap<>();
    for (CounterSnapshot.CounterDataPointSnapshot dp : snapshot.getDataPoints()) {
      if (!dir.equals(dp.getLabels().get("direction"))) {
        continue;
      }
      out.computeIfAbsent(dp.getLabels().get("processor"), k -> new TreeMap<>())
          .merge(dp.getLabels().get("outcome"), (long) dp.getValue(), Long::sum);
    }
    mutations.forEach((name, m) -> out.computeIfAbsent(name, k -> new TreeMap<>()).putAll(m));
    return out;
  }

  @Override
  public void close() {
    workers.shutdownNow();
    scheduler.close();
  }

  private static java.util.concurrent.ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
