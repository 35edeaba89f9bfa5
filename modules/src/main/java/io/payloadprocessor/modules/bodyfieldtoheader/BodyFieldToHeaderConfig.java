package io.payloadprocessor.modules.bodyfieldtoheader;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * Config of {@code body-field-to-header}; absent fields take the defaults of the Gateway API
 * Inference Extension body-based router.
 *
 * @param field JSONPath of the body field (default {@code $.model})
 * @param header header that receives it (default {@code X-Gateway-Model-Name})
 * @param onMissing what to do when the field is absent or null (default {@code skip})
 * @param loraAdapters LoRA adapter name to base model name; when given, {@code baseModelHeader}
 *     carries the base model (the mapped name, or the value itself when it is not an adapter)
 * @param baseModelHeader header for the base model (default {@code X-Gateway-Base-Model-Name})
 * @param clearRouteCache ask Envoy to re-route after the header changed (default true)
 * @param scan {@code whole} (default) validates the whole body; {@code untilField} stops reading
 *     once the field is found
 */
public record BodyFieldToHeaderConfig(
    String field,
    String header,
    OnMissing onMissing,
    Map<String, String> loraAdapters,
    String baseModelHeader,
    Boolean clearRouteCache,
    ScanMode scan) {

  public static final String DEFAULT_FIELD = "$.model";
  public static final String DEFAULT_HEADER = "X-Gateway-Model-Name";
  public static final String DEFAULT_BASE_MODEL_HEADER = "X-Gateway-Base-Model-Name";

  /** What happens when the field is absent or JSON null. */
  public enum OnMissing {
    /** Remove any client-supplied header and continue. */
    @JsonProperty("skip")
    SKIP,
    /** Reject the request with 400 {@code missing_body_field}. */
    @JsonProperty("reject")
    REJECT
  }

  /** YAML spelling of {@link StreamingFieldExtractor.Scan}. */
  public enum ScanMode {
    @JsonProperty("whole")
    WHOLE,
    @JsonProperty("untilField")
    UNTIL_FIELD
  }

  public BodyFieldToHeaderConfig {
    field = field == null ? DEFAULT_FIELD : field;
    header = header == null ? DEFAULT_HEADER : header;
    onMissing = onMissing == null ? OnMissing.SKIP : onMissing;
    loraAdapters = loraAdapters == null ? Map.of() : Map.copyOf(loraAdapters);
    baseModelHeader = baseModelHeader == null ? DEFAULT_BASE_MODEL_HEADER : baseModelHeader;
    clearRouteCache = clearRouteCache == null ? Boolean.TRUE : clearRouteCache;
    scan = scan == null ? ScanMode.WHOLE : scan;
  }
}
