package io.payloadprocessor.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * One counter per registry and name, shared by every processor that counts into it (and by every
 * pipeline a reload builds): a registry refuses a second collector with the same name.
 */
public final class SharedCounters {
  private static final Map<PrometheusRegistry, Map<String, Counter>> COUNTERS = new WeakHashMap<>();

  private SharedCounters() {}

  /** The counter {@code name} of {@code registry}, registered on first use. */
  public static synchronized Counter in(
      PrometheusRegistry registry, String name, String help, String... labelNames) {
    return COUNTERS
        .computeIfAbsent(registry, r -> new HashMap<>())
        .computeIfAbsent(
            name,
            n ->
                Counter.builder()
                    .name(n)
                    .help(help)
                    .labelNames(labelNames)
                    .withoutExemplars()
                    .register(registry));
  }
}
