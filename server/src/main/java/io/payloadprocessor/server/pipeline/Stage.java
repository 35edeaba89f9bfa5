package io.payloadprocessor.server.pipeline;

/** GEP-5091 {@code spec.phase}: before or after Envoy picks the route. */
public enum Stage {
  PRE_ROUTING("PreRouting"),
  POST_ROUTING("PostRouting");

  private final String yamlName;

  Stage(String yamlName) {
    this.yamlName = yamlName;
  }

  public String yamlName() {
    return yamlName;
  }

  /** The stage for a YAML value, or null if unknown. */
  public static Stage fromYaml(String value) {
    for (Stage s : values()) {
      if (s.yamlName.equals(value)) {
        return s;
      }
    }
    return null;
  }
}
