package io.payloadprocessor.modules.common;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * One piece of text inside an AI request or response body (a message content, a content part, a
 * tool-call's arguments), with who wrote it and where it lives, so that a guard can read it and,
 * when it works on a copy of the tree, replace it in place.
 */
public final class TextSlot {
  /** What the text is. */
  public enum Kind {
    /** Message content written by a role (prompt, completion, tool result). */
    CONTENT,
    /** Arguments of a tool/function call (a JSON string, or a string inside tool input). */
    TOOL_ARGUMENTS
  }

  /** Roles as guards see them, whatever the API calls them. */
  public static final String SYSTEM = "system";

  public static final String USER = "user";
  public static final String ASSISTANT = "assistant";
  public static final String TOOL = "tool";

  private final String role;
  private final Kind kind;
  private final int messageIndex;
  private final String channel;
  private final ObjectNode parentObject;
  private final String field;
  private final ArrayNode parentArray;
  private final int index;
  private String text;

  private TextSlot(
      String role,
      Kind kind,
      int messageIndex,
      String channel,
      ObjectNode parentObject,
      String field,
      ArrayNode parentArray,
      int index,
      String text) {
    this.role = role;
    this.kind = kind;
    this.messageIndex = messageIndex;
    this.channel = channel;
    this.parentObject = parentObject;
    this.field = field;
    this.parentArray = parentArray;
    this.index = index;
    this.text = text;
  }

  /** The text of {@code parent.field} (which must be a string). */
  public static TextSlot ofField(
      String role, Kind kind, int messageIndex, String channel, ObjectNode parent, String field) {
    return new TextSlot(
        role, kind, messageIndex, channel, parent, field, null, -1, parent.get(field).asText());
  }

  /** The text of {@code parent[index]} (which must be a string). */
  public static TextSlot ofElement(
      String role, Kind kind, int messageIndex, String channel, ArrayNode parent, int index) {
    return new TextSlot(
        role, kind, messageIndex, channel, null, null, parent, index, parent.get(index).asText());
  }

  /** Text that is not inside a JSON tree (a plain-text body); {@link #replace} only updates it. */
  public static TextSlot detached(String role, Kind kind, String text) {
    return new TextSlot(role, kind, 0, "", null, null, null, -1, text);
  }

  /** {@code system}, {@code user}, {@code assistant} or {@code tool}. */
  public String role() {
    return role;
  }

  public Kind kind() {
    return kind;
  }

  /** Position of the message this text belongs to (for "last user message" scopes). */
  public int messageIndex() {
    return messageIndex;
  }

  /**
   * For stream deltas: which logical text stream this piece continues (choice, content block, tool
   * call), so that text split across events is joined with its own kind. Empty otherwise.
   */
  public String channel() {
    return channel;
  }

  public String text() {
    return text;
  }

  /** Replaces the text, in the tree it was found in (callers work on a copy they own). */
  public void replace(String newText) {
    this.text = newText;
    if (parentObject != null) {
      parentObject.put(field, newText);
    } else if (parentArray != null) {
      parentArray.set(index, TextNode.valueOf(newText));
    }
  }

  /** The same location seen as another role/kind (e.g. strings inside Anthropic tool input). */
  TextSlot withRole(String newRole, Kind newKind, int newMessageIndex) {
    return new TextSlot(
        newRole, newKind, newMessageIndex, channel, parentObject, field, parentArray, index, text);
  }

  @Override
  public String toString() {
    // Never the text itself: slots end up in logs and assertion messages.
    return "TextSlot[" + role + "," + kind + ",#" + messageIndex + "]";
  }
}
