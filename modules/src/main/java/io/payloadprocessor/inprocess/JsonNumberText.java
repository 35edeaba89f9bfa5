package io.payloadprocessor.inprocess;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.payloadprocessor.runtime.HttpMessage;
import java.io.IOException;

/**
 * Finds the text of one number in a JSON document by its path (object keys and array indexes), by
 * streaming through the document with Jackson. A parsed tree keeps a number's value, not how it was
 * written ({@code 1e999999999} is an infinite double, {@code 1.50} is 1.5), and the header a number
 * is copied to must carry what the client wrote. Jackson bounds a number's text (1000 characters by
 * default), so the result is small whatever the number.
 */
final class JsonNumberText {
  private JsonNumberText() {}

  /** The number's text, or null if the path does not lead to a number. */
  static String find(byte[] json, Object[] path) {
    try (JsonParser p = HttpMessage.JSON.createParser(json)) {
      JsonToken t = p.nextToken();
      for (Object step : path) {
        if (step instanceof String key && t == JsonToken.START_OBJECT) {
          t = field(p, key);
        } else if (step instanceof Integer index && t == JsonToken.START_ARRAY) {
          t = element(p, index);
        } else {
          return null;
        }
        if (t == null) {
          return null;
        }
      }
      return t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT
          ? p.getText()
          : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** Moves to the value of {@code key} in the object just started; null if absent. */
  private static JsonToken field(JsonParser p, String key) throws IOException {
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (name.equals(key)) {
        return value;
      }
      p.skipChildren();
    }
    return null;
  }

  /** Moves to element {@code index} of the array just started; null if absent. */
  private static JsonToken element(JsonParser p, int index) throws IOException {
    int i = 0;
    for (JsonToken t = p.nextToken(); t != null && t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (i++ == index) {
        return t;
      }
      p.skipChildren();
    }
    return null;
  }
}
