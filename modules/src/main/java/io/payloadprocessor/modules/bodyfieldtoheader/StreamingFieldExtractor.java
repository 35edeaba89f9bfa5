package io.payloadprocessor.modules.bodyfieldtoheader;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.JsonErrors;
import io.payloadprocessor.spi.BodyException;
import java.io.IOException;
import java.util.List;

/**
 * Finds one field of a JSON body with a streaming parser, without building a tree: the objects and
 * arrays off the path are skipped token by token ({@link JsonParser#skipChildren()}), so the cost
 * is one pass over the bytes and no allocation per skipped value.
 *
 * <p>The parser is the project's strict one ({@link HttpMessage#JSON}: duplicate keys are errors,
 * nesting is bounded). With {@link Scan#WHOLE} (the default) it reads to the end of the body after
 * the field is found, so a later duplicate of the field ({@code {"model":"a",...,"model":"b"}},
 * which another parser would read as "b") or trailing garbage is still a 400; {@link
 * Scan#UNTIL_FIELD} stops as soon as the field is read and so validates only the bytes before it.
 */
public final class StreamingFieldExtractor {
  /** How much of the body is read. */
  public enum Scan {
    WHOLE,
    UNTIL_FIELD
  }

  private final JsonFieldPath path;
  private final Scan scan;

  public StreamingFieldExtractor(JsonFieldPath path, Scan scan) {
    this.path = path;
    this.scan = scan;
  }

  /**
   * Extracts the field from decoded body bytes.
   *
   * @throws BodyException 400 when the bytes are not one valid JSON value (within what was read),
   *     have a duplicate key, or are nested too deep
   */
  public FieldValue extract(byte[] body) throws BodyException {
    if (body.length == 0) {
      throw new BodyException(
          400, "invalid_json", "request body is empty; a JSON object is required");
    }
    try (JsonParser p = HttpMessage.JSON.createParser(body)) {
      if (!p.isEnabled(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature())) {
        p.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
      }
      if (p.nextToken() == null) {
        throw new BodyException(400, "invalid_json", "body is not valid JSON: no value");
      }
      FieldValue found = walk(p, path.segments(), 0);
      if (scan == Scan.UNTIL_FIELD && !found.equals(FieldValue.MISSING)) {
        return found;
      }
      if (p.nextToken() != null) {
        throw new BodyException(
            400, "invalid_json", "body is not valid JSON: trailing content after the value");
      }
      return found;
    } catch (StreamConstraintsException e) {
      throw new BodyException(
          400, "json_too_deep", "body exceeds JSON limits: " + JsonErrors.describe(e));
    } catch (JsonProcessingException e) {
      String msg = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
      String reason = "invalid_json";
      if (msg.startsWith("Duplicate field")) {
        reason = "duplicate_json_key";
      } else if (msg.contains("Invalid UTF-8")) {
        reason = "invalid_utf8";
      }
      throw new BodyException(400, reason, "body is not valid JSON: " + JsonErrors.describe(e));
    } catch (IOException e) {
      throw new BodyException(400, "invalid_json", "body is not valid JSON", e);
    }
  }

  /**
   * The parser stands on the first token of a value at depth {@code i} of the path. Returns with
   * the parser on the last token of that value.
   */
  private FieldValue walk(JsonParser p, List<JsonFieldPath.Segment> segments, int i)
      throws IOException {
    JsonToken t = p.currentToken();
    if (i == segments.size()) {
      return valueAt(p, t);
    }
    JsonFieldPath.Segment seg = segments.get(i);
    FieldValue found = FieldValue.MISSING;
    if (t == JsonToken.START_OBJECT && !seg.isIndex()) {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        boolean match = found.equals(FieldValue.MISSING) && seg.name().equals(p.currentName());
        p.nextToken();
        if (match) {
          found = walk(p, segments, i + 1);
          if (scan == Scan.UNTIL_FIELD && !found.equals(FieldValue.MISSING)) {
            return found;
          }
        } else {
          p.skipChildren();
        }
      }
    } else if (t == JsonToken.START_ARRAY && seg.isIndex()) {
      int index = 0;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        if (index++ == seg.index()) {
          found = walk(p, segments, i + 1);
          if (scan == Scan.UNTIL_FIELD && !found.equals(FieldValue.MISSING)) {
            return found;
          }
        } else {
          p.skipChildren();
        }
      }
    } else {
      p.skipChildren();
    }
    return found;
  }

  private static FieldValue valueAt(JsonParser p, JsonToken t) throws IOException {
    return switch (t) {
      case VALUE_STRING -> FieldValue.scalar(p.getText());
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT ->
          // Exactly as written: converting would expand 1e999999999 into a billion digits, and any
          // other rendering could differ from what the upstream's parser reads.
          FieldValue.scalar(p.getText());
      case VALUE_TRUE -> FieldValue.scalar("true");
      case VALUE_FALSE -> FieldValue.scalar("false");
      case VALUE_NULL -> FieldValue.NULL;
      default -> {
        p.skipChildren();
        yield FieldValue.NON_SCALAR;
      }
    };
  }
}
