package io.payloadprocessor.modules.usagemetering;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The {@code payload_processor_tokens_total{model, kind}} counter, one per registry: every
 * usage-metering processor (and every pipeline reload) shares it, because a registry refuses a
 * second collector with the same name. The {@code model} label takes only configured names and
 * prefixes, {@code other} and {@code unknown}; {@code kind} is a {@link TokenUsage.Kind} label.
 */
public final class TokenCounters {
  /** Metric name as exported (the client library adds {@code _total} to the base name). */
  public static final String NAME = "payload_processor_tokens_total";

  /** Label of a model not listed in {@code metricModels}. */
  public static final String OTHER_MODEL = "other";

  /** Label of a usage for which neither the response nor the request named a model. */
  public static final String UNKNOWN_MODEL = "unknown";

  private static final Map<PrometheusRegistry, Counter> COUNTERS = new WeakHashMap<>();

  private final Counter counter;
  private final Set<String> names;
  private final List<String> prefixes;

  /**
   * Counts into the shared counter of {@code registry} (registered on first use). {@code models}
   * are the label values allowed: a name is its own label; an entry ending in {@code *} is the
   * label of every model starting with what precedes it (the first such entry that matches).
   */
  public TokenCounters(PrometheusRegistry registry, List<String> models) {
    this.counter = shared(registry);
    Set<String> exact = new HashSet<>();
    List<String> starts = new ArrayList<>();
    for (String m : models) {
      if (m.endsWith("*")) {
        starts.add(m);
      } else {
        exact.add(m);
      }
    }
    this.names = Set.copyOf(exact);
    this.prefixes = List.copyOf(starts);
  }

  private static synchronized Counter shared(PrometheusRegistry registry) {
    return COUNTERS.computeIfAbsent(
        registry,
        r ->
            Counter.builder()
                .name(NAME)
                .help(
                    "LLM tokens from responses, by model (configured names, other, unknown) and"
                        + " kind (input, output, total, cached, cache_creation, reasoning,"
                        + " input_audio, output_audio)")
                .labelNames("model", "kind")
                .register(r));
  }

  /** The {@code model} label value for {@code model} (null: no model). */
  String label(String model) {
    if (model == null) {
      return UNKNOWN_MODEL;
    }
    if (names.contains(model)) {
      return model;
    }
    for (String p : prefixes) {
      if (model.startsWith(p.substring(0, p.length() - 1))) {
        return p;
      }
    }
    return OTHER_MODEL;
  }

  /** Adds one exchange's usage: each count it has, under its kind. */
  void record(TokenUsage usage) {
    String model = label(usage.model());
    usage.counts().forEach((kind, n) -> counter.labelValues(model, kind.label()).inc(n));
  }
}
