package io.payloadprocessor.modules.semanticrouter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The user's words in an LLM request body: OpenAI chat completions and Anthropic Messages ({@code
 * messages[]} with {@code role: user}), the OpenAI Responses API ({@code input}, a string or items)
 * and legacy completions ({@code prompt}). Content may be a string or a list of parts, of which the
 * text parts count.
 */
final class UserText {
  private UserText() {}

  /** Every user message's text, in order; empty if there is none. */
  static List<String> userMessages(JsonNode body) {
    List<String> out = new ArrayList<>();
    if (body == null || !body.isObject()) {
      return out;
    }
    JsonNode messages = body.get("messages");
    if (messages != null && messages.isArray()) {
      addUserItems(messages, out);
    }
    JsonNode input = body.get("input");
    if (input != null) {
      if (input.isTextual()) {
        addIfText(input.asText(), out);
      } else if (input.isArray()) {
        addUserItems(input, out);
      }
    }
    JsonNode prompt = body.get("prompt");
    if (prompt != null) {
      if (prompt.isTextual()) {
        addIfText(prompt.asText(), out);
      } else if (prompt.isArray()) {
        for (JsonNode p : prompt) {
          if (p.isTextual()) {
            addIfText(p.asText(), out);
          }
        }
      }
    }
    return out;
  }

  private static void addUserItems(JsonNode items, List<String> out) {
    for (JsonNode m : items) {
      if (m.isTextual()) {
        addIfText(m.asText(), out); // Responses API shorthand
      } else if (m.isObject() && "user".equals(m.path("role").asText())) {
        addIfText(contentText(m.get("content")), out);
      }
    }
  }

  private static String contentText(JsonNode content) {
    if (content == null) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    StringBuilder sb = new StringBuilder();
    if (content.isArray()) {
      for (JsonNode part : content) {
        JsonNode text = part.get("text");
        String type = part.path("type").asText("text");
        if (text != null
            && text.isTextual()
            && (type.equals("text") || type.equals("input_text"))) {
          if (sb.length() > 0) {
            sb.append('\n');
          }
          sb.append(text.asText());
        }
      }
    }
    return sb.toString();
  }

  private static void addIfText(String s, List<String> out) {
    if (!s.isBlank()) {
      out.add(s);
    }
  }
}
