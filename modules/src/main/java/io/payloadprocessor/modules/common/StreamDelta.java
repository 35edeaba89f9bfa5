package io.payloadprocessor.modules.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.modules.common.TextSlot.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * One piece of streamed text inside a server-sent event: OpenAI chat-completion chunks ({@code
 * choices[i].delta.content}, {@code delta.tool_calls[j].function.arguments}), completion chunks
 * ({@code choices[i].text}), Anthropic {@code content_block_delta} ({@code delta.text}, {@code
 * delta.partial_json}) and Responses API {@code response.*.delta} events. {@code last} is true when
 * the same event also ends that text (OpenAI {@code finish_reason}). Slots carry their JSON Pointer
 * in the event's data, so a stream guard rewrites a delta with {@link JsonSplicer} and leaves every
 * other byte of the event as the upstream sent it.
 */
public record StreamDelta(TextSlot slot, boolean last) {

  /** The deltas of one event's JSON; empty if none. */
  public static List<StreamDelta> of(JsonNode event) {
    List<StreamDelta> out = new ArrayList<>(1);
    if (!(event instanceof ObjectNode obj)) {
      return out;
    }

    String type = obj.path("type").asText("");
    if (obj.get("choices") instanceof ArrayNode) {
      ArrayNode choices = (ArrayNode) obj.get("choices");
      for (int i = 0; i < choices.size(); i++) {
        if (choices.get(i) instanceof ObjectNode) {
          choice((ObjectNode) choices.get(i), "/choices/" + i, out);
        }
      }
    } else if (type.equals("content_block_delta") && obj.get("delta") instanceof ObjectNode) {
      ObjectNode delta = (ObjectNode) obj.get("delta");
      String channel = "b" + obj.path("index").asInt();
      if (delta.path("text").isTextual()) {
        out.add(slot(Kind.CONTENT, channel, delta, "/delta", "text", false));
      } else if (delta.path("partial_json").isTextual()) {
        out.add(slot(Kind.TOOL_ARGUMENTS, channel, delta, "/delta", "partial_json", false));
      }
    } else if (type.startsWith("response.")
        && type.endsWith(".delta")
        && obj.path("delta").isTextual()) {
      Kind kind = type.contains("arguments") ? Kind.TOOL_ARGUMENTS : Kind.CONTENT;
      String channel =
          "r" + obj.path("output_index").asInt() + "/" + obj.path("content_index").asInt();
      out.add(slot(kind, channel, obj, "", "delta", false));
    }
    return out;
  }

  private static void choice(ObjectNode choice, String path, List<StreamDelta> out) {
    int index = choice.path("index").asInt();
    boolean last =
        !choice.path("finish_reason").isMissingNode() && !choice.get("finish_reason").isNull();
    String channel = "c" + index;
    if (choice.path("text").isTextual()) { // completions stream
      out.add(slot(Kind.CONTENT, channel, choice, path, "text", last));
    }
    if (!(choice.get("delta") instanceof ObjectNode)) {
      return;
    }
    ObjectNode delta = (ObjectNode) choice.get("delta");
    String at = path + "/delta";
    if (delta.path("content").isTextual()) {
      out.add(slot(Kind.CONTENT, channel, delta, at, "content", last));
    }
    if (delta.path("refusal").isTextual()) {
      out.add(slot(Kind.CONTENT, channel + "r", delta, at, "refusal", last));
    }
    if (delta.get("tool_calls") instanceof ArrayNode) {
      ArrayNode calls = (ArrayNode) delta.get("tool_calls");
      for (int c = 0; c < calls.size(); c++) {
        JsonNode fn = calls.get(c).get("function");
        if (fn instanceof ObjectNode objectNode && fn.path("arguments").isTextual()) {
          String ch = channel + "t" + calls.get(c).path("index").asInt();
          String fnPath = at + "/tool_calls/" + c + "/function";
          out.add(slot(Kind.TOOL_ARGUMENTS, ch, objectNode, fnPath, "arguments", last));
        }
      }
    }
  }

  private static StreamDelta slot(
      Kind kind, String channel, ObjectNode parent, String parentPath, String field, boolean last) {
    TextSlot s =
        TextSlot.at(
            TextSlot.ASSISTANT, kind, 0, parentPath + "/" + field, parent.get(field).asText());
    return new StreamDelta(s.withChannel(channel), last);
  }
}
