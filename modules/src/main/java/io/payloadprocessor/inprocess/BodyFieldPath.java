package io.payloadprocessor.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.InvalidPathException;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.PathNotFoundException;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;
import io.payloadprocessor.modules.bodyfieldtoheader.JsonFieldPath;
import java.util.List;

/**
 * A body field address ({@code setBodyFields[].path}, {@code removeBodyFields[]}) as a JSONPath,
 * parsed with Jayway JsonPath.
 *
 * <p>Definite paths (only property names and indexes, e.g. {@code $.stream_options.include_usage}
 * or {@code $.messages[0].content}) are applied by walking the tree: Jayway cannot create missing
 * parents, and {@code set} must create missing intermediate objects. Indefinite paths (wildcards,
 * filters, deep scan) are handed to Jayway and change only the fields that exist. Removing a field
 * that does not exist is a no-op.
 */
final class BodyFieldPath {
  private static final Configuration JAYWAY =
      Configuration.builder()
          .jsonProvider(new JacksonJsonNodeJsonProvider())
          .mappingProvider(new JacksonMappingProvider())
          .options(Option.SUPPRESS_EXCEPTIONS)
          .build();

  private final String source;
  private final JsonPath compiled;

  /** Segments of a definite path; null if indefinite. */
  private final List<JsonFieldPath.Segment> segments;

  private BodyFieldPath(String source, JsonPath compiled, List<JsonFieldPath.Segment> segments) {
    this.source = source;
    this.compiled = compiled;
    this.segments = segments;
  }

  /**
   * Parses a path.
   *
   * @throws IllegalArgumentException with a user-facing message if it is not a usable JSONPath
   */
  static BodyFieldPath parse(String path) {
    if (path == null || !path.startsWith("$")) {
      throw new IllegalArgumentException(
          "must be a JSONPath starting with '$', e.g. $.stream_options.include_usage");
    }
    if (!balanced(path)) {
      throw new IllegalArgumentException("not a valid JSONPath: unbalanced brackets");
    }
    JsonPath compiled;
    try {
      compiled = JsonPath.compile(path);
    } catch (InvalidPathException | StringIndexOutOfBoundsException e) {
      String detail = e.getMessage() == null ? "" : ": " + e.getMessage();
      throw new IllegalArgumentException("not a valid JSONPath" + detail, e);
    }
    if (!compiled.isDefinite()) {
      return new BodyFieldPath(path, compiled, null);
    }
    try {
      // Jayway's normal form of a definite path, e.g. $['a'][0]['b'], read back into segments.
      return new BodyFieldPath(
          path, compiled, JsonFieldPath.parseNormalized(compiled.getPath()).segments());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unsupported JSONPath: " + path, e);
    }
  }

  /**
   * Whether brackets and parentheses outside quotes pair up. Jayway accepts some truncated paths
   * (it reads {@code $.a[} as {@code $.a}); a typo must not silently address another field.
   */
  private static boolean balanced(String path) {
    int depth = 0;
    char quote = 0;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '[' || c == '(') {
        depth++;
      } else if (c == ']' || c == ')') {
        if (--depth < 0) {
          return false;
        }
      }
    }
    return depth == 0 && quote == 0;
  }

  String source() {
    return source;
  }

  boolean isRoot() {
    return segments != null && segments.isEmpty();
  }

  /**
   * Sets the field in {@code root} (mutated in place) and returns the new root (which differs only
   * for the path {@code $}).
   *
   * @throws IllegalStateException when the path crosses a value that is not an object or list
   */
  JsonNode set(JsonNode root, JsonNode value) {
    if (segments == null) {
      // JsonPath.set/delete directly: JsonContext's versions cast Jackson's result to List.
      try {
        compiled.set(root, value, JAYWAY);
      } catch (PathNotFoundException e) {
        // Nothing matched: an indefinite path sets only what exists.
      }
      return root;
    }
    if (segments.isEmpty()) {
      return value;
    }
    JsonNode current = root;
    StringBuilder at = new StringBuilder("$");
    for (int i = 0; i < segments.size(); i++) {
      JsonFieldPath.Segment seg = segments.get(i);
      boolean last = i == segments.size() - 1;
      if (!seg.isIndex()) {
        String name = seg.name();
        if (!current.isObject()) {
          throw new IllegalStateException("cannot set " + source + ": " + at + " is not an object");
        }
        ObjectNode obj = (ObjectNode) current;
        if (last) {
          obj.set(name, value);
          return root;
        }
        JsonNode child = obj.get(name);
        if (child == null || child.isNull()) {
          child = JsonNodeFactory.instance.objectNode();
          obj.set(name, child);
        }
        current = child;
        at.append('.').append(name);
      } else {
        int index = seg.index();
        if (!current.isArray()) {
          throw new IllegalStateException("cannot set " + source + ": " + at + " is not a list");
        }
        ArrayNode arr = (ArrayNode) current;
        int resolved = index < 0 ? arr.size() + index : index;
        if (resolved < 0 || resolved >= arr.size()) {
          throw new IllegalStateException(
              "cannot set " + source + ": index " + index + " is outside " + at);
        }
        if (last) {
          arr.set(resolved, value);
          return root;
        }
        current = arr.get(resolved);
        at.append('[').append(index).append(']');
      }
    }
    return root;
  }

  /** Removes the field from {@code root} (mutated in place); a missing field is a no-op. */
  void remove(JsonNode root) {
    if (segments == null) {
      try {
        compiled.delete(root, JAYWAY);
      } catch (PathNotFoundException e) {
        // Nothing to remove.
      }
      return;
    }
    JsonNode current = root;
    for (int i = 0; i < segments.size(); i++) {
      JsonFieldPath.Segment seg = segments.get(i);
      boolean last = i == segments.size() - 1;
      if (!seg.isIndex()) {
        if (!current.isObject()) {
          return;
        }
        if (last) {
          ((ObjectNode) current).remove(seg.name());
          return;
        }
        current = current.get(seg.name());
      } else {
        if (!current.isArray()) {
          return;
        }
        int index = seg.index();
        int resolved = index < 0 ? current.size() + index : index;
        if (resolved < 0 || resolved >= current.size()) {
          return;
        }
        if (last) {
          ((ArrayNode) current).remove(resolved);
          return;
        }
        current = current.get(resolved);
      }
      if (current == null) {
        return;
      }
    }
  }
}
