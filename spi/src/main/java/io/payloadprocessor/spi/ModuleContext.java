package io.payloadprocessor.spi;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.Optional;

/** What the server offers a module while it builds a processor. */
public interface ModuleContext {
  /** The directory of the config file the processor came from (relative paths resolve here). */
  Path configDir();

  /** Where modules register their metrics (exported on the admin port's /metrics). */
  PrometheusRegistry metrics();

  /**
   * A server-level setting given on the command line as {@code --module-option KEY=VALUE}, e.g.
   * {@code redis.url}.
   */
  Optional<String> option(String key);
}
