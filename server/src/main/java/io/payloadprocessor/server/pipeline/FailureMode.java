package io.payloadprocessor.server.pipeline;

/** What happens when a processor errors or times out (GEP-5091 {@code failureMode}). */
public enum FailureMode {
  /** The exchange is rejected (the default). */
  FAIL_CLOSED("FailClosed"),
  /** The processor is skipped and the rest of the pipeline runs. */
  FAIL_OPEN("FailOpen");

  private final String yamlName;

  FailureMode(String yamlName) {
    this.yamlName = yamlName;
  }

  public String yamlName() {
    return yamlName;
  }
}
