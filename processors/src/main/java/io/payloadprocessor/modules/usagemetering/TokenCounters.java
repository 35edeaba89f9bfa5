package io.payloadprocessor.modules.usagemetering;

import io.payloadprocessor.metrics.BoundedLabel;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
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

  /** Server option: the model names counted under their own name (comma-separated). */
  public static final String MODELS_OPTION = "metrics.models";

  /** Server option: without {@value #MODELS_OPTION}, how many distinct models are counted. */
  public static final String MAX_MODELS_OPTION = "metrics.max-models";

  /** Default of {@value #MAX_MODELS_OPTION}. */
  public static final int DEFAULT_MAX_MODELS = 20;

  private static final Map<PrometheusRegistry, Counter> COUNTERS = new WeakHashMap<>();
  private static final Map<Counter, BoundedLabel> MODELS = new WeakHashMap<>();

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

  /**
   * Bounds the {@code model} label of {@code counter}: the model names come from request bodies and
   * upstream answers, so past the configured names (or the first {@code max}) they count as {@code
   * other}.
   */
  public static synchronized void boundModels(Counter counter, List<String> models, int max) {
    MODELS.put(counter, new BoundedLabel(models, max));
  }

  private static synchronized BoundedLabel models(Counter counter) {
    return MODELS.computeIfAbsent(counter, c -> new BoundedLabel(List.of(), DEFAULT_MAX_MODELS));
  }

  /** Adds one exchange's usage. */
  public static void record(Counter counter, TokenUsage usage) {
    String model = models(counter).of(usage.model());
    counter.labelValues(model, "input").inc(usage.inputTokens());
    counter.labelValues(model, "output").inc(usage.outputTokens());
    counter.labelValues(model, "cached").inc(usage.cachedTokens());
  }
}
