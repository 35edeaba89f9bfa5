package io.payloadprocessor.modules.common;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Counters that several processors (and several builds of one pipeline, across reloads) share in
 * one registry: the first registration wins and later ones get the same counter, so a reload or a
 * second processor never fails on "duplicate metric".
 */
public final class SharedCounters {
  private static final Map<PrometheusRegistry, Map<String, Counter>> COUNTERS = new WeakHashMap<>();

  private SharedCounters() {}

  /** The counter {@code name} of {@code registry}, registered on first use. */
  public static Counter counter(
      PrometheusRegistry registry, String name, String help, String... labelNames) {
    synchronized (COUNTERS) {
      Map<String, Counter> byName = COUNTERS.computeIfAbsent(registry, r -> new HashMap<>());
      Counter c = byName.get(name);
      if (c == null) {
        Counter.Builder builder = Counter.builder().name(name).help(help).labelNames(labelNames);
        try {
          c = builder.register(registry);
        } catch (IllegalArgumentException | IllegalStateException alreadyThere) {
          // Registered by another class loader's copy of this class: count into an
          // unregistered counter rather than fail the pipeline build.
          c = builder.build();
        }
        byName.put(name, c);
      }
      return c;
    }
  }
}
