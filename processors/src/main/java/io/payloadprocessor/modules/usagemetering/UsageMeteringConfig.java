package io.payloadprocessor.modules.usagemetering;

/**
 * Config of {@code usage-metering}.
 *
 * @param injectStreamUsage add {@code stream_options.include_usage: true} to streaming ({@code
 *     stream: true}) OpenAI completions requests, so that the last chunk carries usage (default
 *     false). The client then also receives that extra chunk, whose {@code choices} is empty.
 */
public record UsageMeteringConfig(Boolean injectStreamUsage) {
  public UsageMeteringConfig {
    injectStreamUsage = injectStreamUsage == null ? Boolean.FALSE : injectStreamUsage;
  }
}
