package io.payloadprocessor.modules.common;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.MessageView;

/**
 * A message body as a guard reads it: a JSON tree, plain text, a server-sent-event stream, or bytes
 * no guard reads (images, audio). Reading always decodes the content-encoding first, so an
 * undecodable body fails (415) before anything can pass unscanned.
 */
public final class GuardBody {
  /** How the body is to be scanned. */
  public enum Form {
    EMPTY,
    JSON,
    TEXT,
    EVENT_STREAM,
    BINARY
  }

  private final Form form;
  private final JsonNode json;
  private final String text;

  private GuardBody(Form form, JsonNode json, String text) {
    this.form = form;
    this.json = json;
    this.text = text;
  }

  /**
   * Reads a body. JSON media types (and bodies without a media type that start like JSON) are
   * parsed strictly (duplicate keys, depth, UTF-8: 400); {@code text/*} and untyped bodies are
   * strict UTF-8 text; other media types are binary and not scanned.
   *
   * @throws BodyException as {@link MessageView#body()} and {@link MessageView#json()} do
   */
  public static GuardBody read(MessageView message) throws BodyException {
    byte[] body = message.body();
    if (body.length == 0) {
      return new GuardBody(Form.EMPTY, null, "");
    }
    String mt = message.mediaType();
    if (mt.equals("text/event-stream")) {
      return new GuardBody(Form.EVENT_STREAM, null, message.text());
    }
    if (isJson(mt) || (mt.isEmpty() && looksLikeJson(body))) {
      return new GuardBody(Form.JSON, message.json(), null);
    }
    if (mt.isEmpty() || mt.startsWith("text/") || mt.endsWith("ndjson")) {
      return new GuardBody(Form.TEXT, null, message.text());
    }
    return new GuardBody(Form.BINARY, null, null);
  }

  public Form form() {
    return form;
  }

  /** The parsed tree (shared, read-only: copy before changing), for {@link Form#JSON}. */
  public JsonNode json() {
    return json;
  }

  /** The text, for {@link Form#TEXT} and {@link Form#EVENT_STREAM}. */
  public String text() {
    return text;
  }

  static boolean isJson(String mediaType) {
    return mediaType.equals("application/json") || mediaType.endsWith("+json");
  }

  private static boolean looksLikeJson(byte[] body) {
    for (byte b : body) {
      if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
        continue;
      }
      return b == '{' || b == '[';
    }
    return false;
  }
}
