package io.payloadprocessor.modules.common;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The decision counter shared by every guard module ({@code
 * payload_processor_guard_decisions_total{processor, action}}). Several modules and several
 * processors register it against the same registry ({@link SharedCounters}).
 */
public final class GuardMetrics {
  /** Counter name as exported (Prometheus adds nothing: the name already ends in _total). */
  public static final String DECISIONS = "payload_processor_guard_decisions_total";

  private final CounterPoints byAction;

  private GuardMetrics(Counter counter, String processor) {
    this.byAction = new CounterPoints(action -> counter.labelValues(processor, action));
  }

  /** The decision counter of {@code registry}, labelled for one processor. */
  public static GuardMetrics forProcessor(PrometheusRegistry registry, String processor) {
    return new GuardMetrics(decisions(registry), processor);
  }

  /** The shared counter, registered on first use. */
  public static Counter decisions(PrometheusRegistry registry) {
    return SharedCounters.counter(
        registry,
        DECISIONS,
        "Guard decisions by processor and action (block, mask, report, allow).",
        "processor",
        "action");
  }

  /** Counts one decision: {@code block}, {@code mask}, {@code report} or {@code allow}. */
  public void count(String action) {
    byAction.inc(action);
  }
}
