package io.payloadprocessor.modules.usagemetering;

import java.util.List;

/**
 * Config of {@code usage-metering}.
 *
 * @param injectStreamUsage add {@code stream_options.include_usage: true} to streaming ({@code
 *     stream: true}) OpenAI completions requests, so that the last chunk carries usage (default
 *     false). The client then also receives that extra chunk, whose {@code choices} is empty.
 * @param metricModels the label values {@code model} may take in {@code
 *     payload_processor_tokens_total}: a model name is counted under itself; an entry ending in
 *     {@code *} (e.g. {@code gpt-4o-mini*}) under that entry for every model starting with what
 *     precedes the {@code *} (the first matching entry, in order); every other model under {@code
 *     other}, and a usage without a model under {@code unknown}. So the metric's size stays bounded
 *     whatever names clients and upstreams send. Default: none. Dynamic metadata always has the
 *     real name.
 */
public record UsageMeteringConfig(Boolean injectStreamUsage, List<String> metricModels) {
  /** Most names {@code metricModels} may list. */
  public static final int MAX_METRIC_MODELS = 200;

  public UsageMeteringConfig {
    injectStreamUsage = injectStreamUsage == null ? Boolean.FALSE : injectStreamUsage;
    metricModels = metricModels == null ? List.of() : metricModels;
  }
}
