package io.payloadprocessor.modules.testing;

import io.payloadprocessor.spi.ModuleContext;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** A module context with fixed server options. */
public final class TestContext implements ModuleContext {
  private final Map<String, String> options;
  private final PrometheusRegistry registry = new PrometheusRegistry();

  public TestContext(Map<String, String> options) {
    this.options = Map.copyOf(options);
  }

  public TestContext() {
    this(Map.of());
  }

  @Override
  public Path configDir() {
    return Path.of(".");
  }

  @Override
  public PrometheusRegistry metrics() {
    return registry;
  }

  @Override
  public Optional<String> option(String key) {
    return Optional.ofNullable(options.get(key));
  }
}
