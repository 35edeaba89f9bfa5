package io.payloadprocessor.spi;

import java.util.Locale;

/** Which half of an exchange a processor is working on. */
public enum Direction {
  REQUEST,
  RESPONSE;

  private final String label = name().toLowerCase(Locale.ROOT);

  /** "request" or "response", as written in rejection records. */
  public String label() {
    return label;
  }
}
