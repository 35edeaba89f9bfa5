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
   * Reads a body. The content type is not a trust boundary: an upstream may parse any body as JSON,
   * so every body that starts like JSON (first non-blank byte an opening brace or bracket, after an
   * optional byte-order mark; UTF-16 and UTF-32 included) is read as JSON whatever its media type
   * says, and must parse strictly (duplicate keys, depth, UTF-8: 400), as JSON media types must.
   * Event streams are read as events; {@code text/*}, form, NDJSON and untyped bodies as strict
   * UTF-8 text; other bodies (images, audio) are binary and not scanned.
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
    boolean lines = mt.endsWith("ndjson") || mt.endsWith("jsonl") || mt.endsWith("json-seq");
    if (isJson(mt) || (!lines && looksLikeJson(body))) {
      return new GuardBody(Form.JSON, message.json(), null);
    }
    if (mt.isEmpty()
        || mt.startsWith("text/")
        || lines
        || mt.equals("application/x-www-form-urlencoded")) {
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

  /**
   * Whether the first significant byte opens a JSON object or array. Byte-order marks and zero
   * bytes are skipped, so UTF-16 and UTF-32 JSON (which Jackson, like most JSON parsers, detects
   * and reads) counts too.
   */
  static boolean looksLikeJson(byte[] body) {
    for (int i = 0; i < body.length && i < 4096; i++) {
      int b = body[i] & 0xff;
      if (b == ' ' || b == '\n' || b == '\r' || b == '\t' || b == 0 || b == 0xef || b == 0xbb
          || b == 0xbf || b == 0xfe || b == 0xff) {
        continue;
      }
      return b == '{' || b == '[';
    }
    return false;
  }
}
