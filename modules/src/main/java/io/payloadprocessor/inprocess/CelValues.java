package io.payloadprocessor.inprocess;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.primitives.UnsignedLong;
import dev.cel.common.values.CelByteString;
import dev.cel.common.values.NullValue;
import io.payloadprocessor.runtime.HttpMessage;
import java.math.BigDecimal;
import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.RandomAccess;
import java.util.Set;

/**
 * Converts between Jackson trees and the Java values CEL-Java evaluates over, and renders CEL
 * results as header text.
 *
 * <p>JSON to CEL: objects become {@code map(string, dyn)}, arrays {@code list(dyn)}, integral
 * numbers that fit a long {@code int}, other numbers {@code double}, and JSON null CEL {@code
 * null}.
 *
 * <p>CEL to JSON: maps (string keys only) become objects, lists arrays, {@code int}/{@code uint}/
 * {@code double}/{@code bool}/{@code string}/{@code null} their JSON counterparts and {@code bytes}
 * a base64 string (the protobuf JSON mapping's choice). Anything else (types, timestamps,
 * durations) is rendered with its text form.
 */
final class CelValues {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private CelValues() {}

  /**
   * A JSON tree as a CEL value. Objects and arrays are read-only views converted lazily, element by
   * element, as the expression reaches them: {@code json(request.body).model} converts one string,
   * not the whole conversation. Numbers that are not integers fitting a long become doubles, and
   * {@code origins} remembers where each came from, so that it can still be written as the JSON
   * text wrote it ({@link NumberOrigins#text}).
   */
  static Object fromJson(JsonNode node, NumberOrigins origins) {
    return convert(node, origins, null, null);
  }

  /** A JSON tree whose numbers need not keep their text. */
  static Object fromJson(JsonNode node) {
    return convert(node, null, null, null);
  }

  private static Object convert(JsonNode node, NumberOrigins origins, View parent, Object key) {
    switch (node.getNodeType()) {
      case OBJECT:
        return new ObjectView(node, origins, parent, key);
      case ARRAY:
        return new ArrayView(node, origins, parent, key);
      case STRING:
        return node.textValue();
      case NUMBER:
        if (node.isIntegralNumber() && node.canConvertToLong()) {
          return node.longValue();
        }
        Double d = node.doubleValue(); // a new box: its identity keys its origin
        if (origins != null) {
          origins.record(d, parent, key);
        }
        return d;
      case BOOLEAN:
        return node.booleanValue();
      case NULL:
      case MISSING:
      default:
        return NullValue.NULL_VALUE;
    }
  }

  /** Whether {@code value} is a view of a parsed JSON tree (an input, not a computed value). */
  static boolean isView(Object value) {
    return value instanceof View;
  }

  /** A container of the tree, with where it sits in it. */
  private interface View {
    View parent();

    Object key();
  }

  /** How the body wrote a number the expression read from it. */
  interface NumberTexts {
    /** The number's text as its JSON wrote it, or null if it was not read from JSON. */
    String text(Object value);
  }

  /**
   * Where the non-integer numbers of one parsed JSON text came from, by the identity of the Double
   * each was converted to. Only numbers the expression actually reached are recorded.
   */
  static final class NumberOrigins implements NumberTexts {
    private final java.util.function.Supplier<byte[]> json;
    private IdentityHashMap<Object, Object[]> paths; // keyed by the box itself, on purpose

    /**
     * {@code json}: the text the tree was parsed from (read only when a number's text is asked).
     */
    NumberOrigins(java.util.function.Supplier<byte[]> json) {
      this.json = json;
    }

    void record(Double number, View parent, Object key) {
      if (paths == null) {
        paths = new IdentityHashMap<>();
      }
      ArrayDeque<Object> path = new ArrayDeque<>();
      if (parent != null) { // else the whole text is this number
        path.addFirst(key);
        for (View v = parent; v.parent() != null; v = v.parent()) {
          path.addFirst(v.key());
        }
      }
      paths.put(number, path.toArray());
    }

    /**
     * The number exactly as the JSON text wrote it ({@code 1e999999999}, {@code 1.50}), or null if
     * {@code value} is not a number read from that text.
     */
    @Override
    public String text(Object value) {
      if (paths == null || !(value instanceof Double)) {
        return null;
      }
      Object[] path = paths.get(value);
      return path == null ? null : JsonNumberText.find(json.get(), path);
    }
  }

  /** A JSON object as an unmodifiable {@code Map<String, Object>}, children converted on demand. */
  private static final class ObjectView extends AbstractMap<String, Object> implements View {
    private final JsonNode node;
    private final NumberOrigins origins;
    private final View parent;
    private final Object key;
    private final Map<String, Object> converted = new HashMap<>();
    private Set<Map.Entry<String, Object>> entries;

    ObjectView(JsonNode node, NumberOrigins origins, View parent, Object key) {
      this.node = node;
      this.origins = origins;
      this.parent = parent;
      this.key = key;
    }

    @Override
    public View parent() {
      return parent;
    }

    @Override
    public Object key() {
      return key;
    }

    @Override
    public Object get(Object k) {
      if (!(k instanceof String name)) {
        return null;
      }
      JsonNode child = node.get(name);
      return child == null
          ? null
          : converted.computeIfAbsent(name, x -> convert(child, origins, this, name));
    }

    @Override
    public boolean containsKey(Object k) {
      return k instanceof String name && node.has(name);
    }

    @Override
    public int size() {
      return node.size();
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
      if (entries == null) {
        Map<String, Object> all = new LinkedHashMap<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
          String k = it.next();
          all.put(k, get(k));
        }
        entries = Collections.unmodifiableMap(all).entrySet();
      }
      return entries;
    }
  }

  /** A JSON array as an unmodifiable {@code List<Object>}, elements converted on demand. */
  private static final class ArrayView extends AbstractList<Object> implements RandomAccess, View {
    private final JsonNode node;
    private final NumberOrigins origins;
    private final View parent;
    private final Object key;
    private final Object[] converted;

    ArrayView(JsonNode node, NumberOrigins origins, View parent, Object key) {
      this.node = node;
      this.origins = origins;
      this.parent = parent;
      this.key = key;
      this.converted = new Object[node.size()];
    }

    @Override
    public View parent() {
      return parent;
    }

    @Override
    public Object key() {
      return key;
    }

    @Override
    public Object get(int index) {
      Object v = converted[index];
      if (v == null) {
        v = convert(node.get(index), origins, this, index);
        converted[index] = v;
      }
      return v;
    }

    @Override
    public int size() {
      return converted.length;
    }
  }

  /** A CEL result as a JSON tree. */
  static JsonNode toJson(Object value) {
    return toJson(value, null);
  }

  /**
   * A CEL result as a JSON tree; a number read from a body keeps its exact value (as a decimal of
   * the text the body wrote), so that copying {@code 1e400} or {@code 0.10} loses nothing.
   */
  static JsonNode toJson(Object value, NumberTexts origins) {
    if (value == null || value instanceof NullValue) {
      return NODES.nullNode();
    }
    if (value instanceof String string) {
      return NODES.textNode(string);
    }
    if (value instanceof Boolean b) {
      return NODES.booleanNode(b);
    }
    if (value instanceof Long || value instanceof Integer) {
      return NODES.numberNode(((Number) value).longValue());
    }
    if (value instanceof UnsignedLong unsignedLong) {
      return NODES.numberNode(unsignedLong.bigIntegerValue());
    }
    if (value instanceof Double || value instanceof Float) {
      String text = origins == null ? null : origins.text(value);
      return text != null
          ? NODES.numberNode(new BigDecimal(text))
          : NODES.numberNode(((Number) value).doubleValue());
    }
    if (value instanceof CelByteString celByteString) {
      return NODES.textNode(Base64.getEncoder().encodeToString(celByteString.toByteArray()));
    }
    if (value instanceof Map) {
      ObjectNode obj = NODES.objectNode();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        Object key = e.getKey();
        obj.set(
            key instanceof String string ? string : String.valueOf(key),
            toJson(e.getValue(), origins));
      }
      return obj;
    }
    if (value instanceof Iterable) {
      ArrayNode arr = NODES.arrayNode();
      for (Object item : (Iterable<?>) value) {
        arr.add(toJson(item, origins));
      }
      return arr;
    }
    if (value instanceof Optional) {
      Optional<?> opt = (Optional<?>) value;
      return opt.isPresent() ? toJson(opt.get(), origins) : NODES.nullNode();
    }
    return NODES.textNode(String.valueOf(value));
  }

  /**
   * A CEL result as a header value: strings as they are, numbers read from a body as the body wrote
   * them, other numbers and booleans as CEL's {@code string()} writes them, lists and maps as
   * compact JSON, bytes as UTF-8 text.
   *
   * <p>The length of a header value is capped by the pipeline runner for every step.
   *
   * @throws IllegalArgumentException for null or text that cannot be a header value (CR, LF, NUL);
   *     the message never quotes the value
   */
  static String toHeaderValue(Object value, NumberTexts origins) {
    String text;
    if (value == null || value instanceof NullValue) {
      throw new IllegalArgumentException("header value expression evaluated to null");
    } else if (value instanceof String string) {
      text = string;
    } else if (value instanceof CelByteString celByteString) {
      text = celByteString.toStringUtf8();
    } else if (value instanceof Map || value instanceof Iterable) {
      try {
        text = HttpMessage.JSON.writeValueAsString(toJson(value, origins));
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("header value cannot be written as JSON", e);
      }
    } else if (value instanceof Double) {
      String written = origins == null ? null : origins.text(value);
      text = written != null ? written : String.valueOf(value);
    } else {
      text = String.valueOf(value);
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        // Never forward header injection; never echo the offending value either.
        throw new IllegalArgumentException(
            "header value contains a CR, LF or NUL character and cannot be sent");
      }
    }
    return text;
  }
}
