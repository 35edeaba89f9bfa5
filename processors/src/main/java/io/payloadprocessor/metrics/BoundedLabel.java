package io.payloadprocessor.metrics;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a label whose values come from traffic (model names from bodies and upstream answers)
 * bounded, so a client cannot grow the metric series without limit: with a configured set, values
 * outside it become {@value #OTHER}; without one, the first {@code limit} distinct values are kept
 * and later new ones become {@value #OTHER}. Values that are long or not plain (letters, digits,
 * {@code . _ - : /}) are {@value #OTHER} too; a missing value is {@value #UNKNOWN}.
 */
public final class BoundedLabel {
  /** The value for anything past the bound. */
  public static final String OTHER = "other";

  /** The value for a missing one. */
  public static final String UNKNOWN = "unknown";

  /** Longest value kept. */
  public static final int MAX_LENGTH = 64;

  private final Set<String> allowed;
  private final int limit;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();

  /**
   * Only these values (others are {@value #OTHER}); an empty list means the first {@code limit}.
   */
  public BoundedLabel(List<String> allowed, int limit) {
    this.allowed = Set.copyOf(allowed);
    this.limit = limit;
  }

  /** The label value to use for {@code value}. */
  public String of(String value) {
    if (value == null || value.isEmpty()) {
      return UNKNOWN;
    }
    if (!allowed.isEmpty()) {
      return allowed.contains(value) ? value : OTHER;
    }
    if (seen.contains(value)) {
      return value;
    }
    if (!plain(value)) {
      return OTHER;
    }
    synchronized (seen) {
      if (seen.size() < limit) {
        seen.add(value);
        return value;
      }
    }
    return seen.contains(value) ? value : OTHER;
  }

  private static boolean plain(String v) {
    if (v.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "._-:/@".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
