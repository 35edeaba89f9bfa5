package io.payloadprocessor.server.batch;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.Direction;
import java.io.IOException;

/**
 * What a streaming scan finds in a line too large to parse into a tree: its {@code custom_id} and
 * the size of its body as written, without holding the body. The scan stops at the first error (a
 * truncated prefix, invalid JSON) and returns what it found before it.
 *
 * @param customId the top-level {@code custom_id} string, or null when not found
 * @param bodyBytes bytes the body object spans in the line ({@code body} for requests, {@code
 *     response.body} for results), or -1 when not found whole
 */
record Envelope(String customId, long bodyBytes) {
  static Envelope scan(byte[] line, Direction direction) {
    String[] customId = {null};
    long[] body = {-1};
    if (line == null) {
      return new Envelope(null, -1);
    }
    try (JsonParser p = HttpMessage.JSON.getFactory().createParser(line)) {
      if (p.nextToken() == JsonToken.START_OBJECT) {
        scanObject(p, direction == Direction.REQUEST ? 0 : 1, customId, body, true);
      }
    } catch (IOException | RuntimeException e) {
      // Truncated or invalid: keep what was found before the problem.
    }
    return new Envelope(customId[0], body[0]);
  }

  /**
   * Walks one object's fields; {@code depth} is how many levels below this one the body is (0: a
   * {@code body} field here; 1: under {@code response}).
   */
  private static void scanObject(
      JsonParser p, int depth, String[] customId, long[] body, boolean root) throws IOException {
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      if (root && name.equals("custom_id") && v == JsonToken.VALUE_STRING) {
        customId[0] = p.getText();
      } else if (depth == 0 && name.equals("body") && v == JsonToken.START_OBJECT) {
        long start = p.currentTokenLocation().getByteOffset();
        p.skipChildren();
        body[0] = p.currentLocation().getByteOffset() - start;
      } else if (depth == 1 && name.equals("response") && v == JsonToken.START_OBJECT) {
        scanObject(p, 0, customId, body, false);
      } else {
        p.skipChildren();
      }
    }
  }
}
