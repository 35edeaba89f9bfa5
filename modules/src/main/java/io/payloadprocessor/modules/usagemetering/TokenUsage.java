package io.payloadprocessor.modules.usagemetering;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token usage of one exchange, normalised to OpenAI's meaning, with only the parts the provider
 * reported: a part it did not report is absent, never zero.
 *
 * <ul>
 *   <li>{@code input}: every prompt token, cached ones included: OpenAI {@code prompt_tokens}
 *       (chat, completions, embeddings) or {@code input_tokens} (Responses); Anthropic {@code
 *       input_tokens + cache_read_input_tokens + cache_creation_input_tokens} (Anthropic's {@code
 *       input_tokens} excludes the cache).
 *   <li>{@code output}: {@code completion_tokens} or {@code output_tokens}.
 *   <li>{@code total}: {@code total_tokens}; when not reported, input + output if both are known.
 *   <li>{@code cached}: prompt tokens read from the provider's cache: {@code
 *       prompt_tokens_details.cached_tokens}, {@code input_tokens_details.cached_tokens} or {@code
 *       cache_read_input_tokens}.
 *   <li>{@code cache_creation}: Anthropic's {@code cache_creation_input_tokens} (cache writes).
 *   <li>{@code reasoning}: output tokens spent reasoning: {@code
 *       completion_tokens_details.reasoning_tokens} or {@code
 *       output_tokens_details.reasoning_tokens}.
 *   <li>{@code input_audio}, {@code output_audio}: {@code audio_tokens} of {@code
 *       prompt_tokens_details}/{@code input_tokens_details} and {@code
 *       completion_tokens_details}/{@code output_tokens_details}.
 * </ul>
 *
 * A count is a whole number from 0 to 2^53-1 (what a metadata number holds exactly); anything else
 * (negative, fractional, a string, null) counts as not reported.
 */
public final class TokenUsage {
  /** Longest model name taken from a body; a longer one counts as no model. */
  public static final int MAX_MODEL_CHARS = 256;

  private static final long MAX_COUNT = (1L << 53) - 1;

  /** One kind of token count: its dynamic-metadata key and its metric label. */
  public enum Kind {
    INPUT("input_tokens", "input"),
    OUTPUT("output_tokens", "output"),
    TOTAL("total_tokens", "total"),
    CACHED("cached_tokens", "cached"),
    CACHE_CREATION("cache_creation_tokens", "cache_creation"),
    REASONING("reasoning_tokens", "reasoning"),
    INPUT_AUDIO("input_audio_tokens", "input_audio"),
    OUTPUT_AUDIO("output_audio_tokens", "output_audio");

    private final String metadataKey;
    private final String label;

    Kind(String metadataKey, String label) {
      this.metadataKey = metadataKey;
      this.label = label;
    }

    public String metadataKey() {
      return metadataKey;
    }

    /** The value of the {@code kind} label of {@code payload_processor_tokens_total}. */
    public String label() {
      return label;
    }
  }

  private final Map<Kind, Long> counts;
  private final String model;

  private TokenUsage(Map<Kind, Long> counts, String model) {
    this.counts = Collections.unmodifiableMap(counts);
    this.model = model;
  }

  /** The counts reported (or derived, for the total), in {@link Kind} order. */
  public Map<Kind, Long> counts() {
    return counts;
  }

  /** The model the usage is for, or null when neither the response nor the request named one. */
  public String model() {
    return model;
  }

  /**
   * Reads a provider's {@code usage} object (OpenAI chat completions, completions, embeddings,
   * Responses; Anthropic Messages). Null when {@code usage} is not an object or reports no count at
   * all; a total alone is a usage.
   */
  public static TokenUsage fromUsage(JsonNode usage, String model) {
    if (usage == null || !usage.isObject()) {
      return null;
    }
    JsonNode promptDetails = usage.path("prompt_tokens_details");
    JsonNode inputDetails = usage.path("input_tokens_details");
    JsonNode completionDetails = usage.path("completion_tokens_details");
    JsonNode outputDetails = usage.path("output_tokens_details");
    Long cacheRead = count(usage, "cache_read_input_tokens");
    Long cacheCreation = count(usage, "cache_creation_input_tokens");
    Long input = count(usage, "prompt_tokens");
    if (input == null) {
      input = count(usage, "input_tokens");
      if (input != null) {
        input += orZero(cacheRead) + orZero(cacheCreation); // Anthropic's input excludes the cache
      }
    }
    Long output = first(count(usage, "completion_tokens"), count(usage, "output_tokens"));
    Long total = count(usage, "total_tokens");
    if (total == null && input != null && output != null) {
      total = input + output;
    }
    Map<Kind, Long> counts = new EnumMap<>(Kind.class);
    put(counts, Kind.INPUT, input);
    put(counts, Kind.OUTPUT, output);
    put(counts, Kind.TOTAL, total);
    put(
        counts,
        Kind.CACHED,
        first(
            count(promptDetails, "cached_tokens"),
            first(count(inputDetails, "cached_tokens"), cacheRead)));
    put(counts, Kind.CACHE_CREATION, cacheCreation);
    put(
        counts,
        Kind.REASONING,
        first(
            count(completionDetails, "reasoning_tokens"),
            count(outputDetails, "reasoning_tokens")));
    put(
        counts,
        Kind.INPUT_AUDIO,
        first(count(promptDetails, "audio_tokens"), count(inputDetails, "audio_tokens")));
    put(
        counts,
        Kind.OUTPUT_AUDIO,
        first(count(completionDetails, "audio_tokens"), count(outputDetails, "audio_tokens")));
    return counts.isEmpty() ? null : new TokenUsage(counts, model);
  }

  /**
   * A model name from a body: a non-empty string of at most {@link #MAX_MODEL_CHARS} characters
   * without control characters; null otherwise (it would be someone's label in a log or a rate
   * limit, so a hostile value is dropped rather than passed on).
   */
  public static String modelName(JsonNode node) {
    if (node == null || !node.isTextual()) {
      return null;
    }
    String name = node.asText();
    if (name.isEmpty() || name.length() > MAX_MODEL_CHARS) {
      return null;
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        return null;
      }
    }
    return name;
  }

  private static Long count(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isNumber()) {
      return null;
    }
    if (v.isIntegralNumber()) {
      return v.canConvertToLong() && v.longValue() >= 0 && v.longValue() <= MAX_COUNT
          ? v.longValue()
          : null;
    }
    double d = v.doubleValue();
    return d >= 0 && d <= MAX_COUNT && d == Math.rint(d) ? (long) d : null;
  }

  private static Long first(Long a, Long b) {
    return a != null ? a : b;
  }

  private static long orZero(Long v) {
    return v == null ? 0 : v;
  }

  private static void put(Map<Kind, Long> counts, Kind kind, Long value) {
    if (value != null) {
      counts.put(kind, value);
    }
  }

  /** The dynamic metadata value emitted under {@code usage}: the counts present, then the model. */
  public Map<String, Object> toMetadata() {
    Map<String, Object> md = new LinkedHashMap<>();
    counts.forEach((k, v) -> md.put(k.metadataKey(), v));
    if (model != null) {
      md.put("model", model);
    }
    return md;
  }
}
