package io.payloadprocessor.runtime;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.Mutation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A mutable HTTP message owned by the pipeline runner. Processors see it as a {@link MessageView};
 * only the runner applies mutations. Decoding and JSON parsing happen lazily, once per body.
 */
public final class HttpMessage implements MessageView {
  /** Deepest JSON nesting accepted; deeper bodies are rejected, not parsed. */
  public static final int MAX_JSON_DEPTH = 128;

  /** Largest body accepted after content-decoding (guards against decompression bombs). */
  public static final int MAX_DECODED_BYTES = 16 * 1024 * 1024;

  /** Largest ratio of decoded to encoded size (JSON and text compress 3-20x; bombs ~1000x). */
  public static final int MAX_DECODE_RATIO = 100;

  /** Decoded size always allowed whatever the ratio (a small, very repetitive body is fine). */
  public static final int RATIO_FLOOR_BYTES = 1024 * 1024;

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

  /** Applies a processor's mutation (removes, then sets, then the body). */
  public void apply(Mutation mutation) {
    for (String name : mutation.removeHeaders()) {
      headers.remove(name);
    }
    mutation.setHeaders().forEach(headers::set);
    JsonNode tree = mutation.json();
    byte[] bytes = mutation.body();
    if (tree != null) {
      replaceJson(tree);
    } else if (bytes != null) {
      replaceBody(bytes);
    }
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
   * Removes a content-encoding. Unknown encodings, corrupt data and bytes after the end of the
   * compressed stream are errors (415): a guard must never pass bytes it could not read, and an
   * upstream that reads such a body differently (or not at all) must not see what the guards did
   * not. Inflating stops as soon as the output passes {@link #MAX_DECODED_BYTES} or {@link
   * #MAX_DECODE_RATIO} times the encoded size (whichever is lower, and never below {@link
   * #RATIO_FLOOR_BYTES}): 413, before a decompression bomb is inflated. The loop checks the
   * thread's interrupt flag, so a step past its deadline stops.
   */
  public static byte[] decode(byte[] raw, String contentEncoding) throws BodyException {
    if (contentEncoding == null || raw.length == 0) {
      return raw;
    }
    String enc = contentEncoding.trim().toLowerCase(Locale.ROOT);
    if (enc.isEmpty() || enc.equals("identity")) {
      return raw;
    }
    long limit =
        Math.min(
            MAX_DECODED_BYTES, Math.max(RATIO_FLOOR_BYTES, (long) raw.length * MAX_DECODE_RATIO));
    try {
      return switch (enc) {
        case "gzip", "x-gzip" -> gunzip(raw, (int) limit);
        case "deflate" -> inflateHttpDeflate(raw, (int) limit);
        default ->
            throw new BodyException(
                415,
                "unsupported_content_encoding",
                "content-encoding '" + enc + "' cannot be decoded for inspection");
      };
    } catch (DataFormatException | IOException e) {
      throw new BodyException(
          415, "undecodable_body", "body does not decode as content-encoding '" + enc + "'", e);
    }
  }

  /** Gzip (RFC 1952): one or more members, each with its CRC-32 and size checked, nothing after. */
  private static byte[] gunzip(byte[] raw, int limit)
      throws IOException, DataFormatException, BodyException {
    Output out = new Output(limit, raw.length);
    int pos = 0;
    do {
      pos = gzipHeader(raw, pos);
      Inflater inflater = new Inflater(true);
      try {
        int before = out.size;
        inflater.setInput(raw, pos, raw.length - pos);
        inflateAll(inflater, out);
        pos = raw.length - inflater.getRemaining();
        if (raw.length - pos < 8) {
          throw new IOException("gzip trailer missing");
        }
        CRC32 crc = new CRC32();
        crc.update(out.bytes, before, out.size - before);
        if ((int) crc.getValue() != le32(raw, pos) || out.size - before != le32(raw, pos + 4)) {
          throw new IOException("gzip checksum or size mismatch");
        }
        pos += 8;
      } finally {
        inflater.end();
      }
    } while (pos < raw.length); // the next bytes must be another member, or gzipHeader fails
    return out.toByteArray();
  }

  /** Skips a gzip member header at {@code pos}; the position of its deflate data. */
  private static int gzipHeader(byte[] raw, int pos) throws IOException {
    if (raw.length - pos < 10
        || (raw[pos] & 0xff) != 0x1f
        || (raw[pos + 1] & 0xff) != 0x8b
        || raw[pos + 2] != 8) {
      throw new IOException(pos == 0 ? "not gzip data" : "bytes after the end of the gzip data");
    }
    int flags = raw[pos + 3] & 0xff;
    if ((flags & 0xe0) != 0) {
      throw new IOException("reserved gzip flags set");
    }
    int p = pos + 10;
    if ((flags & 4) != 0) { // FEXTRA
      checkedIndex(raw, p + 2);
      p = checkedIndex(raw, p + 2 + ((raw[p] & 0xff) | (raw[p + 1] & 0xff) << 8));
    }
    for (int bit : new int[] {8, 16}) { // FNAME, FCOMMENT: zero-terminated
      if ((flags & bit) != 0) {
        while (checkedIndex(raw, p) < raw.length && raw[p] != 0) {
          p++;
        }
        p = checkedIndex(raw, p + 1);
      }
    }
    if ((flags & 2) != 0) { // FHCRC
      p = checkedIndex(raw, p + 2);
    }
    return p;
  }

  private static int checkedIndex(byte[] raw, int p) throws IOException {
    if (p > raw.length) {
      throw new IOException("gzip header truncated");
    }
    return p;
  }

  private static int le32(byte[] b, int p) {
    return (b[p] & 0xff)
        | (b[p + 1] & 0xff) << 8
        | (b[p + 2] & 0xff) << 16
        | (b[p + 3] & 0xff) << 24;
  }

  /**
   * HTTP "deflate" is zlib-wrapped (RFC 9110), but raw deflate is common in the wild: a body whose
   * first two bytes are a valid zlib header is read as zlib (Adler-32 checked), any other as raw
   * deflate. Either way nothing may follow the end of the stream.
   */
  private static byte[] inflateHttpDeflate(byte[] raw, int limit)
      throws IOException, DataFormatException, BodyException {
    boolean zlib =
        raw.length >= 2
            && (raw[0] & 0x0f) == 8
            && (((raw[0] & 0xff) << 8) | (raw[1] & 0xff)) % 31 == 0;
    Inflater inflater = new Inflater(!zlib);
    try {
      Output out = new Output(limit, raw.length);
      inflater.setInput(raw);
      inflateAll(inflater, out);
      if (inflater.getRemaining() > 0) {
        throw new IOException("bytes after the end of the deflate data");
      }
      return out.toByteArray();
    } finally {
      inflater.end();
    }
  }

  /** Inflates until the end of the stream, into {@code out} (which enforces the limits). */
  private static void inflateAll(Inflater inflater, Output out)
      throws IOException, DataFormatException, BodyException {
    byte[] buf = new byte[16384];
    int sinceCheck = 0;
    while (!inflater.finished()) {
      int n = inflater.inflate(buf);
      if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
        throw new IOException("compressed data ends before the end of its stream");
      }
      out.write(buf, n);
      sinceCheck += n;
      if (sinceCheck >= 65536) {
        sinceCheck = 0;
        if (Thread.currentThread().isInterrupted()) {
          throw new CancellationException("interrupted while decoding a body");
        }
      }
    }
  }

  /** Decoded bytes, refused (413) past the limit. */
  private static final class Output {
    final int limit;
    final int encoded;
    byte[] bytes = new byte[8192];
    int size;

    Output(int limit, int encoded) {
      this.limit = limit;
      this.encoded = encoded;
    }

    void write(byte[] buf, int n) throws BodyException {
      if ((long) size + n > limit) {
        throw new BodyException(
            413,
            "decoded_body_too_large",
            "body decodes to more than "
                + limit
                + " bytes (limits: "
                + MAX_DECODED_BYTES
                + " bytes, and "
                + MAX_DECODE_RATIO
                + " times the "
                + encoded
                + " encoded bytes)");
      }
      if (size + n > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.min(limit, Math.max(size + n, bytes.length * 2)));
      }
      System.arraycopy(buf, 0, bytes, size, n);
      size += n;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(bytes, size);
    }
  }
}
