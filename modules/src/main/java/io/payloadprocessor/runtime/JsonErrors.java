package io.payloadprocessor.runtime;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Locale;

/**
 * Describes a JSON parse error without repeating any of the input. Jackson's messages quote the
 * offending token ({@code Unrecognized token 'AKIAIOSFODNN7EXAMPLE'}), a duplicate key, or the
 * character found; a body may be a secret, and these messages reach the client's error, log lines
 * and metadata. Only Jackson's own wording up to its first quote, parenthesis or bracket is kept,
 * plus the line and column, which say where without saying what.
 */
public final class JsonErrors {
  private static final int MAX_KIND = 80;

  private JsonErrors() {}

  /**
   * E.g. {@code unrecognized token at line 1, column 21} for {@code Unrecognized token 'AKIA...':
   * was expecting ...}.
   */
  public static String describe(JsonProcessingException e) {
    String kind = kind(e.getOriginalMessage());
    JsonLocation loc = e.getLocation();
    if (loc == null || loc.getLineNr() < 1) {
      return kind;
    }
    return kind + " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
  }

  /** Jackson's wording before anything it quotes or appends, lower-cased. */
  static String kind(String message) {
    if (message == null || message.isBlank()) {
      return "syntax error";
    }
    int end = message.length();
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      if (c == '\'' || c == '"' || c == '(' || c == '[' || c == '\n' || c == '\r' || c == '`') {
        end = i;
        break;
      }
    }
    String kind = message.substring(0, Math.min(end, MAX_KIND)).strip();
    while (kind.endsWith(":") || kind.endsWith(",") || kind.endsWith(";")) {
      kind = kind.substring(0, kind.length() - 1).strip();
    }
    if (kind.isEmpty()) {
      return "syntax error";
    }
    return kind.substring(0, 1).toLowerCase(Locale.ROOT) + kind.substring(1);
  }
}
