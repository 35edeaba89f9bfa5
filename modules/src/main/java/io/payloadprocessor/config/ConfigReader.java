package io.payloadprocessor.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a YAML/JSON config tree field by field and collects every problem with its field path,
 * instead of stopping at the first one. Jackson data binding stops at the first unknown or mistyped
 * field; users fixing a config want the whole list at once, which is why this walker exists.
 *
 * <p>Paths are written as {@code a.b[2].c}; {@link #field} and {@link #index} build them.
 */
public final class ConfigReader {
  private final List<ConfigProblem> problems = new ArrayList<>();

  /** Records a problem. */
  public void error(String field, String message) {
    problems.add(new ConfigProblem(field, message));
  }

  /** Records problems found by someone else (e.g. a module factory) under a path prefix. */
  public void addAll(String prefix, List<ConfigProblem> found) {
    for (ConfigProblem p : found) {
      error(field(prefix, p.field()), p.message());
    }
  }

  public List<ConfigProblem> problems() {
    return List.copyOf(problems);
  }

  public boolean hasProblems() {
    return !problems.isEmpty();
  }

  /** Number of problems so far; compare before/after reading a part to see if it was valid. */
  public int count() {
    return problems.size();
  }

  /** Throws a {@link ConfigException} with every problem, if there are any. */
  public void throwIfProblems() throws ConfigException {
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  /** {@code path.key}, or {@code key} at the root; keys that are not identifiers use brackets. */
  public static String field(String path, String key) {
    if (key.isEmpty()) {
      return path;
    }
    if (path.isEmpty()) {
      return key;
    }
    return key.startsWith("[") ? path + key : path + "." + key;
  }

  /** {@code path[i]}. */
  public static String index(String path, int i) {
    return path + "[" + i + "]";
  }

  /**
   * Reports every key of {@code node} that is not in {@code allowed}, suggesting the closest
   * allowed key (a typo'd {@code setHeader} must fail loudly, not be ignored).
   */
  public void checkFields(String path, JsonNode node, Set<String> allowed) {
    if (node == null || !node.isObject()) {
      return;
    }
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!allowed.contains(name)) {
        String hint = closest(name, allowed);
        error(
            field(path, name),
            "unknown field"
                + (hint == null ? "" : " (did you mean '" + hint + "'?)")
                + "; allowed: "
                + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
  }

  /** Whether {@code key} is present and not null. */
  public static boolean has(JsonNode parent, String key) {
    return parent != null && parent.has(key) && !parent.get(key).isNull();
  }

  /**
   * An object field; null (with a problem if required or mistyped) when absent or not an object.
   */
  public ObjectNode object(String path, JsonNode parent, String key, boolean required) {
    JsonNode v = present(path, parent, key, required);
    if (v == null) {
      return null;
    }
    if (!v.isObject()) {
      error(field(path, key), "must be an object, got " + describe(v));
      return null;
    }
    return (ObjectNode) v;
  }

  /** A list field; null when absent or not a list (a problem is recorded if required/mistyped). */
  public ArrayNode array(String path, JsonNode parent, String key, boolean required) {
    JsonNode v = present(path, parent, key, required);
    if (v == null) {
      return null;
    }
    if (!v.isArray()) {
      error(field(path, key), "must be a list, got " + describe(v));
      return null;
    }
    return (ArrayNode) v;
  }

  /**
   * A string field; null when absent or not a string (a problem is recorded if required/mistyped).
   */
  public String string(String path, JsonNode parent, String key, boolean required) {
    JsonNode v = present(path, parent, key, required);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      error(field(path, key), "must be a string, got " + describe(v));
      return null;
    }
    if (required && v.asText().isEmpty()) {
      error(field(path, key), "must not be empty");
      return null;
    }
    return v.asText();
  }

  /** An integer field; null when absent or not an integer. */
  public Long integer(String path, JsonNode parent, String key, boolean required) {
    JsonNode v = present(path, parent, key, required);
    if (v == null) {
      return null;
    }
    if (!v.canConvertToLong() || !v.isIntegralNumber()) {
      error(field(path, key), "must be an integer, got " + describe(v));
      return null;
    }
    return v.asLong();
  }

  private JsonNode present(String path, JsonNode parent, String key, boolean required) {
    if (!has(parent, key)) {
      if (required) {
        error(field(path, key), "required");
      }
      return null;
    }
    return parent.get(key);
  }

  /** A short description of a value for messages (type, never the value of long content). */
  public static String describe(JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      return "null";
    }
    if (v.isTextual()) {
      String s = v.asText();
      return "string '" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
    }
    if (v.isNumber()) {
      return "number " + v.asText();
    }
    if (v.isBoolean()) {
      return "boolean " + v.asText();
    }
    return v.isArray() ? "a list" : "an object";
  }

  /** The allowed name closest to {@code name} (edit distance <= 3, or case-insensitive equal). */
  static String closest(String name, Set<String> allowed) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : allowed) {
      int d =
          candidate.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))
              ? 0
              : distance(name, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return bestDistance <= Math.max(1, Math.min(3, name.length() / 3)) ? best : null;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
