package io.payloadprocessor.spi;

/**
 * One thing wrong with a config: the field path inside the processor's config (e.g. {@code
 * detectors[2].pattern}) and what is wrong with it.
 */
public record ConfigProblem(String field, String message) {
  @Override
  public String toString() {
    return field.isEmpty() ? message : field + ": " + message;
  }
}
