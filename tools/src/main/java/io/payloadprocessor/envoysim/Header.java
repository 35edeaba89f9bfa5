package io.payloadprocessor.envoysim;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * One HTTP header entry: a lower-case name and a raw byte value (which may be non-UTF-8, as Envoy
 * forwards header values verbatim in {@code raw_value}).
 */
public final class Header {
  private final String name;
  private final byte[] value;

  private Header(String name, byte[] value) {
    this.name = name;
    this.value = value;
  }

  /** A header with a UTF-8 value; the name is lower-cased as Envoy does. */
  public static Header of(String name, String value) {
    return of(name, value.getBytes(StandardCharsets.UTF_8));
  }

  /** A header with raw bytes as value; the name is lower-cased as Envoy does. */
  public static Header of(String name, byte[] value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    return new Header(name.toLowerCase(Locale.ROOT), value.clone());
  }

  /** The lower-case header name. */
  public String name() {
    return name;
  }

  /** A copy of the raw value bytes. */
  public byte[] rawValue() {
    return value.clone();
  }

  /** The value decoded as UTF-8 (malformed bytes become U+FFFD). */
  public String value() {
    return new String(value, StandardCharsets.UTF_8);
  }

  int length() {
    return value.length;
  }

  byte[] rawValueUnsafe() {
    return value;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Header h && h.name.equals(name) && Arrays.equals(h.value, value);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return name + ": " + value();
  }
}
