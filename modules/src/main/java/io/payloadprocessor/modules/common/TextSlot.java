package io.payloadprocessor.modules.common;

/**
 * One piece of text inside an AI request or response body (a message content, a content part, a
 * tool-call argument, a {@code user} or {@code metadata} value), decoded (JSON escapes resolved),
 * with who wrote it and where it lives. The location is a JSON Pointer into the body ({@link
 * #path}), plus a pointer inside the value when the value is itself a JSON document ({@link
 * #innerPath}: tool-call {@code arguments}); {@link JsonSplicer} uses it to change the text in the
 * body as the client wrote it, byte for byte everywhere else.
 */
public final class TextSlot {
  /** What the text is. */
  public enum Kind {
    /** Message content written by a role (prompt, completion, tool result). */
    CONTENT,
    /** Arguments of a tool/function call (a string value inside the arguments). */
    TOOL_ARGUMENTS,
    /** The {@code name} of a message (the participant's name). */
    NAME,
    /** The top-level {@code user} (end-user id). */
    USER,
    /** A value under the top-level {@code metadata}. */
    METADATA,
    /** Any other string (or integer) value of the body. */
    OTHER
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
  private final String path;
  private final String innerPath;
  private final boolean number;
  private final String group;
  private final String text;

  private TextSlot(
      String role,
      Kind kind,
      int messageIndex,
      String channel,
      String path,
      String innerPath,
      boolean number,
      String group,
      String text) {
    this.role = role;
    this.kind = kind;
    this.messageIndex = messageIndex;
    this.channel = channel;
    this.path = path;
    this.innerPath = innerPath;
    this.number = number;
    this.group = group;
    this.text = text;
  }

  /** The string value at JSON Pointer {@code path} of a body, decoded. */
  public static TextSlot at(String role, Kind kind, int messageIndex, String path, String text) {
    return new TextSlot(role, kind, messageIndex, "", path, null, false, null, text);
  }

  /** An integer value at {@code path}, as written (its digits). */
  public static TextSlot number(
      String role, Kind kind, int messageIndex, String path, String text) {
    return new TextSlot(role, kind, messageIndex, "", path, null, true, null, text);
  }

  /** Text that is not inside a JSON document (a plain-text body); it has no location. */
  public static TextSlot detached(String role, Kind kind, String text) {
    return new TextSlot(role, kind, 0, "", null, null, false, null, text);
  }

  /** A value inside this slot's text, which is a JSON document (tool-call arguments). */
  public TextSlot inner(String pointer, boolean isNumber, String value) {
    return new TextSlot(role, kind, messageIndex, channel, path, pointer, isNumber, group, value);
  }

  /** The same location as one delta of a stream channel. */
  public TextSlot withChannel(String newChannel) {
    return new TextSlot(role, kind, messageIndex, newChannel, path, innerPath, number, group, text);
  }

  /** The same location as one part of a multi-part message content (see {@link #group}). */
  public TextSlot withGroup(String newGroup) {
    return new TextSlot(role, kind, messageIndex, channel, path, innerPath, number, newGroup, text);
  }

  /** The same location seen as another role/kind (e.g. strings inside Anthropic tool input). */
  TextSlot withRole(String newRole, Kind newKind, int newMessageIndex) {
    return new TextSlot(
        newRole, newKind, newMessageIndex, channel, path, innerPath, number, group, text);
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

  /** JSON Pointer of the value in the body ({@code /messages/0/content}), or null if detached. */
  public String path() {
    return path;
  }

  /** JSON Pointer inside the value when the value is a JSON document, or null. */
  public String innerPath() {
    return innerPath;
  }

  /** Whether the value is a JSON integer (its text is the digits as written). */
  public boolean isNumber() {
    return number;
  }

  /**
   * The content-part list this text is one part of, when a message's content has several text parts
   * that the model reads joined (the parts of one list share this id, the list's JSON Pointer);
   * null otherwise.
   */
  public String group() {
    return group;
  }

  /** The decoded text. */
  public String text() {
    return text;
  }

  @Override
  public String toString() {
    // Never the text itself: slots end up in logs and assertion messages.
    return "TextSlot[" + role + "," + kind + ",#" + messageIndex + "," + path + "]";
  }
}
