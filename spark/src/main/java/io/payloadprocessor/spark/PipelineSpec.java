package io.payloadprocessor.spark;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.server.batch.BatchOptions;
import io.payloadprocessor.server.batch.BatchRun;
import io.payloadprocessor.server.config.LoadResult;
import io.payloadprocessor.server.config.PipelineLoader;
import io.payloadprocessor.server.extprocess.BackendChannels;
import io.payloadprocessor.server.extprocess.ExtProcessBuilders;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.StepScheduler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Everything an executor needs to build the pipeline, shipped from the driver: the config files'
 * text (read once by the driver from any path), where relative module paths resolve, backends,
 * module options and the batch options. {@link #pipeline()} builds it once per executor JVM, so
 * modules and models load once per executor, not per task.
 *
 * @param files config file name to its YAML text, in load order
 * @param configDir directory that module file paths in the config resolve against
 * @param fingerprint digest of all the above, the key of the per-JVM cache
 */
record PipelineSpec(
    Map<String, String> files,
    String configDir,
    Map<String, String> backends,
    Map<String, String> moduleOptions,
    BatchOptions options,
    String fingerprint)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A pipeline and the scheduler its steps run on; lives as long as the executor. */
  record Loaded(Pipeline pipeline, StepScheduler scheduler) {}

  private static final Map<String, Loaded> LOADED = new ConcurrentHashMap<>();

  PipelineSpec {
    files = new LinkedHashMap<>(files);
    backends = new LinkedHashMap<>(backends);
    moduleOptions = new LinkedHashMap<>(moduleOptions);
  }

  /** The pipeline of this spec in this JVM, built on first use. */
  Loaded pipeline() {
    return LOADED.computeIfAbsent(fingerprint, k -> load());
  }

  /** Loads the config as the CLI does; errors (already reported by the driver) fail the task. */
  LoadResult loadResult() {
    List<JsonNode> docs = new ArrayList<>();
    try {
      for (String yaml : files.values()) {
        docs.addAll(PipelineLoader.parseYaml(yaml));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot parse the pipeline config", e);
    }
    PipelineLoader loader =
        new PipelineLoader(
            new ExtProcessBuilders(new BackendChannels(backends)),
            new PrometheusRegistry(),
            moduleOptions);
    return loader.loadDocuments(String.join(",", files.keySet()), Path.of(configDir), docs);
  }

  private Loaded load() {
    LoadResult r = loadResult();
    if (!r.ok()) {
      throw new IllegalStateException("the pipeline config is invalid: " + r.errors());
    }
    return new Loaded(r.pipeline(), BatchRun.scheduler(Runtime.getRuntime().availableProcessors()));
  }
}
