package io.payloadprocessor.modules.mcprouter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Removes the tools a {@link ToolPolicy} does not allow from {@code tools/list} results: JSON-RPC
 * responses (single or batched) whose {@code id} is one of the {@code tools/list} requests of the
 * exchange. Ids compare by their JSON text, so {@code 1} and {@code "1"} stay different, as
 * JSON-RPC says.
 */
public final class ToolsListFilter {
  private final ToolPolicy policy;
  private final Set<String> ids;

  public ToolsListFilter(ToolPolicy policy, Set<String> ids) {
    this.policy = policy;
    this.ids = ids;
  }

  /** The filtered message or batch, or null when nothing had to change. */
  public JsonNode filter(JsonNode body) {
    if (body.isArray()) {
      ArrayNode copy = null;
      for (int i = 0; i < body.size(); i++) {
        ObjectNode f = filterOne(body.get(i));
        if (f != null) {
          if (copy == null) {
            copy = ((ArrayNode) body).deepCopy();
          }
          copy.set(i, f);
        }
      }
      return copy;
    }
    return filterOne(body);
  }

  private ObjectNode filterOne(JsonNode message) {
    if (!message.isObject()) {
      return null;
    }
    JsonNode id = message.get("id");
    JsonNode tools = message.path("result").path("tools");
    if (id == null || !ids.contains(id.toString()) || !tools.isArray()) {
      return null;
    }
    ArrayNode kept = ((ArrayNode) tools).arrayNode();
    for (JsonNode tool : tools) {
      if (policy.allows(tool.path("name").isTextual() ? tool.get("name").asText() : null)) {
        kept.add(tool);
      }
    }
    if (kept.size() == tools.size()) {
      return null;
    }
    ObjectNode copy = ((ObjectNode) message).deepCopy();
    ((ObjectNode) copy.get("result")).set("tools", kept);
    return copy;
  }

  /** The event with its JSON-RPC data filtered, or the same event. */
  public SseEvent filter(SseEvent event) {
    String data = event.data();
    if (data.isEmpty() || (data.charAt(0) != '{' && data.charAt(0) != '[')) {
      return event;
    }
    try {
      JsonNode filtered = filter(HttpMessage.parseJson(data.getBytes(StandardCharsets.UTF_8)));
      return filtered == null ? event : event.withData(filtered.toString());
    } catch (BodyException e) {
      return event; // not JSON-RPC: not a tools/list result either
    }
  }
}
