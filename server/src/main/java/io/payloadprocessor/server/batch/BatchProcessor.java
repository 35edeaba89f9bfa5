package io.payloadprocessor.server.batch;

import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.StepScheduler;
import io.payloadprocessor.server.telemetry.Tracing;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Runs a PayloadProcessor pipeline over an OpenAI Batch JSONL file on one machine, so the guards of
 * realtime traffic also apply to batch inference ({@link BatchRun} holds the per-line logic, shared
 * with the Spark job).
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
  private final Tracing tracing;

  /** How a stream run ended. */
  public record Ending(BatchReport report, boolean stopped, long lastLine, long inputOffset) {}

  public BatchProcessor(Pipeline pipeline, BatchOptions options) {
    this(pipeline, options, Tracing.off());
  }

  /** With a trace per line ({@code tracing} stays the caller's to close). */
  public BatchProcessor(Pipeline pipeline, BatchOptions options, Tracing tracing) {
    this.pipeline = pipeline;
    this.options = options;
    this.tracing = tracing;
    this.workers = Executors.newFixedThreadPool(options.threads(), daemon("batch-worker-"));
    this.scheduler = BatchRun.scheduler(options.threads());
  }

  /**
   * Processes files: input lines to {@code output} and {@code rejects}, counts to {@code report}.
   * Nothing is replaced unless the run completes (see {@link BatchFiles}).
   */
  public BatchReport run(Path input, Path output, Path rejects, Path report, Progress progress)
      throws IOException, MalformedLineException, BatchFiles.SetupException {
    try (BatchFiles files = BatchFiles.prepare(input, output, rejects, report, false, "")) {
      return run(files, progress, () -> false).report();
    }
  }

  /**
   * Processes prepared files until the input ends or {@code stop} says so. A completed run is
   * committed; a stopped one is checkpointed (when it has a report) so that it can be resumed; a
   * failed one (malformed line with FAIL, I/O error) is discarded.
   */
  public Ending run(BatchFiles files, Progress progress, BooleanSupplier stop)
      throws IOException, MalformedLineException {
    BatchReport previous = files.previous();
    long lastLine = previous == null ? 0 : previous.checkpoint().lastLine();
    long offset = previous == null ? 0 : previous.checkpoint().inputOffset();
    Ending e;
    boolean ok = false;
    try (InputStream in = files.openInput()) {
      LineReader reader = new LineReader(in, options.maxLineBytes(), offset, lastLine);
      OutputStream out = files.output();
      OutputStream rej = files.rejects();
      e = run(reader, out, rej, progress, files.inputSize(), stop);
      out.flush();
      rej.flush();
      BatchReport r = e.report();
      if (previous != null) {
        previous.merge(r);
        previous.setTiming(previous.wallSeconds(), options.threads());
        r = previous;
      }
      e = new Ending(r, e.stopped(), e.lastLine(), e.inputOffset());
      if (e.stopped()) {
        files.checkpoint(r, e.lastLine(), e.inputOffset());
      } else {
        files.commit(r);
      }
      ok = true;
    } finally {
      if (!ok) {
        files.discard();
      }
    }
    return e;
  }

  /**
   * Processes a stream from its start. The output streams are flushed, not closed.
   *
   * @param totalBytes the input's size for the progress percentage, or -1
   * @throws MalformedLineException at the first malformed line when the policy is FAIL; the lines
   *     before it are written
   */
  public BatchReport run(
      InputStream in, OutputStream out, OutputStream rejects, Progress progress, long totalBytes)
      throws IOException, MalformedLineException {
    return run(
            new LineReader(in, options.maxLineBytes()),
            out,
            rejects,
            progress,
            totalBytes,
            () -> false)
        .report();
  }

  /**
   * Processes lines from {@code reader} until it ends or {@code stop} says so; then the lines in
   * flight are finished and written, so that every line read is committed.
   */
  Ending run(
      LineReader reader,
      OutputStream out,
      OutputStream rejects,
      Progress progress,
      long totalBytes,
      BooleanSupplier stop)
      throws IOException, MalformedLineException {
    long start = System.nanoTime();
    BatchRun run = new BatchRun(pipeline, options, scheduler, tracing);
    BatchReport report = new BatchReport(options.mode());
    BufferedOutputStream o = new BufferedOutputStream(out, 1 << 16);
    BufferedOutputStream j = new BufferedOutputStream(rejects, 1 << 16);
    ArrayDeque<Future<LineResult>> window = new ArrayDeque<>(options.window());
    boolean stopped = false;
    try {
      LineReader.Line line;
      while (true) {
        if (stop.getAsBoolean()) {
          stopped = true;
          break;
        }
        line = reader.next();
        if (line == null) {
          break;
        }
        LineReader.Line l = line;
        window.add(workers.submit(() -> run.process(l)));
        while (!window.isEmpty()
            && (window.size() >= options.window() || window.peekFirst().isDone())) {
          write(window.pollFirst(), o, j, report);
        }
        progress.update(report.lines(), reader.offset(), rejectedSoFar(report));
      }
      while (!window.isEmpty()) {
        write(window.pollFirst(), o, j, report);
        progress.update(report.lines(), reader.offset(), rejectedSoFar(report));
      }
    } finally {
      window.forEach(f -> f.cancel(true));
      o.flush();
      j.flush();
    }
    progress.done(report.lines(), reader.offset(), rejectedSoFar(report));
    report.addProcessorOutcomes(run.processorOutcomes());
    report.setTiming((System.nanoTime() - start) / 1e9, options.threads());
    return new Ending(report, stopped, reader.lastLine(), reader.offset());
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

  @Override
  public void close() {
    workers.shutdownNow();
    scheduler.close();
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
