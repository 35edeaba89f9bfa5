package io.payloadprocessor.modules.semanticcache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;

/**
 * Where a chat completion request lands in the cache. The <em>partition</em> holds everything that
 * changes the answer apart from the question: path, model, tenant, every message before the last
 * user message (system prompt and earlier turns), the non-text parts of the last message and the
 * sampling/format parameters in {@link #ANSWER_FIELDS}. Requests compare semantically only within
 * one partition. The <em>exact</em> key adds the text of the last user message, which is also the
 * {@code query} that is embedded. Fields such as {@code stream}, {@code stream_options} and {@code
 * user} do not change the answer and are left out, so a streamed request can hit an answer stored
 * from a non-streamed one.
 */
public record CacheKey(String partition, String exact, String query) {

  /** Request fields that change the answer (besides model and messages). */
  public static final List<String> ANSWER_FIELDS =
      List.of(
          "temperature",
          "top_p",
          "response_format",
          "tools",
          "tool_choice",
          "parallel_tool_calls",
          "functions",
          "function_call",
          "max_tokens",
          "max_completion_tokens",
          "n",
          "seed",
          "stop",
          "presence_penalty",
          "frequency_penalty",
          "logit_bias",
          "logprobs",
          "top_logprobs",
          "reasoning_effort",
          "modalities",
          "audio",
          "prediction");

  /**
   * The key of a chat completion request, or null when the request is not cacheable: not an OpenAI
   * chat body, last message not from the user, or more than one choice asked for.
   */
  public static CacheKey of(String path, String tenant, JsonNode body) {
    if (body == null || !body.isObject()) {
      return null;
    }
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      return null;
    }
    JsonNode last = messages.get(messages.size() - 1);
    if (!last.isObject() || !"user".equals(last.path("role").asText())) {
      return null;
    }
    JsonNode n = body.get("n");
    if (n != null && !n.isNull() && n.asInt(1) != 1) {
      return null;
    }
    StringBuilder query = new StringBuilder();
    ArrayNode nonText = JsonNodeFactory.instance.arrayNode();
    JsonNode content = last.get("content");
    if (content != null && content.isTextual()) {
      query.append(content.asText());
    } else if (content != null && content.isArray()) {
      for (JsonNode part : content) {
        if ("text".equals(part.path("type").asText()) && part.path("text").isTextual()) {
          if (query.length() > 0) {
            query.append('\n');
          }
          query.append(part.get("text").asText());
        } else {
          nonText.add(part);
        }
      }
    } else {
      return null;
    }
    ObjectNode p = JsonNodeFactory.instance.objectNode();
    p.put("path", path == null ? "" : path);
    p.put("model", body.path("model").asText(""));
    p.put("tenant", tenant == null ? "" : tenant);
    ArrayNode prefix = p.putArray("prefix");
    for (int i = 0; i < messages.size() - 1; i++) {
      prefix.add(messages.get(i));
    }
    ObjectNode lastRest = ((ObjectNode) last).deepCopy();
    lastRest.remove("content");
    p.set("last", lastRest);
    p.set("nonText", nonText);
    ObjectNode params = p.putObject("params");
    for (String f : ANSWER_FIELDS) {
      JsonNode v = body.get(f);
      if (v != null && !v.isNull()) {
        params.set(f, v);
      }
    }
    String q = query.toString().strip();
    if (q.isEmpty() && nonText.isEmpty()) {
      return null; // an empty question: nothing worth caching
    }
    String partition = sha256(canonical(p));
    return new CacheKey(partition, sha256(partition + "\n" + q), q);
  }

  /** JSON with object keys sorted at every level, so that key order never changes the hash. */
  static String canonical(JsonNode node) {
    StringBuilder sb = new StringBuilder();
    writeCanonical(node, sb);
    return sb.toString();
  }

  private static void writeCanonical(JsonNode node, StringBuilder sb) {
    if (node.isObject()) {
      List<String> names = new ArrayList<>();
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        names.add(it.next());
      }
      Collections.sort(names);
      sb.append('{');
      for (int i = 0; i < names.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(JsonNodeFactory.instance.textNode(names.get(i)).toString()).append(':');
        writeCanonical(node.get(names.get(i)), sb);
      }
      sb.append('}');
    } else if (node.isArray()) {
      sb.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        writeCanonical(node.get(i), sb);
      }
      sb.append(']');
    } else if (node.isNumber()) {
      // 0.7 and 0.70 are the same temperature. Scientific notation, never the plain expansion:
      // 1e999999999 is 11 characters, not a billion.
      sb.append(canonicalNumber(node));
    } else {
      sb.append(node.toString());
    }
  }

  private static String canonicalNumber(JsonNode node) {
    if (node.isDouble() || node.isFloat()) {
      double d = node.doubleValue();
      if (!Double.isFinite(d)) {
        return Double.toString(d); // beyond a double's range when parsed as one
      }
    }
    return node.decimalValue().stripTrailingZeros().toString();
  }

  static String sha256(String s) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
