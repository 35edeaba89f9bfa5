package io.payloadprocessor.inprocess;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.primitives.UnsignedLong;
import dev.cel.common.values.CelByteString;
import dev.cel.common.values.NullValue;
import io.payloadprocessor.spi.HttpMessage;
import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
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
   * not the whole conversation.
   */
  static Object fromJson(JsonNode node) {
    switch (node.getNodeType()) {
      case OBJECT:
        return new ObjectView(node);
      case ARRAY:
        return new ArrayView(node);
      case STRING:
        return node.textValue();
      case NUMBER:
        if (node.isIntegralNumber() && node.canConvertToLong()) {
          return node.longValue();
        }
        return node.doubleValue();
      case BOOLEAN:
        return node.booleanValue();
      case NULL:
      case MISSING:
      default:
        return NullValue.NULL_VALUE;
    }
  }

  /** A JSON object as an unmodifiable {@code Map<String, Object>}, children converted on demand. */
  private static final class ObjectView extends AbstractMap<String, Object> {
    private final JsonNode node;
    private final Map<String, Object> converted = new HashMap<>();
    private Set<Map.Entry<String, Object>> entries;

    ObjectView(JsonNode node) {
      this.node = node;
    }

    @Override
    public Object get(Object key) {
      if (!(key instanceof String k)) {
        return null;
      }
      JsonNode child = node.get(k);
      return child == null ? null : converted.computeIfAbsent(k, x -> fromJson(child));
    }

    @Override
    public boolean containsKey(Object key) {
      return key instanceof String k && node.has(k);
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
  private static final class ArrayView extends AbstractList<Object> implements RandomAccess {
    private final JsonNode node;
    private final Object[] converted;

    ArrayView(JsonNode node) {
      this.node = node;
      this.converted = new Object[node.size()];
    }

    @Override
    public Object get(int index) {
      Object v = converted[index];
      if (v == null) {
        v = fromJson(node.get(index));
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
    if (value == null || value instanceof NullValue) {
      return NODES.nullNode();
    }
    if (value instanceof String) {
      return NODES.textNode((String) value);
    }
    if (value instanceof Boolean) {
      return NODES.booleanNode((Boolean) value);
    }
    if (value instanceof Long || value instanceof Integer) {
      return NODES.numberNode(((Number) value).longValue());
    }
    if (value instanceof UnsignedLong) {
      return NODES.numberNode(((UnsignedLong) value).bigIntegerValue());
    }
    if (value instanceof Double || value instanceof Float) {
      return NODES.numberNode(((Number) value).doubleValue());
    }
    if (value instanceof CelByteString) {
      return NODES.textNode(
          Base64.getEncoder().encodeToString(((CelByteString) value).toByteArray()));
    }
    if (value instanceof Map) {
      ObjectNode obj = NODES.objectNode();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        Object key = e.getKey();
        obj.set(key instanceof String ? (String) key : String.valueOf(key), toJson(e.getValue()));
      }
      return obj;
    }
    if (value instanceof Iterable) {
      ArrayNode arr = NODES.arrayNode();
      for (Object item : (Iterable<?>) value) {
        arr.add(toJson(item));
      }
      return arr;
    }
    if (value instanceof Optional) {
      Optional<?> opt = (Optional<?>) value;
      return opt.isPresent() ? toJson(opt.get()) : NODES.nullNode();
    }
    return NODES.textNode(String.valueOf(value));
  }

  /**
   * A CEL result as a header value: strings as they are, numbers and booleans as CEL's {@code
   * string()} writes them, lists and maps as compact JSON, bytes as UTF-8 text.
   *
   * @throws IllegalArgumentException for null, or text that cannot be a header value (CR, LF, NUL)
   */
  static String toHeaderValue(Object value) {
    String text;
    if (value == null || value instanceof NullValue) {
      throw new IllegalArgumentException("header value expression evaluated to null");
    } else if (value instanceof String) {
      text = (String) value;
    } else if (value instanceof CelByteString) {
      text = ((CelByteString) value).toStringUtf8();
    } else if (value instanceof Map || value instanceof Iterable) {
      try {
        text = HttpMessage.JSON.writeValueAsString(toJson(value));
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("header value cannot be written as JSON", e);
      }
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
