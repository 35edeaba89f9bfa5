package io.payloadprocessor.server.cli;

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
import picocli.CommandLine.Option;

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
          + " (up to --drain-timeout)."
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

  @Option(names = "--log-format", description = "text or json (default: ${DEFAULT-VALUE}).")
  String logFormat = "text";

  @Option(names = "--log-level", description = "Root log level (default: ${DEFAULT-VALUE}).")
  String logLevel = "INFO";

  @Override
  public Integer call() throws Exception {
    if (!logFormat.equals("text") && !logFormat.equals("json")) {
      System.err.println("--log-format must be text or json, got: " + logFormat);
      return 2;
    }
    Logging.configure(logFormat.equals("json"), logLevel);
    PrometheusRegistry registry = new PrometheusRegistry();
    BackendChannels channels = new BackendChannels(pipelineOptions.backends);
    PipelineLoader loader =
        new PipelineLoader(
            new ExtProcessBuilders(channels), registry, pipelineOptions.moduleOptions);
    AtomicReference<Pipeline> current = new AtomicReference<>();
    ConfigWatcher watcher = null;
    LoadResult loaded;
    if (config != null) {
      watcher = new ConfigWatcher(config, loader, current, registry);
      loaded = watcher.reloadNow();
    } else {
      loaded = loadDefault(loader);
      if (loaded.ok()) {
        current.set(loaded.pipeline());
      }
    }
    if (!loaded.ok()) {
      System.err.println(
          "payload-processor: refusing to start: the pipeline config is invalid"
              + (config == null ? " (embedded default)" : " (" + config + ")"));
      for (ConfigError e : loaded.errors()) {
        System.err.println("  " + e);
      }
      channels.close();
      return 1;
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
            .build();
    AdminServer admin =
        adminPort < 0
            ? null
            : new AdminServer(
                adminAddress == null ? address : adminAddress,
                adminPort,
                registry,
                server::isReady);
    if (admin != null) {
      log.info(
          "admin on {}:{} (/metrics /healthz /readyz)",
          adminAddress == null ? address : adminAddress,
          admin.port());
    }
    ConfigWatcher w = watcher;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("shutting down: draining for up to {}", drainTimeout);
                  try {
                    server.drainAndStop();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  if (w != null) {
                    w.close();
                  }
                  channels.close();
                  if (admin != null) {
                    admin.close();
                  }
                },
                "shutdown"));
    try {
      server.start();
    } catch (IOException e) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      System.err.println(
          "payload-processor: cannot listen on "
              + (uds != null ? "unix:" + uds : address + ":" + port)
              + ": "
              + root.getMessage());
      return 1;
    }
    if (watcher != null) {
      watcher.start();
    }
    server.awaitTermination();
    return 0;
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
