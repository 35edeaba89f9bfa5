package io.payloadprocessor.modules.common;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The decision counter shared by every guard module ({@code
 * payload_processor_guard_decisions_total{processor, action}}). Several modules and several
 * processors register it against the same registry; the first registration wins and later ones get
 * the same counter, so a reload or a second guard never fails on "duplicate metric".
 */
public final class GuardMetrics {
  /** Counter name as exported (Prometheus adds nothing: the name already ends in _total). */
  public static final String DECISIONS = "payload_processor_guard_decisions_total";

  private static final Map<PrometheusRegistry, Counter> COUNTERS = new WeakHashMap<>();

  private final Counter counter;
  private final String processor;

  private GuardMetrics(Counter counter, String processor) {
    this.counter = counter;
    this.processor = processor;
  }

  /** The decision counter of {@code registry}, labelled for one processor. */
  public static GuardMetrics forProcessor(PrometheusRegistry registry, String processor) {
    return new GuardMetrics(decisions(registry), processor);
  }

  /** The shared counter, registered on first use. */
  public static Counter decisions(PrometheusRegistry registry) {
    synchronized (COUNTERS) {
      Counter c = COUNTERS.get(registry);
      if (c == null) {
        Counter.Builder builder =
            Counter.builder()
                .name(DECISIONS)
                .help("Guard decisions by processor and action (block, mask, report, allow).")
                .labelNames("processor", "action");
        try {
          c = builder.register(registry);
        } catch (IllegalArgumentException | IllegalStateException alreadyThere) {
          // Registered by another class loader's copy of this class: count into an
          // unregistered counter rather than fail the pipeline build.
          c = builder.build();
        }
        COUNTERS.put(registry, c);
      }
      return c;
    }
  }

  /** Counts one decision: {@code block}, {@code mask}, {@code report} or {@code allow}. */
  public void count(String action) {
    counter.labelValues(processor, action).inc();
  }
}
