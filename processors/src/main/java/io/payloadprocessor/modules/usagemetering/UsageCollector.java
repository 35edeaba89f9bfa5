package io.payloadprocessor.modules.usagemetering;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.spi.HttpMessage;
import io.payloadprocessor.spi.SseEvent;
import java.nio.charset.StandardCharsets;

/**
 * Picks token usage out of a streamed response, event by event: OpenAI chat completions (the last
 * chunk's {@code usage}, sent when the request had {@code stream_options.include_usage}), OpenAI
 * Responses ({@code response.completed} and friends carry {@code response.usage}) and Anthropic
 * Messages ({@code message_start.message.usage}, updated by each {@code message_delta.usage}).
 * Events that do not parse are ignored: metering never breaks a stream. One per exchange; not
 * thread-safe.
 */
final class UsageCollector {
  private String model;
  private JsonNode openAiUsage;
  private ObjectNode anthropicUsage;

  /** Looks at one event. */
  void accept(SseEvent event) {
    String data = event.data();
    // Only events that carry usage need a parse; the model is named in those same events.
    if (data.indexOf("\"usage\"") < 0) {
      return;
    }
    JsonNode root;
    try {
      root = HttpMessage.parseJson(data.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      return;
    }
    if (!root.isObject()) {
      return;
    }
    String type = root.path("type").asText("");
    switch (type) {
      case "message_start":
        {
          JsonNode message = root.path("message");
          setModel(message.get("model"));
          if (message.path("usage").isObject()) {
            anthropicUsage = ((ObjectNode) message.get("usage")).deepCopy();
          }
          return;
        }
      case "message_delta":
        if (root.path("usage").isObject()) {
          if (anthropicUsage == null) {
            anthropicUsage = ((ObjectNode) root.get("usage")).deepCopy();
          } else {
            // message_delta counts are cumulative: later values replace earlier ones.
            anthropicUsage.setAll((ObjectNode) root.get("usage"));
          }
        }
        return;
      default:
        break;
    }
    JsonNode response = root.get("response");
    if (response != null && response.isObject() && response.path("usage").isObject()) {
      setModel(response.get("model"));
      openAiUsage = response.get("usage");
      return;
    }
    setModel(root.get("model"));
    if (root.path("usage").isObject()) {
      openAiUsage = root.get("usage");
    }
  }

  /** Looks at a whole (non-streamed) JSON response body. */
  void acceptBody(JsonNode root) {
    if (root == null || !root.isObject()) {
      return;
    }
    setModel(root.get("model"));
    if (root.path("usage").isObject()) {
      openAiUsage = root.get("usage");
    }
  }

  /** The usage seen so far, or null. */
  TokenUsage result() {
    JsonNode usage = openAiUsage != null ? openAiUsage : anthropicUsage;
    return TokenUsage.fromUsage(usage, model);
  }

  private void setModel(JsonNode m) {
    if (m != null && m.isTextual() && !m.asText().isEmpty()) {
      model = m.asText();
    }
  }
}
