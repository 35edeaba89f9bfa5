package io.payloadprocessor.modules.bodyfieldtoheader;

import java.util.ArrayList;
import java.util.List;

/**
 * A definite JSONPath (one value at most): {@code $}, then member names ({@code .name}, {@code
 * ['name']}, {@code ["name"]}) and array indexes ({@code [0]}). Wildcards, filters, slices and
 * recursive descent are refused: they select many values, and a header holds one.
 *
 * <p>Parsed by hand because the streaming extractor walks the path segment by segment as tokens go
 * by, and Jayway json-path exposes its compiled path only as an evaluator over a whole tree. The
 * CEL transform's body field paths, which Jayway compiles, are read back into segments here too
 * ({@link #parseNormalized}).
 */
public final class JsonFieldPath {
  /** One step: a member name, or an array index when {@code name} is null. */
  public record Segment(String name, int index) {
    public boolean isIndex() {
      return name == null;
    }
  }

  private final String expression;
  private final List<Segment> segments;

  private JsonFieldPath(String expression, List<Segment> segments) {
    this.expression = expression;
    this.segments = List.copyOf(segments);
  }

  /**
   * Parses a path that names one field (not the whole body) with non-negative indexes.
   *
   * @throws IllegalArgumentException with a message saying what is wrong
   */
  public static JsonFieldPath parse(String expression) {
    JsonFieldPath path = parse(expression, false);
    if (path.segments.isEmpty()) {
      throw new IllegalArgumentException("the path must name a field, not the whole body");
    }
    return path;
  }

  /**
   * Parses a definite path in Jayway's normal form ({@code $['a'][0][-1]}): the root alone and
   * indexes counted from the end (negative) are allowed.
   *
   * @throws IllegalArgumentException with a message saying what is wrong
   */
  public static JsonFieldPath parseNormalized(String expression) {
    return parse(expression, true);
  }

  private static JsonFieldPath parse(String expression, boolean negativeIndexes) {
    if (expression == null || !expression.startsWith("$")) {
      throw new IllegalArgumentException("a JSONPath must start with '$'");
    }
    List<Segment> segments = new ArrayList<>();
    int i = 1;
    int n = expression.length();
    while (i < n) {
      char c = expression.charAt(i);
      if (c == '.') {
        int start = ++i;
        if (i < n && expression.charAt(i) == '.') {
          throw new IllegalArgumentException("recursive descent '..' selects many values");
        }
        while (i < n && expression.charAt(i) != '.' && expression.charAt(i) != '[') {
          i++;
        }
        String name = expression.substring(start, i);
        if (name.isEmpty() || name.equals("*")) {
          throw new IllegalArgumentException("empty or wildcard member name at offset " + start);
        }
        segments.add(new Segment(name, -1));
      } else if (c == '[') {
        i = bracket(expression, i, negativeIndexes, segments);
      } else {
        throw new IllegalArgumentException("unexpected '" + c + "' at offset " + i);
      }
    }
    return new JsonFieldPath(expression, segments);
  }

  /** Reads the bracket at {@code open} into {@code segments}; returns the offset after it. */
  private static int bracket(
      String expression, int open, boolean negativeIndexes, List<Segment> segments) {
    int first = open + 1;
    if (first < expression.length()
        && (expression.charAt(first) == '\'' || expression.charAt(first) == '"')) {
      // A quoted name may hold ']' and '.': its end is the matching quote.
      int endQuote = expression.indexOf(expression.charAt(first), first + 1);
      if (endQuote > 0
          && endQuote + 1 < expression.length()
          && expression.charAt(endQuote + 1) == ']') {
        segments.add(new Segment(expression.substring(first + 1, endQuote), -1));
        return endQuote + 2;
      }
    }
    int close = expression.indexOf(']', open);
    if (close < 0) {
      throw new IllegalArgumentException("unclosed '[' at offset " + open);
    }
    String inner = expression.substring(first, close).trim();
    String digits = negativeIndexes && inner.startsWith("-") ? inner.substring(1) : inner;
    if (inner.length() >= 2
        && (inner.charAt(0) == '\'' || inner.charAt(0) == '"')
        && inner.charAt(inner.length() - 1) == inner.charAt(0)) {
      segments.add(new Segment(inner.substring(1, inner.length() - 1), -1)); // [ 'padded' ]
    } else if (!digits.isEmpty() && digits.chars().allMatch(Character::isDigit)) {
      try {
        segments.add(new Segment(null, Integer.parseInt(inner)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("array index too large: " + inner, e);
      }
    } else {
      throw new IllegalArgumentException(
          "only quoted names and "
              + (negativeIndexes ? "" : "non-negative ")
              + "indexes are supported in brackets, got ["
              + inner
              + "]");
    }
    return close + 1;
  }

  public List<Segment> segments() {
    return segments;
  }

  @Override
  public String toString() {
    return expression;
  }
}
