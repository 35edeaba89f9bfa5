package io.payloadprocessor.modules.mcprouter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One JSON-RPC 2.0 message of an MCP request body: a request (has {@code id}), a notification (no
 * {@code id}) or something else (a response the client sends back, or junk), which the router
 * leaves to the server.
 */
public record JsonRpcMessage(String method, JsonNode id, JsonNode params) {

  /** Whether the message expects an answer. */
  public boolean isRequest() {
    return id != null;
  }

  /** {@code params.name} of {@code tools/call}, {@code params.uri} of {@code resources/read}... */
  public String param(String field) {
    JsonNode v = params == null ? null : params.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  /** The messages of a body: one object, or the elements of a batch array. */
  public static List<JsonRpcMessage> parse(JsonNode body) {
    List<JsonRpcMessage> out = new ArrayList<>();
    if (body.isArray()) {
      for (JsonNode e : body) {
        add(e, out);
      }
    } else {
      add(body, out);
    }
    return out;
  }

  private static void add(JsonNode node, List<JsonRpcMessage> out) {
    if (!node.isObject() || !node.path("method").isTextual()) {
      return;
    }
    out.add(new JsonRpcMessage(node.get("method").asText(), node.get("id"), node.get("params")));
  }
}
