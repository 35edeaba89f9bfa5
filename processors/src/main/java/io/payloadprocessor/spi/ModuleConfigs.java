package io.payloadprocessor.spi;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.NullNode;

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
      throw new ConfigException(path(e), e.getOriginalMessage());
    } catch (Exception e) {
      throw new ConfigException("", e.getMessage());
    }
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
