package io.payloadprocessor.config;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.payloadprocessor.spi.ConfigException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/** Binds a module's {@code config} to its typed config class, with field paths in errors. */
public final class ModuleConfigs {
  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .build();

  private ModuleConfigs() {}

  /** Binds {@code config} (null means "{}") to {@code type}; unknown fields are errors. */
  public static <T> T bind(JsonNode config, Class<T> type) throws ConfigException {
    JsonNode node =
        config == null || config instanceof NullNode ? MAPPER.createObjectNode() : config;
    try {
      return MAPPER.treeToValue(node, type);
    } catch (JsonMappingException e) {
      throw new ConfigException(path(e), describe(e, node));
    } catch (Exception e) {
      throw new ConfigException("", e.getMessage());
    }
  }

  /**
   * Jackson's binding errors in the user's terms: Jackson names Java types ({@code
   * java.util.ArrayList<...Rule>}, {@code class ...Config}), which mean nothing to someone writing
   * YAML.
   */
  static String describe(JsonMappingException e, JsonNode root) {
    if (e instanceof UnrecognizedPropertyException u) {
      TreeSet<String> known = new TreeSet<>();
      if (u.getKnownPropertyIds() != null) {
        u.getKnownPropertyIds().forEach(k -> known.add(String.valueOf(k)));
      }
      return "unknown field" + (known.isEmpty() ? "" : "; allowed: " + String.join(", ", known));
    }
    if (e instanceof ValueInstantiationException && e.getCause() != null) {
      return e.getCause().getMessage();
    }
    if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
      JsonNode actual = root.at(pointer(e));
      return "must be " + expected(m.getTargetType()) + ", got " + ConfigReader.describe(actual);
    }
    String msg = e.getOriginalMessage() == null ? "invalid value" : e.getOriginalMessage();
    // Whatever else Jackson says, no Java type names: cut at the first one.
    int java = msg.indexOf("`");
    return java > 0 ? msg.substring(0, java).strip() : msg;
  }

  private static String expected(Class<?> type) {
    if (type.isEnum()) {
      List<String> names = new ArrayList<>();
      for (Object c : type.getEnumConstants()) {
        // As written in YAML (an enum may map its constants to other names).
        names.add(String.valueOf(MAPPER.convertValue(c, Object.class)));
      }
      return "one of " + String.join(", ", names);
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == Integer.class
        || type == int.class
        || type == Long.class
        || type == long.class
        || type == Short.class
        || type == short.class) {
      return "an integer";
    }
    if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
      return "a number";
    }
    if (type == String.class
        || type == Character.class
        || CharSequence.class.isAssignableFrom(type)) {
      return "a string";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "a list";
    }
    return "a mapping";
  }

  private static JsonPointer pointer(JsonMappingException e) {
    JsonPointer p = JsonPointer.empty();
    for (JsonMappingException.Reference ref : e.getPath()) {
      p =
          ref.getFieldName() != null
              ? p.appendProperty(ref.getFieldName())
              : p.appendIndex(ref.getIndex());
    }
    return p;
  }

  /** A Jackson path as {@code a.b[2].c}. */
  public static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }
}
