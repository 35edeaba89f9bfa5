package io.payloadprocessor.modules.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.modules.common.TextSlot.Kind;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Finds the human-readable text in AI API bodies: OpenAI chat completions, completions, Responses
 * API and embeddings, and Anthropic Messages, requests and responses. Bodies of any other shape
 * yield every string value they hold, so that a guard never skips text just because it does not
 * know the API. The slots point into the tree given, so a guard that wants to rewrite text passes a
 * copy it owns ({@code json.deepCopy()}) and returns that copy.
 */
public final class AiBodies {
  private AiBodies() {}

  /** The text of a request body: system/developer prompts, messages, tool results, tool calls. */
  public static List<TextSlot> requestSlots(JsonNode root) {
    List<TextSlot> out = new ArrayList<>();
    if (!(root instanceof ObjectNode)) {
      allStrings(root, TextSlot.USER, out);
      return out;
    }
    ObjectNode obj = (ObjectNode) root;
    boolean known = false;
    if (obj.get("messages") instanceof ArrayNode) {
      known = true;
      // Anthropic's top-level system prompt: a string or text blocks.
      contentValue(obj, "system", TextSlot.SYSTEM, -1, out);
      ArrayNode messages = (ArrayNode) obj.get("messages");
      for (int i = 0; i < messages.size(); i++) {
        if (messages.get(i) instanceof ObjectNode) {
          message((ObjectNode) messages.get(i), i, out);
        }
      }
    }
    if (obj.has("prompt")) {
      known = true; // completions
      contentValue(obj, "prompt", TextSlot.USER, 0, out);
      contentValue(obj, "suffix", TextSlot.USER, 0, out);
    }
    if (obj.has("input")) {
      known = true; // Responses API (and embeddings, moderations)
      contentValue(obj, "instructions", TextSlot.SYSTEM, -1, out);
      JsonNode input = obj.get("input");
      if (input instanceof ArrayNode) {
        ArrayNode items = (ArrayNode) input;
        for (int i = 0; i < items.size(); i++) {
          JsonNode item = items.get(i);
          if (item instanceof ObjectNode) {
            responsesItem((ObjectNode) item, i, TextSlot.USER, out);
          } else if (item.isTextual()) {
            out.add(TextSlot.ofElement(TextSlot.USER, Kind.CONTENT, i, "", items, i));
          }
        }
      } else {
        contentValue(obj, "input", TextSlot.USER, 0, out);
      }
    }
    if (!known) {
      allStrings(root, TextSlot.USER, out);
    }
    return out;
  }

  /** The text of a (non-streamed) response body: the completion text and tool calls. */
  public static List<TextSlot> responseSlots(JsonNode root) {
    List<TextSlot> out = new ArrayList<>();
    if (!(root instanceof ObjectNode)) {
      allStrings(root, TextSlot.ASSISTANT, out);
      return out;
    }
    ObjectNode obj = (ObjectNode) root;
    if (obj.get("choices") instanceof ArrayNode) {
      ArrayNode choices = (ArrayNode) obj.get("choices");
      for (int i = 0; i < choices.size(); i++) {
        if (!(choices.get(i) instanceof ObjectNode)) {
          continue;
        }
        ObjectNode choice = (ObjectNode) choices.get(i);
        if (choice.get("message") instanceof ObjectNode) {
          ObjectNode msg = (ObjectNode) choice.get("message");
          contentValue(msg, "content", TextSlot.ASSISTANT, i, out);
          contentValue(msg, "refusal", TextSlot.ASSISTANT, i, out);
          toolCalls(msg, i, out);
        }
        contentValue(choice, "text", TextSlot.ASSISTANT, i, out); // completions
      }
      return out;
    }
    if (obj.get("output") instanceof ArrayNode) {
      ArrayNode items = (ArrayNode) obj.get("output");
      for (int i = 0; i < items.size(); i++) {
        if (items.get(i) instanceof ObjectNode) {
          responsesItem((ObjectNode) items.get(i), i, TextSlot.ASSISTANT, out);
        }
      }
      return out;
    }
    if (obj.get("content") instanceof ArrayNode) {
      blocks((ArrayNode) obj.get("content"), TextSlot.ASSISTANT, 0, out); // Anthropic
      return out;
    }
    allStrings(root, TextSlot.ASSISTANT, out);
    return out;
  }

  /** Every string value in a tree (keys excluded), as content of {@code role}. */
  public static void allStrings(JsonNode node, String role, List<TextSlot> out) {
    if (node instanceof ObjectNode) {
      ObjectNode obj = (ObjectNode) node;
      Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
      List<String> names = new ArrayList<>();
      while (it.hasNext()) {
        names.add(it.next().getKey());
      }
      for (String name : names) {
        JsonNode v = obj.get(name);
        if (v.isTextual()) {
          out.add(TextSlot.ofField(role, Kind.CONTENT, 0, "", obj, name));
        } else {
          allStrings(v, role, out);
        }
      }
    } else if (node instanceof ArrayNode) {
      ArrayNode arr = (ArrayNode) node;
      for (int i = 0; i < arr.size(); i++) {
        if (arr.get(i).isTextual()) {
          out.add(TextSlot.ofElement(role, Kind.CONTENT, 0, "", arr, i));
        } else {
          allStrings(arr.get(i), role, out);
        }
      }
    }
  }

  /** Maps API role names onto the four guard roles. */
  public static String role(String apiRole) {
    if (apiRole == null) {
      return TextSlot.USER;
    }
    switch (apiRole) {
      case "system":
      case "developer":
        return TextSlot.SYSTEM;
      case "assistant":
      case "model":
        return TextSlot.ASSISTANT;
      case "tool":
      case "function":
        return TextSlot.TOOL;
      default:
        return TextSlot.USER;
    }
  }

  private static void message(ObjectNode msg, int index, List<TextSlot> out) {
    String role = role(msg.path("role").asText(null));
    contentValue(msg, "content", role, index, out);
    toolCalls(msg, index, out);
  }

  private static void toolCalls(ObjectNode msg, int index, List<TextSlot> out) {
    if (msg.get("tool_calls") instanceof ArrayNode) {
      for (JsonNode call : msg.get("tool_calls")) {
        arguments(call.get("function"), index, out);
      }
    }
    arguments(msg.get("function_call"), index, out); // the legacy single call
  }

  /** The {@code arguments} string of a function call, as a tool-arguments slot. */
  private static void arguments(JsonNode fn, int index, List<TextSlot> out) {
    if (fn instanceof ObjectNode && fn.path("arguments").isTextual()) {
      out.add(
          TextSlot.ofField(
              TextSlot.ASSISTANT, Kind.TOOL_ARGUMENTS, index, "", (ObjectNode) fn, "arguments"));
    }
  }

  /** {@code parent.field} as a string, or as content parts / blocks. */
  private static void contentValue(
      ObjectNode parent, String field, String role, int index, List<TextSlot> out) {
    JsonNode v = parent.get(field);
    if (v == null) {
      return;
    }
    if (v.isTextual()) {
      out.add(TextSlot.ofField(role, Kind.CONTENT, index, "", parent, field));
    } else if (v instanceof ArrayNode) {
      blocks((ArrayNode) v, role, index, out);
    }
  }

  /**
   * Content parts (OpenAI {@code {type:text,text}}, Responses {@code input_text/output_text}) and
   * Anthropic blocks ({@code text}, {@code tool_use.input}, {@code tool_result.content}); bare
   * strings in the array (completions prompt lists) count too.
   */
  private static void blocks(ArrayNode parts, String role, int index, List<TextSlot> out) {
    for (int p = 0; p < parts.size(); p++) {
      JsonNode part = parts.get(p);
      if (part.isTextual()) {
        out.add(TextSlot.ofElement(role, Kind.CONTENT, index, "", parts, p));
        continue;
      }
      if (!(part instanceof ObjectNode)) {
        continue;
      }
      ObjectNode block = (ObjectNode) part;
      String type = block.path("type").asText("");
      switch (type) {
        case "tool_use":
        case "server_tool_use":
          if (block.get("input") != null) {
            List<TextSlot> strings = new ArrayList<>();
            allStrings(block.get("input"), TextSlot.ASSISTANT, strings);
            for (TextSlot s : strings) {
              out.add(retype(s, TextSlot.ASSISTANT, Kind.TOOL_ARGUMENTS, index));
            }
          }
          break;
        case "tool_result":
          contentValue(block, "content", TextSlot.TOOL, index, out);
          break;
        default:
          if (block.path("text").isTextual()) {
            out.add(TextSlot.ofField(role, Kind.CONTENT, index, "", block, "text"));
          }
          if (block.path("refusal").isTextual()) {
            out.add(TextSlot.ofField(role, Kind.CONTENT, index, "", block, "refusal"));
          }
          break;
      }
    }
  }

  /** One item of a Responses API {@code input} or {@code output} list. */
  private static void responsesItem(
      ObjectNode item, int index, String defaultRole, List<TextSlot> out) {
    String type = item.path("type").asText("message");
    switch (type) {
      case "function_call":
      case "custom_tool_call":
        if (item.path("arguments").isTextual()) {
          out.add(
              TextSlot.ofField(
                  TextSlot.ASSISTANT, Kind.TOOL_ARGUMENTS, index, "", item, "arguments"));
        }
        if (item.path("input").isTextual()) {
          out.add(
              TextSlot.ofField(TextSlot.ASSISTANT, Kind.TOOL_ARGUMENTS, index, "", item, "input"));
        }
        break;
      case "function_call_output":
      case "custom_tool_call_output":
        contentValue(item, "output", TextSlot.TOOL, index, out);
        break;
      default:
        String role = item.has("role") ? role(item.path("role").asText(null)) : defaultRole;
        contentValue(item, "content", role, index, out);
        break;
    }
  }

  private static TextSlot retype(TextSlot s, String role, Kind kind, int index) {
    // allStrings built the slot; rebuild it with the tool-argument kind, same location.
    return s.withRole(role, kind, index);
  }
}
