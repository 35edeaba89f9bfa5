package io.payloadprocessor.modules.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.modules.common.TextSlot.Kind;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.BodyException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the human-readable text in AI API bodies: OpenAI chat completions, completions, Responses
 * API and embeddings, and Anthropic Messages, requests and responses. Bodies of any other shape
 * yield every string value they hold, so that a guard never skips text just because it does not
 * know the API. Every slot carries its JSON Pointer, so a guard changes text with {@link
 * JsonSplicer} (in the bytes the client sent), never by re-serialising a tree.
 */
public final class AiBodies {
  private AiBodies() {}

  /** The text of a request body: system/developer prompts, messages, tool results, tool calls. */
  public static List<TextSlot> requestSlots(JsonNode root) {
    List<TextSlot> out = new ArrayList<>();
    if (!(root instanceof ObjectNode obj)) {
      allStrings(root, "", TextSlot.USER, false, out);
      return out;
    }

    boolean known = false;
    if (obj.get("messages") instanceof ArrayNode) {
      known = true;
      // Anthropic's top-level system prompt: a string or text blocks.
      contentValue(obj, "", "system", TextSlot.SYSTEM, -1, out);
      ArrayNode messages = (ArrayNode) obj.get("messages");
      for (int i = 0; i < messages.size(); i++) {
        if (messages.get(i) instanceof ObjectNode) {
          message((ObjectNode) messages.get(i), "/messages/" + i, i, out);
        }
      }
    }
    if (obj.has("prompt")) {
      known = true; // completions
      contentValue(obj, "", "prompt", TextSlot.USER, 0, out);
      contentValue(obj, "", "suffix", TextSlot.USER, 0, out);
    }
    if (obj.has("input")) {
      known = true; // Responses API (and embeddings, moderations)
      contentValue(obj, "", "instructions", TextSlot.SYSTEM, -1, out);
      JsonNode input = obj.get("input");
      if (input instanceof ArrayNode items) {

        for (int i = 0; i < items.size(); i++) {
          JsonNode item = items.get(i);
          if (item instanceof ObjectNode objectNode) {
            responsesItem(objectNode, "/input/" + i, i, TextSlot.USER, out);
          } else if (item.isTextual()) {
            out.add(TextSlot.at(TextSlot.USER, Kind.CONTENT, i, "/input/" + i, item.asText()));
          }
        }
      } else {
        contentValue(obj, "", "input", TextSlot.USER, 0, out);
      }
    }
    if (!known) {
      allStrings(root, "", TextSlot.USER, false, out);
    }
    return out;
  }

  /** The text of a (non-streamed) response body: the completion text and tool calls. */
  public static List<TextSlot> responseSlots(JsonNode root) {
    List<TextSlot> out = new ArrayList<>();
    if (!(root instanceof ObjectNode obj)) {
      allStrings(root, "", TextSlot.ASSISTANT, false, out);
      return out;
    }

    if (obj.get("choices") instanceof ArrayNode) {
      ArrayNode choices = (ArrayNode) obj.get("choices");
      for (int i = 0; i < choices.size(); i++) {
        if (!(choices.get(i) instanceof ObjectNode)) {
          continue;
        }
        ObjectNode choice = (ObjectNode) choices.get(i);
        String at = "/choices/" + i;
        if (choice.get("message") instanceof ObjectNode) {
          ObjectNode msg = (ObjectNode) choice.get("message");
          contentValue(msg, at + "/message", "content", TextSlot.ASSISTANT, i, out);
          contentValue(msg, at + "/message", "refusal", TextSlot.ASSISTANT, i, out);
          toolCalls(msg, at + "/message", i, out);
        }
        contentValue(choice, at, "text", TextSlot.ASSISTANT, i, out); // completions
      }
      return out;
    }
    if (obj.get("output") instanceof ArrayNode) {
      ArrayNode items = (ArrayNode) obj.get("output");
      for (int i = 0; i < items.size(); i++) {
        if (items.get(i) instanceof ObjectNode) {
          responsesItem((ObjectNode) items.get(i), "/output/" + i, i, TextSlot.ASSISTANT, out);
        }
      }
      return out;
    }
    if (obj.get("content") instanceof ArrayNode) {
      blocks((ArrayNode) obj.get("content"), "/content", TextSlot.ASSISTANT, 0, out); // Anthropic
      return out;
    }
    allStrings(root, "", TextSlot.ASSISTANT, false, out);
    return out;
  }

  /**
   * Every string and integer value of a body: the slots of {@link #requestSlots} or {@link
   * #responseSlots}, then every other value, classified as {@link Kind#NAME} ({@code
   * messages[i].name}), {@link Kind#USER} (top-level {@code user}), {@link Kind#METADATA} (under
   * top-level {@code metadata}) or {@link Kind#OTHER}. Integers count because a value such as a
   * card number reaches the upstream just as well written as a JSON number.
   */
  public static List<TextSlot> everySlot(JsonNode root, boolean request) {
    List<TextSlot> out = request ? requestSlots(root) : responseSlots(root);
    Set<String> seen = new HashSet<>();
    for (TextSlot s : out) {
      seen.add(s.path());
    }
    String role = request ? TextSlot.USER : TextSlot.ASSISTANT;
    values(
        root,
        "",
        true,
        (path, node) -> {
          if (seen.contains(path)) {
            return;
          }
          Kind kind = classify(path);
          if (kind == Kind.NAME) {
            // The name of a message: that message's role and index.
            JsonNode msg = root.at(path.substring(0, path.length() - "/name".length()));
            int index = Integer.parseInt(path.split("/")[2]);
            String r = role(msg.path("role").asText(null));
            out.add(
                node.isTextual()
                    ? TextSlot.at(r, kind, index, path, node.asText())
                    : TextSlot.number(r, kind, index, path, node.asText()));
            return;
          }
          out.add(
              node.isTextual()
                  ? TextSlot.at(role, kind, 0, path, node.asText())
                  : TextSlot.number(role, kind, 0, path, node.asText()));
        });
    return out;
  }

  private static Kind classify(String path) {
    if (path.equals("/user")) {
      return Kind.USER;
    }
    if (path.startsWith("/metadata/")) {
      return Kind.METADATA;
    }
    if ((path.startsWith("/messages/") || path.startsWith("/input/")) && path.endsWith("/name")) {
      String[] parts = path.split("/");
      if (parts.length == 4 && parts[2].chars().allMatch(Character::isDigit)) {
        return Kind.NAME;
      }
    }
    return Kind.OTHER;
  }

  /**
   * Replaces each tool-argument slot whose text is a JSON object or array (what the tool decodes)
   * by the string values inside it, decoded, with {@link TextSlot#innerPath} set; and integers too
   * when {@code numbers}. Arguments that are not JSON (partial, or free text) stay as they are.
   */
  public static List<TextSlot> decodeToolArguments(List<TextSlot> slots, boolean numbers) {
    List<TextSlot> out = new ArrayList<>(slots.size());
    for (TextSlot s : slots) {
      JsonNode args = s.kind() == Kind.TOOL_ARGUMENTS ? parseDocument(s.text()) : null;
      if (args == null || s.innerPath() != null) {
        out.add(s);
        continue;
      }
      List<TextSlot> inner = new ArrayList<>();
      values(args, "", numbers, (p, n) -> inner.add(s.inner(p, n.isNumber(), n.asText())));
      out.addAll(inner);
    }
    return out;
  }

  /** A JSON object or array parsed strictly, or null if {@code text} is not one. */
  private static JsonNode parseDocument(String text) {
    int i = 0;
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    if (i == text.length() || (text.charAt(i) != '{' && text.charAt(i) != '[')) {
      return null;
    }
    try {
      return HttpMessage.parseJson(text.getBytes(StandardCharsets.UTF_8));
    } catch (BodyException e) {
      return null;
    }
  }

  private interface ValueSink {
    void accept(String pointer, JsonNode value);
  }

  private static void values(JsonNode node, String path, boolean numbers, ValueSink sink) {
    if (node instanceof ObjectNode) {
      Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        values(e.getValue(), path + "/" + pointerToken(e.getKey()), numbers, sink);
      }
    } else if (node instanceof ArrayNode) {
      for (int i = 0; i < node.size(); i++) {
        values(node.get(i), path + "/" + i, numbers, sink);
      }
    } else if (node.isTextual() || (numbers && node.isIntegralNumber())) {
      sink.accept(path, node);
    }
  }

  /** Every string value in a tree (keys excluded), as content of {@code role}. */
  private static void allStrings(
      JsonNode node, String path, String role, boolean toolArguments, List<TextSlot> out) {
    Kind kind = toolArguments ? Kind.TOOL_ARGUMENTS : Kind.CONTENT;
    values(node, path, false, (p, n) -> out.add(TextSlot.at(role, kind, 0, p, n.asText())));
  }

  /** A JSON Pointer reference token for an object key (RFC 6901 escaping). */
  public static String pointerToken(String key) {
    if (key.indexOf('~') < 0 && key.indexOf('/') < 0) {
      return key;
    }
    return key.replace("~", "~0").replace("/", "~1");
  }

  /** Maps API role names onto the four guard roles. */
  public static String role(String apiRole) {
    if (apiRole == null) {
      return TextSlot.USER;
    }
    return switch (apiRole) {
      case "system", "developer" -> TextSlot.SYSTEM;
      case "assistant", "model" -> TextSlot.ASSISTANT;
      case "tool", "function" -> TextSlot.TOOL;
      default -> TextSlot.USER;
    };
  }

  private static void message(ObjectNode msg, String path, int index, List<TextSlot> out) {
    String role = role(msg.path("role").asText(null));
    contentValue(msg, path, "content", role, index, out);
    toolCalls(msg, path, index, out);
  }

  private static void toolCalls(ObjectNode msg, String path, int index, List<TextSlot> out) {
    if (msg.get("tool_calls") instanceof ArrayNode) {
      ArrayNode calls = (ArrayNode) msg.get("tool_calls");
      for (int c = 0; c < calls.size(); c++) {
        arguments(
            calls.get(c).get("function"), path + "/tool_calls/" + c + "/function", index, out);
      }
    }
    arguments(msg.get("function_call"), path + "/function_call", index, out); // legacy single call
  }

  /** The {@code arguments} string of a function call, as a tool-arguments slot. */
  private static void arguments(JsonNode fn, String path, int index, List<TextSlot> out) {
    if (fn instanceof ObjectNode && fn.path("arguments").isTextual()) {
      out.add(
          TextSlot.at(
              TextSlot.ASSISTANT,
              Kind.TOOL_ARGUMENTS,
              index,
              path + "/arguments",
              fn.get("arguments").asText()));
    }
  }

  /** {@code parent.field} as a string, or as content parts / blocks. */
  private static void contentValue(
      ObjectNode parent,
      String parentPath,
      String field,
      String role,
      int index,
      List<TextSlot> out) {
    JsonNode v = parent.get(field);
    if (v == null) {
      return;
    }
    String path = parentPath + "/" + pointerToken(field);
    if (v.isTextual()) {
      out.add(TextSlot.at(role, Kind.CONTENT, index, path, v.asText()));
    } else if (v instanceof ArrayNode arrayNode) {
      blocks(arrayNode, path, role, index, out);
    }
  }

  /**
   * Content parts (OpenAI {@code {type:text,text}}, Responses {@code input_text/output_text}) and
   * Anthropic blocks ({@code text}, {@code tool_use.input}, {@code tool_result.content}); bare
   * strings in the array (completions prompt lists) count too. When a message has several text
   * parts, the model reads them as one text: they are marked as one {@link TextSlot#group}.
   */
  private static void blocks(
      ArrayNode parts, String path, String role, int index, List<TextSlot> out) {
    int first = out.size();
    for (int p = 0; p < parts.size(); p++) {
      JsonNode part = parts.get(p);
      String at = path + "/" + p;
      if (part.isTextual()) {
        out.add(TextSlot.at(role, Kind.CONTENT, index, at, part.asText()));
        continue;
      }
      if (!(part instanceof ObjectNode block)) {
        continue;
      }

      String type = block.path("type").asText("");
      switch (type) {
        case "tool_use", "server_tool_use" -> {
          if (block.get("input") != null) {
            List<TextSlot> strings = new ArrayList<>();
            allStrings(block.get("input"), at + "/input", TextSlot.ASSISTANT, true, strings);
            for (TextSlot s : strings) {
              out.add(s.withRole(TextSlot.ASSISTANT, Kind.TOOL_ARGUMENTS, index));
            }
          }
        }
        case "tool_result" -> contentValue(block, at, "content", TextSlot.TOOL, index, out);
        default -> {
          if (block.path("text").isTextual()) {
            out.add(
                TextSlot.at(role, Kind.CONTENT, index, at + "/text", block.get("text").asText()));
          }
          if (block.path("refusal").isTextual()) {
            out.add(
                TextSlot.at(
                    role, Kind.CONTENT, index, at + "/refusal", block.get("refusal").asText()));
          }
        }
      }
    }
    groupParts(out, first, path, role);
  }

  /** Marks the text parts of one content list of {@code role} as a group, if there are two. */
  private static void groupParts(List<TextSlot> out, int first, String path, String role) {
    int parts = 0;
    for (int i = first; i < out.size(); i++) {
      TextSlot s = out.get(i);
      if (s.kind() == Kind.CONTENT && s.role().equals(role) && s.group() == null) {
        parts++;
      }
    }
    if (parts < 2) {
      return;
    }
    for (int i = first; i < out.size(); i++) {
      TextSlot s = out.get(i);
      if (s.kind() == Kind.CONTENT && s.role().equals(role) && s.group() == null) {
        out.set(i, s.withGroup(path));
      }
    }
  }

  /** One item of a Responses API {@code input} or {@code output} list. */
  private static void responsesItem(
      ObjectNode item, String path, int index, String defaultRole, List<TextSlot> out) {
    String type = item.path("type").asText("message");
    switch (type) {
      case "function_call", "custom_tool_call" -> {
        for (String field : new String[] {"arguments", "input"}) {
          if (item.path(field).isTextual()) {
            out.add(
                TextSlot.at(
                    TextSlot.ASSISTANT,
                    Kind.TOOL_ARGUMENTS,
                    index,
                    path + "/" + field,
                    item.get(field).asText()));
          }
        }
      }
      case "function_call_output", "custom_tool_call_output" ->
          contentValue(item, path, "output", TextSlot.TOOL, index, out);
      default -> {
        String role = item.has("role") ? role(item.path("role").asText(null)) : defaultRole;
        contentValue(item, path, "content", role, index, out);
      }
    }
  }
}
