package io.payloadprocessor.modules.usagemetering;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The {@code payload_processor_tokens_total{model, kind}} counter, one per registry: every
 * usage-metering processor (and every pipeline reload) shares it, because a registry refuses a
 * second collector with the same name.
 */
public final class TokenCounters {
  /** Metric name as exported (the client library adds {@code _total} to the base name). */
  public static final String NAME = "payload_processor_tokens_total";

  private static final Map<PrometheusRegistry, Counter> COUNTERS = new WeakHashMap<>();

  private TokenCounters() {}

  /** The shared counter of {@code registry}, registered on first use. */
  public static synchronized Counter in(PrometheusRegistry registry) {
    return COUNTERS.computeIfAbsent(
        registry,
        r ->
            Counter.builder()
                .name(NAME)
                .help("LLM tokens by model and kind (input, output, cached), from responses")
                .labelNames("model", "kind")
                .register(r));
  }

  /** Adds one exchange's usage. */
  public static void record(Counter counter, TokenUsage usage) {
    counter.labelValues(usage.model(), "input").inc(usage.inputTokens());
    counter.labelValues(usage.model(), "output").inc(usage.outputTokens());
    counter.labelValues(usage.model(), "cached").inc(usage.cachedTokens());
  }
}
