package io.payloadprocessor.server.cli;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options shared by every command that runs a pipeline ({@code serve}, {@code batch}). */
public final class PipelineOptions {
  @Option(
      names = "--max-body-bytes",
      converter = Sizes.class,
      description =
          "Largest body the pipeline buffers; larger requests get 413 (default: 2MiB). Accepts"
              + " 2097152, 512KiB, 2MiB.")
  long maxBodyBytes = 2L << 20;

  @Option(
      names = "--pipeline-budget",
      converter = Durations.class,
      description =
          "Time budget for one pipeline run; keep it below Envoy's message_timeout (default:"
              + " 1500ms). When it runs out, each remaining processor fails by its failureMode.")
  Duration pipelineBudget = Duration.ofMillis(1500);

  @Option(
      names = "--backend",
      paramLabel = "NAME=HOST:PORT",
      description =
          "Address of an ExtProcess backendRef by name (repeatable); otherwise"
              + " NAME.NAMESPACE.svc.cluster.local:PORT.")
  Map<String, String> backends = new LinkedHashMap<>();

  @Option(
      names = "--module-option",
      paramLabel = "KEY=VALUE",
      description = "Server-level setting for modules, e.g. redis.url=redis://127.0.0.1:6379.")
  Map<String, String> moduleOptions = new LinkedHashMap<>();
}
