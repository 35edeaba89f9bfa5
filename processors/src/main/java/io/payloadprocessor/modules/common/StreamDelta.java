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
 * the same event also ends that text (OpenAI {@code finish_reason}).
 */
public record StreamDelta(TextSlot slot, boolean last) {

  /** The deltas of one event's JSON (which the caller owns and may change); empty if none. */
  public static List<StreamDelta> of(JsonNode event) {
    List<StreamDelta> out = new ArrayList<>(1);
    if (!(event instanceof ObjectNode)) {
      return out;
    }
    ObjectNode obj = (ObjectNode) event;
    String type = obj.path("type").asText("");
    if (obj.get("choices") instanceof ArrayNode) {
      for (JsonNode c : obj.get("choices")) {
        if (c instanceof ObjectNode) {
          choice((ObjectNode) c, out);
        }
      }
    } else if (type.equals("content_block_delta") && obj.get("delta") instanceof ObjectNode) {
      ObjectNode delta = (ObjectNode) obj.get("delta");
      String channel = "b" + obj.path("index").asInt();
      if (delta.path("text").isTextual()) {
        out.add(slot(TextSlot.ASSISTANT, Kind.CONTENT, channel, delta, "text", false));
      } else if (delta.path("partial_json").isTextual()) {
        out.add(
            slot(TextSlot.ASSISTANT, Kind.TOOL_ARGUMENTS, channel, delta, "partial_json", false));
      }
    } else if (type.startsWith("response.")
        && type.endsWith(".delta")
        && obj.path("delta").isTextual()) {
      Kind kind = type.contains("arguments") ? Kind.TOOL_ARGUMENTS : Kind.CONTENT;
      String channel =
          "r" + obj.path("output_index").asInt() + "/" + obj.path("content_index").asInt();
      out.add(slot(TextSlot.ASSISTANT, kind, channel, obj, "delta", false));
    }
    return out;
  }

  private static void choice(ObjectNode choice, List<StreamDelta> out) {
    int index = choice.path("index").asInt();
    boolean last =
        !choice.path("finish_reason").isMissingNode() && !choice.get("finish_reason").isNull();
    String channel = "c" + index;
    if (choice.path("text").isTextual()) { // completions stream
      out.add(slot(TextSlot.ASSISTANT, Kind.CONTENT, channel, choice, "text", last));
    }
    if (!(choice.get("delta") instanceof ObjectNode)) {
      return;
    }
    ObjectNode delta = (ObjectNode) choice.get("delta");
    if (delta.path("content").isTextual()) {
      out.add(slot(TextSlot.ASSISTANT, Kind.CONTENT, channel, delta, "content", last));
    }
    if (delta.path("refusal").isTextual()) {
      out.add(slot(TextSlot.ASSISTANT, Kind.CONTENT, channel + "r", delta, "refusal", last));
    }
    if (delta.get("tool_calls") instanceof ArrayNode) {
      for (JsonNode call : delta.get("tool_calls")) {
        JsonNode fn = call.get("function");
        if (fn instanceof ObjectNode && fn.path("arguments").isTextual()) {
          String ch = channel + "t" + call.path("index").asInt();
          out.add(
              slot(
                  TextSlot.ASSISTANT, Kind.TOOL_ARGUMENTS, ch, (ObjectNode) fn, "arguments", last));
        }
      }
    }
  }

  private static StreamDelta slot(
      String role, Kind kind, String channel, ObjectNode parent, String field, boolean last) {
    return new StreamDelta(TextSlot.ofField(role, kind, 0, channel, parent, field), last);
  }
}
