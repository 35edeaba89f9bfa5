package io.payloadprocessor.server.cli;

import ch.qos.logback.classic.Level;
import io.payloadprocessor.server.Logging;
import io.payloadprocessor.server.PayloadProcessorServer;
import io.payloadprocessor.server.admin.AdminServer;
import io.payloadprocessor.server.config.ConfigError;
import io.payloadprocessor.server.config.ConfigWatcher;
import io.payloadprocessor.server.config.LoadResult;
import io.payloadprocessor.server.config.PipelineLoader;
import io.payloadprocessor.server.extprocess.BackendChannels;
import io.payloadprocessor.server.extprocess.ExtProcessBuilders;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.PipelineRunner;
import io.payloadprocessor.server.pipeline.StepScheduler;
import io.payloadprocessor.server.telemetry.Tracing;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code payload-processor serve}: runs the ext_proc sidecar. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Run the ext_proc gRPC sidecar (the default command).",
      "",
      "Without --config, an embedded default pipeline runs: the JSON body's `model` field is"
          + " copied to X-Gateway-Model-Name. With --config, the PayloadProcessor documents of"
          + " that file or directory are loaded, validated (the server refuses to start on an"
          + " invalid config) and watched: valid changes apply atomically, invalid ones are"
          + " logged and the last good pipeline stays.",
      "",
      "SIGTERM drains: /readyz turns 503, new streams are refused, streams in flight finish"
          + " (up to --drain-timeout).",
      "",
      "Tracing (OpenTelemetry) is off unless OTEL_TRACES_EXPORTER is set (otlp, logging);"
          + " the other OTEL_* variables configure it (docs/pipeline.md, Tracing)."
    })
public final class ServeCommand implements Callable<Integer> {
  @Mixin PipelineOptions pipelineOptions = new PipelineOptions();

  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);
  static final String DEFAULT_PIPELINE = "/io/payloadprocessor/server/default-pipeline.yaml";

  @Option(names = "--address", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String address = "127.0.0.1";

  @Option(names = "--port", description = "gRPC port (default: ${DEFAULT-VALUE}; 0 picks one).")
  int port = 9002;

  @Option(
      names = "--uds",
      paramLabel = "PATH",
      description = "Listen on this Unix domain socket instead of TCP.")
  Path uds;

  @Option(
      names = "--config",
      paramLabel = "PATH",
      description = "PayloadProcessor YAML file or directory (watched for changes).")
  Path config;

  @Option(
      names = "--admin-port",
      description =
          "HTTP port for /metrics, /healthz, /readyz (default: ${DEFAULT-VALUE}; -1 disables).")
  int adminPort = 9090;

  @Option(
      names = "--admin-address",
      description = "Address of the admin port (default: same as --address).")
  String adminAddress;

  @Option(
      names = "--drain-timeout",
      converter = Durations.class,
      description = "How long SIGTERM waits for streams in flight (default: 10s).")
  Duration drainTimeout = Duration.ofSeconds(10);

  @Option(
      names = "--warmup",
      description = "Warm-up exchanges before /readyz turns ready (default: ${DEFAULT-VALUE}).")
  int warmup = 300;

  @Option(
      names = "--no-op",
      description = "Benchmark floor: answer every message with CONTINUE, no pipeline.")
  boolean noOp;

  @Option(
      names = "--cpu-threads",
      description =
          "Threads of the pool that runs CPU-heavy steps (default: one per core, ${DEFAULT-VALUE}).")
  int cpuThreads = Runtime.getRuntime().availableProcessors();

  @Option(
      names = "--inline-body-limit",
      converter = Sizes.class,
      description =
          "Bodies up to this size are read by cheap steps on the event loop; larger ones on the"
              + " CPU pool (default: 16KiB).")
  long inlineBodyLimit = StepScheduler.DEFAULT_INLINE_BODY_LIMIT;

  @Option(
      names = "--shed-after",
      converter = Durations.class,
      description =
          "CPU-pool queueing delay past which optional FailOpen processors are skipped"
              + " (default: 50ms).")
  Duration shedAfter = StepScheduler.DEFAULT_SHED_AFTER;

  @Option(
      names = "--max-header-value-bytes",
      converter = Sizes.class,
      description =
          "Longest header value a processor may set; longer fails the processor (default: 8KiB).")
  long maxHeaderValueBytes = PipelineRunner.DEFAULT_MAX_HEADER_VALUE_BYTES;

  @Option(
      names = "--body-budget",
      converter = Sizes.class,
      description =
          "Bytes of bodies held at once across all exchanges; past it new bodies get 503"
              + " (default: a quarter of the heap, at least 64MiB).")
  long bodyBudget;

  /** {@code --log-format}. */
  enum LogFormat {
    text,
    json
  }

  @Option(
      names = "--log-format",
      description = "text or json: one JSON object per line (default: ${DEFAULT-VALUE}).")
  LogFormat logFormat = LogFormat.text;

  @Option(
      names = "--log-level",
      converter = LogLevels.class,
      paramLabel = "LEVEL",
      description = "TRACE, DEBUG, INFO, WARN, ERROR or OFF (default: INFO).")
  Level logLevel = Level.INFO;

  @Spec CommandSpec spec;

  /** Set once SIGTERM/SIGINT asked for a drain, so a second signal can exit at once. */
  private final java.util.concurrent.atomic.AtomicBoolean draining =
      new java.util.concurrent.atomic.AtomicBoolean();

  @Override
  public Integer call() throws Exception {
    Logging.configure(logFormat == LogFormat.json, logLevel, null, true);
    PrometheusRegistry registry = new PrometheusRegistry();
    io.payloadprocessor.server.ServerMetrics.registerJvmMetrics(registry);
    BackendChannels channels = new BackendChannels(pipelineOptions.backends);
    PipelineLoader loader =
        new PipelineLoader(
            new ExtProcessBuilders(channels), registry, pipelineOptions.moduleOptions);
    AtomicReference<Pipeline> current = new AtomicReference<>();
    ConfigWatcher watcher = null;
    LoadResult loaded;
    if (config != null) {
      watcher = new ConfigWatcher(config, loader, current, registry);
      loaded = watcher.loadInitial();
    } else {
      loaded = loadDefault(loader);
      if (loaded.ok()) {
        current.set(loaded.pipeline());
      }
    }
    if (!loaded.ok()) {
      java.io.PrintWriter err = spec.commandLine().getErr();
      err.println(
          "payload-processor: refusing to start: the pipeline config is invalid"
              + (config == null ? " (embedded default)" : " (" + config + ")"));
      for (ConfigError e : loaded.errors()) {
        err.println("  " + e);
      }
      err.flush();
      channels.close();
      return 1;
    }
    Tracing tracing;
    try {
      tracing = Tracing.fromEnvironment();
    } catch (RuntimeException e) {
      // An unknown exporter, a malformed endpoint: say so, do not start half-configured.
      java.io.PrintWriter err = spec.commandLine().getErr();
      err.println("payload-processor: refusing to start: tracing (OTEL_*): " + e.getMessage());
      err.flush();
      channels.close();
      return 1;
    }
    if (tracing.enabled()) {
      log.info("tracing: on (OTEL_* settings)");
    }
    loaded.warnings().forEach(w -> log.warn("config: {}", w));
    log.info(
        "pipeline: {} documents, {} processors{}",
        loaded.documents(),
        loaded.processors(),
        config == null ? " (embedded default)" : " from " + config);
    PayloadProcessorServer server =
        PayloadProcessorServer.builder()
            .address(address)
            .port(port)
            .uds(uds)
            .pipeline(current::get)
            .maxBodyBytes(pipelineOptions.maxBodyBytes)
            .drainTimeout(drainTimeout)
            .pipelineBudget(pipelineOptions.pipelineBudget)
            .registry(registry)
            .warmupExchanges(warmup)
            .noOp(noOp)
            .cpuThreads(cpuThreads)
            .inlineBodyLimit((int) Math.min(Integer.MAX_VALUE, inlineBodyLimit))
            .shedAfter(shedAfter)
            .maxHeaderValueBytes((int) Math.min(Integer.MAX_VALUE, maxHeaderValueBytes))
            .bodyBudgetBytes(bodyBudget)
            .tracing(tracing)
            .build();
    String adminHost = adminAddress == null ? address : adminAddress;
    AdminServer admin = null;
    try {
      // Admin first: /healthz answers while the server warms up (startup and liveness probes).
      if (adminPort >= 0) {
        admin = new AdminServer(adminHost, adminPort, registry, server::isReady);
        log.info("admin on {}:{} (/metrics /healthz /readyz)", adminHost, admin.port());
      }
    } catch (IOException | RuntimeException e) {
      tracing.close();
      cleanUp(watcher, channels, null);
      return cannotListen(adminHost + ":" + adminPort + " (--admin-address/--admin-port)", e);
    }
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      server.drainAndStop();
      cleanUp(watcher, channels, admin);
      return cannotListen(
          uds != null ? "unix:" + uds : address + ":" + port + " (--address/--port)", e);
    }
    ConfigWatcher w = watcher;
    AdminServer a = admin;
    java.util.concurrent.CountDownLatch drained = new java.util.concurrent.CountDownLatch(1);
    Runnable stop =
        () -> {
          log.info("shutting down: draining for up to {}", drainTimeout);
          try {
            server.drainAndStop();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            drained.countDown();
          }
        };
    // SIGTERM and SIGINT drain and then return 0 from here (the JVM's default would exit 143/130
    // after the shutdown hooks, though nothing went wrong). A second signal during the drain
    // stops at once.
    Signals.onTermination(
        () -> {
          if (!draining.compareAndSet(false, true)) {
            log.warn("second signal while draining: exiting now");
            Runtime.getRuntime().halt(143);
          }
          Thread t = new Thread(stop, "drain");
          t.start();
        });
    // Other ways the JVM may end (System.exit elsewhere, SIGHUP) still drain.
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "shutdown"));
    if (watcher != null) {
      watcher.start();
    }
    server.awaitTermination();
    if (draining.get()) {
      drained.await();
    }
    cleanUp(w, channels, a);
    log.info("exiting");
    return 0;
  }

  private int cannotListen(String where, Exception e) {
    spec.commandLine()
        .getErr()
        .println("payload-processor: cannot listen on " + where + ": " + Bind.describe(e));
    spec.commandLine().getErr().flush();
    return 1;
  }

  private static void cleanUp(ConfigWatcher watcher, BackendChannels channels, AdminServer admin) {
    if (watcher != null) {
      watcher.close();
    }
    channels.close();
    if (admin != null) {
      admin.close();
    }
  }

  public static LoadResult loadDefault(PipelineLoader loader) throws IOException {
    try (InputStream in = ServeCommand.class.getResourceAsStream(DEFAULT_PIPELINE)) {
      if (in == null) {
        throw new IOException("embedded default pipeline missing from the jar");
      }
      String yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return loader.loadDocuments("embedded default pipeline", PipelineLoader.parseYaml(yaml));
    }
  }
}
