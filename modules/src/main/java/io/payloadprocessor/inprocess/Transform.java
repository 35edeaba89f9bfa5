package io.payloadprocessor.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.payloadprocessor.config.ConfigReader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One direction ({@code request} or {@code response}) of an InProcess processor, compiled: header
 * sets and removes, body field sets and removes. Built by {@link #parse}, which reports every
 * problem of the block with its field path.
 */
final class Transform {
  /** Gateway API {@code HTTPHeaderName}: an RFC 7230 token. */
  static final Pattern HEADER_NAME = Pattern.compile("^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$");

  static final int MAX_HEADER_NAME_LENGTH = 256;

  /** Most entries in each list, as the CRD bounds them. */
  static final int MAX_ENTRIES = 16;

  static final Set<String> FIELDS =
      Set.of("setHeaders", "removeHeaders", "setBodyFields", "removeBodyFields");

  record HeaderSet(String name, CelEnvironment.Compiled value) {}

  /**
   * {@code value} is a compiled expression, or a literal JSON value when {@code literal != null}.
   */
  record BodyFieldSet(BodyFieldPath path, CelEnvironment.Compiled value, JsonNode literal) {}

  final List<HeaderSet> setHeaders;
  final List<String> removeHeaders;
  final List<BodyFieldSet> setBodyFields;
  final List<BodyFieldPath> removeBodyFields;
  final Set<String> reads;

  private Transform(
      List<HeaderSet> setHeaders,
      List<String> removeHeaders,
      List<BodyFieldSet> setBodyFields,
      List<BodyFieldPath> removeBodyFields) {
    this.setHeaders = List.copyOf(setHeaders);
    this.removeHeaders = List.copyOf(removeHeaders);
    this.setBodyFields = List.copyOf(setBodyFields);
    this.removeBodyFields = List.copyOf(removeBodyFields);
    Set<String> r = new HashSet<>();
    setHeaders.forEach(h -> r.addAll(h.value().reads()));
    setBodyFields.forEach(b -> r.addAll(b.value() == null ? Set.of() : b.value().reads()));
    this.reads = Set.copyOf(r);
  }

  boolean editsBody() {
    return !setBodyFields.isEmpty() || !removeBodyFields.isEmpty();
  }

  /** Reads {@code node} at {@code path}; returns null if it had problems (all are recorded). */
  static Transform parse(
      ConfigReader reader, String path, JsonNode node, CelEnvironment.Scope scope) {
    int before = reader.count();
    reader.checkFields(path, node, FIELDS);
    List<HeaderSet> setHeaders = new ArrayList<>();
    List<String> removeHeaders = new ArrayList<>();
    List<BodyFieldSet> setBodyFields = new ArrayList<>();
    List<BodyFieldPath> removeBodyFields = new ArrayList<>();

    ArrayNode sets = reader.array(path, node, "setHeaders", false);
    if (sets != null) {
      String listPath = ConfigReader.field(path, "setHeaders");
      checkSize(reader, listPath, sets);
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < sets.size(); i++) {
        String itemPath = ConfigReader.index(listPath, i);
        JsonNode item = sets.get(i);
        if (!item.isObject()) {
          reader.error(itemPath, "must be an object {name, value}");
          continue;
        }
        reader.checkFields(itemPath, item, Set.of("name", "value"));
        String name = headerName(reader, ConfigReader.field(itemPath, "name"), item.get("name"));
        if (name != null && !seen.add(name.toLowerCase(Locale.ROOT))) {
          reader.error(
              ConfigReader.field(itemPath, "name"), "header '" + name + "' is set more than once");
        }
        CelEnvironment.Compiled value = null;
        String valuePath = ConfigReader.field(itemPath, "value");
        JsonNode v = item.get("value");
        if (v == null || v.isNull()) {
          reader.error(valuePath, "required: a CEL expression, e.g. json(request.body).model");
        } else if (!v.isTextual()) {
          reader.error(
              valuePath,
              "must be a string holding a CEL expression, got "
                  + ConfigReader.describe(v)
                  + " (for fixed text write a CEL string literal such as '\"text\"')");
        } else {
          value = expression(reader, valuePath, v.asText(), scope);
        }
        if (name != null && value != null) {
          setHeaders.add(new HeaderSet(name, value));
        }
      }
    }

    ArrayNode removes = reader.array(path, node, "removeHeaders", false);
    if (removes != null) {
      String listPath = ConfigReader.field(path, "removeHeaders");
      checkSize(reader, listPath, removes);
      for (int i = 0; i < removes.size(); i++) {
        String itemPath = ConfigReader.index(listPath, i);
        JsonNode item = removes.get(i);
        if (item.isObject()) {
          // Also accept {name: X}, the shape of the other lists.
          reader.checkFields(itemPath, item, Set.of("name"));
          itemPath = ConfigReader.field(itemPath, "name");
          item = item.get("name");
        }
        String name = headerName(reader, itemPath, item);
        if (name != null) {
          removeHeaders.add(name);
        }
      }
    }

    ArrayNode bodySets = reader.array(path, node, "setBodyFields", false);
    if (bodySets != null) {
      String listPath = ConfigReader.field(path, "setBodyFields");
      checkSize(reader, listPath, bodySets);
      for (int i = 0; i < bodySets.size(); i++) {
        String itemPath = ConfigReader.index(listPath, i);
        JsonNode item = bodySets.get(i);
        if (!item.isObject()) {
          reader.error(itemPath, "must be an object {path, value}");
          continue;
        }
        reader.checkFields(itemPath, item, Set.of("path", "name", "value"));
        BodyFieldPath fieldPath = bodyPath(reader, itemPath, item, false);
        String valuePath = ConfigReader.field(itemPath, "value");
        JsonNode v = item.get("value");
        CelEnvironment.Compiled value = null;
        JsonNode literal = null;
        if (v == null) {
          reader.error(valuePath, "required: a CEL expression or a YAML value");
        } else if (v.isTextual()) {
          value = expression(reader, valuePath, v.asText(), scope);
        } else {
          literal = v.deepCopy(); // a YAML value (number, bool, null, list, map) is used as is
        }
        if (fieldPath != null && (value != null || literal != null)) {
          setBodyFields.add(new BodyFieldSet(fieldPath, value, literal));
        }
      }
    }

    ArrayNode bodyRemoves = reader.array(path, node, "removeBodyFields", false);
    if (bodyRemoves != null) {
      String listPath = ConfigReader.field(path, "removeBodyFields");
      checkSize(reader, listPath, bodyRemoves);
      for (int i = 0; i < bodyRemoves.size(); i++) {
        String itemPath = ConfigReader.index(listPath, i);
        JsonNode item = bodyRemoves.get(i);
        BodyFieldPath fieldPath;
        if (item.isObject()) {
          reader.checkFields(itemPath, item, Set.of("path", "name"));
          fieldPath = bodyPath(reader, itemPath, item, true);
        } else if (item.isTextual()) {
          fieldPath = parsePath(reader, itemPath, item.asText(), true);
        } else {
          reader.error(itemPath, "must be a JSONPath string, got " + ConfigReader.describe(item));
          fieldPath = null;
        }
        if (fieldPath != null) {
          removeBodyFields.add(fieldPath);
        }
      }
    }

    if (reader.count() > before) {
      return null;
    }
    if (setHeaders.isEmpty()
        && removeHeaders.isEmpty()
        && setBodyFields.isEmpty()
        && removeBodyFields.isEmpty()) {
      reader.error(
          path,
          "must contain at least one of setHeaders, removeHeaders, setBodyFields,"
              + " removeBodyFields");
      return null;
    }
    return new Transform(setHeaders, removeHeaders, setBodyFields, removeBodyFields);
  }

  private static void checkSize(ConfigReader reader, String path, ArrayNode list) {
    if (list.size() > MAX_ENTRIES) {
      reader.error(path, "at most " + MAX_ENTRIES + " entries, got " + list.size());
    }
  }

  private static String headerName(ConfigReader reader, String path, JsonNode node) {
    if (node == null || node.isNull()) {
      reader.error(path, "required: a header name");
      return null;
    }
    if (!node.isTextual()) {
      reader.error(path, "must be a header name string, got " + ConfigReader.describe(node));
      return null;
    }
    String name = node.asText();
    if (name.isEmpty() || name.length() > MAX_HEADER_NAME_LENGTH) {
      reader.error(path, "header name must be 1-" + MAX_HEADER_NAME_LENGTH + " characters long");
      return null;
    }
    if (!HEADER_NAME.matcher(name).matches()) {
      reader.error(
          path,
          "'"
              + name
              + "' is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only;"
              + " pseudo-headers such as :path cannot be set)");
      return null;
    }
    return name;
  }

  private static BodyFieldPath bodyPath(
      ConfigReader reader, String itemPath, JsonNode item, boolean removing) {
    boolean hasPath = ConfigReader.has(item, "path");
    boolean hasName = ConfigReader.has(item, "name");
    if (hasPath == hasName) {
      reader.error(
          ConfigReader.field(itemPath, "path"),
          hasPath
              ? "give either path or name (GEP-5091 spelling), not both"
              : "required: a JSONPath such as $.stream");
      return null;
    }
    String key = hasPath ? "path" : "name";
    String p = reader.string(itemPath, item, key, true);
    return p == null ? null : parsePath(reader, ConfigReader.field(itemPath, key), p, removing);
  }

  private static BodyFieldPath parsePath(
      ConfigReader reader, String path, String text, boolean removing) {
    try {
      BodyFieldPath parsed = BodyFieldPath.parse(text);
      if (removing && parsed.isRoot()) {
        reader.error(path, "cannot remove the whole body ($)");
        return null;
      }
      return parsed;
    } catch (IllegalArgumentException e) {
      reader.error(path, e.getMessage());
      return null;
    }
  }

  private static CelEnvironment.Compiled expression(
      ConfigReader reader, String path, String source, CelEnvironment.Scope scope) {
    if (source.isBlank()) {
      reader.error(path, "must not be empty: a CEL expression");
      return null;
    }
    try {
      return CelEnvironment.compile(source, scope);
    } catch (IllegalArgumentException e) {
      reader.error(path, e.getMessage());
      return null;
    }
  }
}
