package io.payloadprocessor.modules.pii;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The {@code pii} module's config, as users write it under {@code module.config}. Absent fields
 * take the defaults documented on {@link PiiFactory}.
 */
public record PiiConfig(
    List<DetectorConfig> detectors,
    JsonNode scope,
    Boolean request,
    Boolean response,
    Integer holdBackChars,
    Integer status,
    String decisionHeader) {

  /**
   * One detector: a built-in {@code type} (or {@code secrets} for all secret types), or {@code
   * type: regex} with {@code name} and {@code pattern}.
   */
  public record DetectorConfig(
      String type,
      String name,
      String pattern,
      Boolean caseInsensitive,
      Integer maxLength,
      String action,
      String mask,
      String replacement) {}
}
