package io.payloadprocessor.server.config;

import io.payloadprocessor.spi.ModuleContext;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The {@link ModuleContext} the loader gives module factories: the directory of the config file,
 * the server's metrics registry and the {@code --module-option} settings.
 */
public record DefaultModuleContext(
    Path configDir, PrometheusRegistry metrics, Map<String, String> options)
    implements ModuleContext {

  public DefaultModuleContext {
    options = Map.copyOf(options);
  }

  @Override
  public Optional<String> option(String key) {
    return Optional.ofNullable(options.get(key));
  }
}
