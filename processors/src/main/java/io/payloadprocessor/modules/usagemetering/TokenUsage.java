package io.payloadprocessor.modules.usagemetering;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token usage of one exchange, normalised to OpenAI's meaning: {@code inputTokens} counts every
 * prompt token including cached ones, {@code cachedTokens} the part read from the provider's prompt
 * cache, {@code totalTokens} input plus output unless the provider says otherwise.
 */
public record TokenUsage(
    String model, long inputTokens, long outputTokens, long totalTokens, long cachedTokens) {

  /** Model label used when neither the response nor the request names one. */
  public static final String UNKNOWN_MODEL = "unknown";

  /**
   * Reads a provider's {@code usage} object: OpenAI chat completions ({@code prompt_tokens}, {@code
   * completion_tokens}, {@code prompt_tokens_details.cached_tokens}), OpenAI Responses ({@code
   * input_tokens}, {@code output_tokens}, {@code total_tokens}, {@code
   * input_tokens_details.cached_tokens}) or Anthropic Messages ({@code input_tokens} without cache,
   * {@code cache_read_input_tokens}, {@code cache_creation_input_tokens}, {@code output_tokens}).
   * Returns null when {@code usage} is not a usage object.
   */
  public static TokenUsage fromUsage(JsonNode usage, String model) {
    if (usage == null || !usage.isObject()) {
      return null;
    }
    String m = model == null || model.isEmpty() ? UNKNOWN_MODEL : model;
    if (usage.has("prompt_tokens") || usage.has("completion_tokens")) {
      long in = count(usage, "prompt_tokens");
      long out = count(usage, "completion_tokens");
      long total = usage.has("total_tokens") ? count(usage, "total_tokens") : in + out;
      return new TokenUsage(
          m, in, out, total, count(usage.path("prompt_tokens_details"), "cached_tokens"));
    }
    if (!usage.has("input_tokens") && !usage.has("output_tokens")) {
      return null;
    }
    if (usage.has("total_tokens") || usage.has("input_tokens_details")) {
      long in = count(usage, "input_tokens");
      long out = count(usage, "output_tokens");
      long total = usage.has("total_tokens") ? count(usage, "total_tokens") : in + out;
      return new TokenUsage(
          m, in, out, total, count(usage.path("input_tokens_details"), "cached_tokens"));
    }
    long cacheRead = count(usage, "cache_read_input_tokens");
    long in =
        count(usage, "input_tokens") + cacheRead + count(usage, "cache_creation_input_tokens");
    long out = count(usage, "output_tokens");
    return new TokenUsage(m, in, out, in + out, cacheRead);
  }

  private static long count(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && v.canConvertToLong() && v.asLong() > 0 ? v.asLong() : 0;
  }

  /** The dynamic metadata value emitted under {@code usage}. */
  public Map<String, Object> toMetadata() {
    Map<String, Object> md = new LinkedHashMap<>();
    md.put("input_tokens", inputTokens);
    md.put("output_tokens", outputTokens);
    md.put("total_tokens", totalTokens);
    md.put("cached_tokens", cachedTokens);
    md.put("model", model);
    return md;
  }
}
