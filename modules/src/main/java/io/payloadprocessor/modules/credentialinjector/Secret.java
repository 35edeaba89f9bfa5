package io.payloadprocessor.modules.credentialinjector;

/** A key read from a file. Its {@code toString} never shows it. */
final class Secret {
  private final String value;

  Secret(String value) {
    this.value = value;
  }

  /** The key, for the one place that puts it in a header. */
  String reveal() {
    return value;
  }

  @Override
  public String toString() {
    return "Secret[redacted]";
  }
}
