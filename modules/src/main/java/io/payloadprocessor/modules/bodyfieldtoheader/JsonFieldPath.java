package io.payloadprocessor.modules.bodyfieldtoheader;

import java.util.ArrayList;
import java.util.List;

/**
 * A definite JSONPath (one value at most): {@code $}, then member names ({@code .name}, {@code
 * ['name']}, {@code ["name"]}) and array indexes ({@code [0]}). Wildcards, filters, slices and
 * recursive descent are refused: they select many values, and a header holds one.
 *
 * <p>Parsed by hand because the streaming extractor walks the path segment by segment as tokens go
 * by, and Jayway json-path exposes its compiled path only as an evaluator over a whole tree.
 */
public final class JsonFieldPath {
  /** One step: a member name, or an array index when {@code name} is null. */
  public record Segment(String name, int index) {
    boolean isIndex() {
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
   * Parses a path.
   *
   * @throws IllegalArgumentException with a message saying what is wrong
   */
  public static JsonFieldPath parse(String expression) {
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
        int close = expression.indexOf(']', i);
        if (close < 0) {
          throw new IllegalArgumentException("unclosed '[' at offset " + i);
        }
        String inner = expression.substring(i + 1, close).trim();
        if (inner.length() >= 2
            && (inner.charAt(0) == '\'' || inner.charAt(0) == '"')
            && inner.charAt(inner.length() - 1) == inner.charAt(0)) {
          segments.add(new Segment(inner.substring(1, inner.length() - 1), -1));
        } else if (!inner.isEmpty() && inner.chars().allMatch(Character::isDigit)) {
          try {
            segments.add(new Segment(null, Integer.parseInt(inner)));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("array index too large: " + inner, e);
          }
        } else {
          throw new IllegalArgumentException(
              "only quoted names and non-negative indexes are supported in brackets, got ["
                  + inner
                  + "]");
        }
        i = close + 1;
      } else {
        throw new IllegalArgumentException("unexpected '" + c + "' at offset " + i);
      }
    }
    if (segments.isEmpty()) {
      throw new IllegalArgumentException("the path must name a field, not the whole body");
    }
    return new JsonFieldPath(expression, segments);
  }

  public List<Segment> segments() {
    return segments;
  }

  @Override
  public String toString() {
    return expression;
  }
}
