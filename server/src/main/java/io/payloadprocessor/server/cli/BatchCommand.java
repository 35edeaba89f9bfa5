package io.payloadprocessor.server.cli;

import io.payloadprocessor.server.Logging;
import io.payloadprocessor.server.batch.BatchFiles;
import io.payloadprocessor.server.batch.BatchOptions;
import io.payloadprocessor.server.batch.BatchProcessor;
import io.payloadprocessor.server.batch.MalformedLineException;
import io.payloadprocessor.server.batch.Progress;
import io.payloadprocessor.server.config.ConfigError;
import io.payloadprocessor.server.config.LoadResult;
import io.payloadprocessor.server.config.PipelineLoader;
import io.payloadprocessor.server.extprocess.BackendChannels;
import io.payloadprocessor.server.extprocess.ExtProcessBuilders;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.telemetry.Tracing;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code payload-processor batch}: the pipeline over OpenAI Batch JSONL files. */
@Command(
    name = "batch",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Run a PayloadProcessor pipeline over an OpenAI Batch JSONL file, so realtime and batch"
          + " inference pass the same guards.",
      "",
      "Requests (default): each input line {custom_id, method, url, body} runs through the"
          + " request phase as a request to its url (headers :method, :path, content-type:"
          + " application/json, content-length, x-request-id = custom_id; no route metadata, so"
          + " Gateway-level documents apply). Passing lines go to --output in input order, in the"
          + " input format, with the body as the pipeline left it (masked, routed model, ...);"
          + " header changes are counted in the report only. A synthetic answer (e.g. a cache"
          + " hit) passes the line unchanged.",
      "",
      "--results: each line of a batch OUTPUT file {id, custom_id, response: {status_code,"
          + " request_id, body}, error} runs through the response phase (:status = status_code);"
          + " masked bodies go to --output. Lines without a response pass unchanged.",
      "",
      "Rejected and skipped malformed lines go to --rejects, one JSON line each:"
          + " {\"custom_id\": ..., \"line\": N, \"error\": {processor, phase, reason, rule,"
          + " message, retryable, request_id, status}} (the rejection record the server also puts"
          + " in dynamic metadata). Malformed lines have reason malformed_line. Every non-blank"
          + " input line ends up in exactly one of the two files. Blank lines are ignored.",
      "",
      "Progress goes to standard error: a bar on a terminal, a line every few seconds otherwise."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:completed (rejected lines included)",
      "1:a malformed line with --on-malformed fail, or an I/O error",
      "2:bad arguments or an invalid pipeline config (errors printed)"
    })
public final class BatchCommand implements Callable<Integer> {
  @Mixin PipelineOptions pipelineOptions = new PipelineOptions();

  @Option(
      names = "--config",
      required = true,
      paramLabel = "PATH",
      description = "PayloadProcessor YAML file or directory.")
  Path config;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "FILE",
      description = "Batch JSONL file to read.")
  Path input;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "FILE",
      description = "Where passing lines go.")
  Path output;

  @Option(
      names = "--rejects",
      required = true,
      paramLabel = "FILE",
      description = "Where rejected and malformed lines go.")
  Path rejects;

  @Option(
      names = "--report",
      paramLabel = "FILE",
      description = "Write counts and timing as JSON here.")
  Path report;

  @Option(
      names = "--results",
      description = "Input is a batch output file: run the response phase over response.body.")
  boolean results;

  @Option(
      names = "--results-path",
      paramLabel = "PATH",
      description =
          "With --results: the :path of the request each response answers (default:"
              + " ${DEFAULT-VALUE}); batch output lines do not carry it.")
  String resultsPath = "/v1/chat/completions";

  @Option(
      names = "--threads",
      description = "Worker threads (default: the number of processors, ${DEFAULT-VALUE}).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(
      names = "--window",
      description =
          "Lines in flight at most, which bounds memory (default: 64 per thread, at least 64).")
  Integer window;

  @Option(
      names = "--on-malformed",
      paramLabel = "fail|skip",
      description =
          "fail: stop at the first malformed line (exit 1, naming the line); skip: write it to"
              + " --rejects with reason malformed_line and go on (default: ${DEFAULT-VALUE}).")
  String onMalformed = "fail";

  @Option(
      names = "--step-timeout",
      converter = Durations.class,
      description =
          "How long one processor may take on one line (default: ${DEFAULT-VALUE}). It replaces"
              + " the realtime timeouts of the config, and there is no pipeline budget, so every"
              + " result depends only on the input and the config, not on the machine's load; a"
              + " hung backend still fails its step (by its failureMode) after this long.")
  Duration stepTimeout = BatchOptions.DEFAULT_STEP_TIMEOUT;

  @Option(
      names = "--resume",
      description =
          "Continue the run that SIGINT or SIGTERM interrupted, from the last line in its"
              + " incomplete report (REPORT.partial); needs --report and the same input, config"
              + " and settings.")
  boolean resume;

  @Option(
      names = "--progress-interval",
      description =
          "Seconds between progress lines when not on a terminal (default:"
              + " ${DEFAULT-VALUE}; 0 turns progress off).")
  int progressInterval = 5;

  @Option(
      names = "--log-level",
      description =
          "Root log level (default: ${DEFAULT-VALUE}; the rejects file already records every"
              + " rejected line).")
  String logLevel = "ERROR";

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    try {
      return run(err);
    } finally {
      err.flush();
    }
  }

  private int run(PrintWriter err) {
    BatchOptions.MalformedPolicy policy;
    switch (onMalformed) {
      case "fail" -> policy = BatchOptions.MalformedPolicy.FAIL;
      case "skip" -> policy = BatchOptions.MalformedPolicy.SKIP;
      default -> {
        err.println("batch: --on-malformed must be fail or skip, got: " + onMalformed);
        return 2;
      }
    }
    if (threads < 1 || (window != null && window < 1)) {
      err.println("batch: --threads and --window must be at least 1");
      return 2;
    }
    if (stepTimeout.isNegative() || stepTimeout.isZero()) {
      err.println("batch: --step-timeout must be positive");
      return 2;
    }
    Logging.configure(false, logLevel);
    BatchOptions options =
        BatchOptions.defaults()
            .withMode(results ? BatchOptions.Mode.RESULTS : BatchOptions.Mode.REQUESTS)
            .withThreads(threads)
            .withOnMalformed(policy)
            .withMaxBodyBytes(pipelineOptions.maxBodyBytes)
            .withStepTimeout(stepTimeout)
            .withResultsPath(resultsPath);
    if (spec.commandLine().getParseResult().hasMatchedOption("--pipeline-budget")) {
      err.println(
          "warning: --pipeline-budget makes results depend on the machine's speed; batch runs"
              + " without one by default");
      options = options.withPipelineBudget(pipelineOptions.pipelineBudget);
    }
    if (window != null) {
      options = options.withWindow(window);
    }
    Tracing tracing;
    try {
      tracing = Tracing.fromEnvironment();
    } catch (RuntimeException e) {
      err.println("batch: tracing (OTEL_*): " + e.getMessage());
      return 2;
    }
    BatchFiles files;
    try {
      files = BatchFiles.prepare(input, output, rejects, report, resume, fingerprint(options));
    } catch (BatchFiles.SetupException e) {
      tracing.close();
      err.println("batch: " + e.getMessage());
      return 2;
    } catch (IOException e) {
      tracing.close();
      err.println("batch: I/O error: " + e);
      return 1;
    }
    try (tracing;
        files;
        BackendChannels channels = new BackendChannels(pipelineOptions.backends)) {
      PipelineLoader loader =
          new PipelineLoader(
              new ExtProcessBuilders(channels),
              new PrometheusRegistry(),
              pipelineOptions.moduleOptions);
      LoadResult loaded = loader.load(config);
      if (!loaded.ok()) {
        files.discard();
        err.println("batch: the pipeline config is invalid (" + config + ")");
        for (ConfigError e : loaded.errors()) {
          err.println("  " + e);
        }
        return 2;
      }
      for (String w : loaded.warnings()) {
        err.println("warning: " + w);
      }
      try (Pipeline pipeline = loaded.pipeline();
          BatchProcessor processor = new BatchProcessor(pipeline, options, tracing)) {
        Progress progress =
            progressInterval <= 0
                ? Progress.none()
                : new Progress(System.err, hasTerminal(), progressInterval, Files.size(input));
        BatchProcessor.Ending end = runUntilSignalled(processor, files, progress, err);
        if (end.stopped()) {
          return 130;
        }
        err.println("batch: " + end.report().summary());
        return 0;
      }
    } catch (MalformedLineException e) {
      err.println(
          "batch: "
              + input
              + ": "
              + e.getMessage()
              + "; nothing written (use --on-malformed skip to write malformed lines to --rejects"
              + " and go on)");
      return 1;
    } catch (NoSuchFileException e) {
      err.println("batch: cannot write: no such file or directory: " + e.getFile());
      return 1;
    } catch (IOException e) {
      err.println("batch: I/O error: " + e);
      return 1;
    }
  }

  /**
   * Runs with a shutdown hook: SIGINT or SIGTERM stops reading, the lines in flight finish and are
   * written, and the run is checkpointed before the JVM exits (with 130 or 143).
   */
  private static BatchProcessor.Ending runUntilSignalled(
      BatchProcessor processor, BatchFiles files, Progress progress, PrintWriter err)
      throws IOException, MalformedLineException {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              stop.set(true);
              try {
                finished.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "batch-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      BatchProcessor.Ending end = processor.run(files, progress, stop::get);
      if (end.stopped()) {
        err.println(
            end.report().checkpoint() != null
                ? "batch: interrupted after line "
                    + end.lastLine()
                    + "; the incomplete report is in the report's "
                    + BatchFiles.PARTIAL
                    + " file; run the same command with --resume to continue"
                : "batch: interrupted after line "
                    + end.lastLine()
                    + "; nothing written (pass --report to be able to resume a run)");
      }
      return end;
    } finally {
      err.flush();
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down (the hook ran): nothing to remove.
      }
    }
  }

  /** What the results depend on besides the input: config files and outcome settings. */
  private String fingerprint(BatchOptions options) throws IOException {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("options", options.outcomeSettings());
    pipelineOptions.backends.forEach((k, v) -> settings.put("backend." + k, v));
    pipelineOptions.moduleOptions.forEach((k, v) -> settings.put("module-option." + k, v));
    return Files.exists(config) ? BatchFiles.fingerprint(config, settings) : "";
  }

  /**
   * Whether stderr is a terminal (progress is redrawn in place there). Java 17, which this is built
   * for, has no {@code Console.isTerminal()}; its {@code System.console()} is null without one.
   */
  @SuppressWarnings("SystemConsoleNull")
  private static boolean hasTerminal() {
    return System.console() != null;
  }
}
