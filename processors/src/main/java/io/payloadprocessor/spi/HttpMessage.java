package io.payloadprocessor.spi;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * A mutable HTTP message owned by the pipeline runner. Processors see it as a {@link MessageView};
 * only the runner applies mutations. Decoding and JSON parsing happen lazily, once per body.
 */
public final class HttpMessage implements MessageView {
  /** Deepest JSON nesting accepted; deeper bodies are rejected, not parsed. */
  public static final int MAX_JSON_DEPTH = 128;

  /** Largest body accepted after content-decoding (guards against decompression bombs). */
  public static final int MAX_DECODED_BYTES = 16 * 1024 * 1024;

  /**
   * The one JSON mapper: strict duplicate detection (two parsers could otherwise see two values),
   * bounded nesting, no trailing tokens.
   */
  public static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build();

  static {
    JSON.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(MAX_JSON_DEPTH)
                .maxStringLength(MAX_DECODED_BYTES)
                .build());
  }

  private Headers headers;
  private byte[] rawBody;
  private boolean hasBody;
  private byte[] decoded;
  private JsonNode json;
  private BodyException jsonError;
  private String text;

  public HttpMessage(Headers headers, byte[] body, boolean hasBody) {
    this.headers = headers;
    this.rawBody = body == null ? new byte[0] : body;
    this.hasBody = hasBody;
  }

  @Override
  public Headers headers() {
    return headers;
  }

  public void setHeaders(Headers headers) {
    this.headers = headers;
  }

  @Override
  public boolean hasBody() {
    return hasBody;
  }

  @Override
  public byte[] rawBody() {
    return rawBody;
  }

  /** Sets the body as it arrived (still content-encoded), dropping any parsed view of it. */
  public void replaceBodyFromWire(byte[] wire) {
    this.rawBody = wire;
    this.hasBody = true;
    this.decoded = null;
    this.json = null;
    this.jsonError = null;
    this.text = null;
  }

  /** Replaces the body with plain (unencoded) bytes; content-encoding is dropped. */
  public void replaceBody(byte[] body) {
    this.rawBody = body;
    this.hasBody = true;
    this.decoded = body;
    this.json = null;
    this.jsonError = null;
    this.text = null;
    headers.remove("content-encoding");
  }

  /** Replaces the body with a JSON tree (serialised once; the tree is kept for the next reader). */
  public void replaceJson(JsonNode tree) {
    try {
      replaceBody(JSON.writeValueAsBytes(tree));
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise JSON", e);
    }
    this.json = tree;
  }

  @Override
  public byte[] body() throws BodyException {
    if (decoded == null) {
      decoded = decode(rawBody, headers.get("content-encoding"));
    }
    return decoded;
  }

  @Override
  public JsonNode json() throws BodyException {
    if (json != null) {
      return json;
    }
    if (jsonError != null) {
      throw jsonError;
    }
    byte[] bytes = body();
    try {
      json = parseJson(bytes);
      return json;
    } catch (BodyException e) {
      jsonError = e;
      throw e;
    }
  }

  /** Parses one JSON value under the project's rules (see {@link #JSON}). */
  public static JsonNode parseJson(byte[] bytes) throws BodyException {
    if (bytes.length == 0) {
      throw new BodyException(
          400, "invalid_json", "request body is empty; a JSON object is required");
    }
    try (JsonParser parser = JSON.createParser(bytes)) {
      JsonNode node = JSON.readTree(parser);
      if (node == null) {
        throw new BodyException(400, "invalid_json", "body is not valid JSON: no value");
      }
      return node;
    } catch (StreamConstraintsException e) {
      throw new BodyException(
          400, "json_too_deep", "body exceeds JSON limits: " + JsonErrors.describe(e));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      String msg = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
      String reason = msg.startsWith("Duplicate field") ? "duplicate_json_key" : "invalid_json";
      if (msg.contains("Invalid UTF-8")) {
        reason = "invalid_utf8";
      }
      throw new BodyException(400, reason, "body is not valid JSON: " + JsonErrors.describe(e));
    } catch (IOException e) {
      throw new BodyException(400, "invalid_json", "body is not valid JSON", e);
    }
  }

  @Override
  public String text() throws BodyException {
    if (text == null) {
      text = utf8(body());
    }
    return text;
  }

  /** Strict UTF-8 decoding. */
  public static String utf8(byte[] bytes) throws BodyException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new BodyException(400, "invalid_utf8", "body is not valid UTF-8 text", e);
    }
  }

  @Override
  public String mediaType() {
    String ct = headers.get("content-type");
    if (ct == null) {
      return "";
    }
    int semi = ct.indexOf(';');
    return (semi < 0 ? ct : ct.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
  }

  /**
   * Removes a content-encoding. Unknown encodings and corrupt data are errors (415): a guard must
   * never pass bytes it could not read.
   */
  public static byte[] decode(byte[] raw, String contentEncoding) throws BodyException {
    if (contentEncoding == null || raw.length == 0) {
      return raw;
    }
    String enc = contentEncoding.trim().toLowerCase(Locale.ROOT);
    if (enc.isEmpty() || enc.equals("identity")) {
      return raw;
    }
    try {
      switch (enc) {
        case "gzip":
        case "x-gzip":
          return readBounded(new GZIPInputStream(new ByteArrayInputStream(raw)));
        case "deflate":
          return inflate(raw);
        default:
          throw new BodyException(
              415,
              "unsupported_content_encoding",
              "content-encoding '" + enc + "' cannot be decoded for inspection");
      }
    } catch (IOException e) {
      throw new BodyException(
          415, "undecodable_body", "body does not decode as content-encoding '" + enc + "'", e);
    }
  }

  private static byte[] inflate(byte[] raw) throws IOException {
    // HTTP "deflate" is zlib-wrapped (RFC 9110), but raw deflate is common in the wild.
    try {
      return readBounded(new InflaterInputStream(new ByteArrayInputStream(raw), new Inflater()));
    } catch (IOException zlibFailed) {
      return readBounded(
          new InflaterInputStream(new ByteArrayInputStream(raw), new Inflater(true)));
    }
  }

  private static byte[] readBounded(InputStream in) throws IOException {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        if (out.size() > MAX_DECODED_BYTES) {
          throw new IOException("decoded body exceeds " + MAX_DECODED_BYTES + " bytes");
        }
      }
      return out.toByteArray();
    }
  }
}
