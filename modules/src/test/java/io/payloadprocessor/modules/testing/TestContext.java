package io.payloadprocessor.modules.testing;

import io.payloadprocessor.spi.ModuleContext;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The module context of tests and benchmarks: a config directory, server options and a registry of
 * its own. Shared with the other modules' tests through this module's test-jar.
 */
public final class TestContext implements ModuleContext {
  private final Path configDir;
  private final Map<String, String> options;
  private final PrometheusRegistry registry = new PrometheusRegistry();

  public TestContext(Path configDir, Map<String, String> options) {
    this.configDir = configDir;
    this.options = Map.copyOf(options);
  }

  /** Relative paths resolve against {@code configDir}; no server options. */
  public TestContext(Path configDir) {
    this(configDir, Map.of());
  }

  /** With server options ({@code --module-option KEY=VALUE}). */
  public TestContext(Map<String, String> options) {
    this(Path.of("."), options);
  }

  public TestContext() {
    this(Path.of("."), Map.of());
  }

  @Override
  public Path configDir() {
    return configDir;
  }

  @Override
  public PrometheusRegistry metrics() {
    return registry;
  }

  @Override
  public Optional<String> option(String key) {
    return Optional.ofNullable(options.get(key));
  }

  /** The value of the guard decision counter for one processor and action (0 if never). */
  public double decisions(String processor, String action) {
    for (MetricSnapshot s : registry.scrape()) {
      if (s instanceof CounterSnapshot counter) {
        for (CounterSnapshot.CounterDataPointSnapshot p : counter.getDataPoints()) {
          if (processor.equals(p.getLabels().get("processor"))
              && action.equals(p.getLabels().get("action"))) {
            return p.getValue();
          }
        }
      }
    }
    return 0;
  }
}
