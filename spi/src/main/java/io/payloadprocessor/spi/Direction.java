package io.payloadprocessor.spi;

import java.util.Locale;

/** Which half of an exchange a processor is working on. */
public enum Direction {
  REQUEST,
  RESPONSE;

  /** "request" or "response", as written in rejection records. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
