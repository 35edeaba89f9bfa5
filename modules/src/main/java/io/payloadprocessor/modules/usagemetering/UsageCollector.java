package io.payloadprocessor.modules.usagemetering;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Gathers token usage from a response: a whole JSON body, or a stream event by event. A {@code
 * usage} object is looked for at the top level (OpenAI chat, completions, embeddings and their
 * stream chunks; Anthropic {@code message_delta}), under {@code response} (OpenAI Responses: the
 * body's own, and the {@code response.completed}, {@code response.incomplete}, {@code
 * response.failed} events) and under {@code message} (Anthropic {@code message_start}). The fields
 * of every usage object seen are merged, later values replacing earlier ones, which is how
 * Anthropic's cumulative {@code message_delta} counts update {@code message_start}'s and how a last
 * OpenAI usage chunk wins. The model is the last valid {@code model} found in those same places.
 *
 * <p>Events whose data is not JSON are skipped (a {@code [DONE]}, a malformed line before the
 * usage): metering never breaks a stream. Only events with a {@code "usage"} object (or that
 * mention {@code "model"}, until a model is known) are parsed. One per exchange; not thread-safe.
 */
final class UsageCollector {
  private static final String[] CONTAINERS = {"response", "message"};

  private ObjectNode usage;
  private String model;

  /** Looks at one piece of a stream. */
  void accept(SseEvent event) {
    if (!event.isEvent()) {
      return;
    }
    String data = event.data();
    if (!hasUsageObject(data) && (model != null || data.indexOf("\"model\"") < 0)) {
      return;
    }
    JsonNode root;
    try {
      root = HttpMessage.parseJson(data.getBytes(StandardCharsets.UTF_8));
    } catch (BodyException e) {
      return;
    }
    accept(root);
  }

  /**
   * Whether {@code "usage"} is followed by an object somewhere in {@code data}: OpenAI sends {@code
   * "usage":null} in every chunk but the last, and those need no parse.
   */
  static boolean hasUsageObject(String data) {
    for (int i = data.indexOf("\"usage\""); i >= 0; i = data.indexOf("\"usage\"", i + 1)) {
      int j = i + 7;
      boolean colon = false;
      while (j < data.length()) {
        char c = data.charAt(j);
        if (c == ':' && !colon) {
          colon = true;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          break;
        }
        j++;
      }
      if (colon && j < data.length() && data.charAt(j) == '{') {
        return true;
      }
    }
    return false;
  }

  /** Looks at a JSON body, or the JSON of one event. */
  void accept(JsonNode root) {
    if (root == null || !root.isObject()) {
      return;
    }
    take(root);
    for (String name : CONTAINERS) {
      JsonNode inner = root.get(name);
      if (inner != null && inner.isObject()) {
        take(inner);
      }
    }
  }

  private void take(JsonNode node) {
    String m = TokenUsage.modelName(node.get("model"));
    if (m != null) {
      model = m;
    }
    JsonNode u = node.get("usage");
    if (u == null || !u.isObject()) {
      return;
    }
    if (usage == null) {
      usage = HttpMessage.JSON.createObjectNode();
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = u.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!f.getValue().isNull()) {
        usage.set(f.getKey(), f.getValue().deepCopy());
      }
    }
  }

  /**
   * The usage seen so far, or null if none: for the model the response named, else for {@code
   * requestModel} (asked only then; it may return null: no model).
   */
  TokenUsage result(Supplier<String> requestModel) {
    if (usage == null) {
      return null;
    }
    return TokenUsage.fromUsage(usage, model != null ? model : requestModel.get());
  }
}
