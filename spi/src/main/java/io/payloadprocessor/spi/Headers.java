package io.payloadprocessor.spi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An ordered HTTP header multimap with lower-case names, as Envoy hands headers to an external
 * processor (pseudo-headers such as {@code :path} included). Repeated headers keep their order.
 */
public final class Headers {
  /** Name to values. */
  private Map<String, List<String>> map;

  /**
   * Whether the value lists may be shared with another instance (a copy, or a snapshot after one
   * side was written): then a list is replaced, never appended to, so the other keeps its values.
   */
  private boolean listsShared;

  /**
   * Whether {@link #map} is shared with a {@linkplain #snapshot() snapshot} (or is one): the next
   * write works on a copy, so the other side keeps what it saw.
   */
  private boolean shared;

  public Headers() {
    this.map = new LinkedHashMap<>();
  }

  private Headers(Map<String, List<String>> map) {
    this.map = map;
  }

  /** A copy: changes to either do not show in the other. */
  public Headers copy() {
    Headers c = new Headers(new LinkedHashMap<>(map));
    c.listsShared = true;
    listsShared = true;
    return c;
  }

  /**
   * The headers as they are now, for comparison after later changes: copied only when one side is
   * written (most messages are not changed, and then no copy is made).
   */
  public Headers snapshot() {
    shared = true;
    Headers s = new Headers(map);
    s.shared = true;
    return s;
  }

  /** Whether neither this nor {@code other} was written since one was a snapshot of the other. */
  public boolean unchangedSince(Headers other) {
    return map == other.map;
  }

  private void write() {
    if (shared) {
      map = new LinkedHashMap<>(map);
      shared = false;
      listsShared = true;
    }
  }

  public static String normalize(String name) {
    // Names almost always arrive lower-case (HTTP/2 requires it, Envoy lower-cases HTTP/1 names):
    // check before converting.
    for (int i = 0, n = name.length(); i < n; i++) {
      char c = name.charAt(i);
      if ((c >= 'A' && c <= 'Z') || c >= 0x80) {
        return name.toLowerCase(Locale.ROOT);
      }
    }
    return name;
  }

  /** Appends a value, keeping any existing ones. */
  public Headers add(String name, String value) {
    write();
    String n = normalize(name);
    List<String> old = map.get(n);
    if (old == null) {
      List<String> values = new ArrayList<>(1);
      values.add(value);
      map.put(n, values);
    } else if (listsShared) {
      List<String> values = new ArrayList<>(old.size() + 1);
      values.addAll(old);
      values.add(value);
      map.put(n, values); // a new list: the other instance keeps the old one
    } else {
      old.add(value); // appending stays linear however often a name repeats
    }
    return this;
  }

  /** Replaces all values of {@code name} with one value. */
  public Headers set(String name, String value) {
    write();
    List<String> values = new ArrayList<>(1);
    values.add(value);
    map.put(normalize(name), values);
    return this;
  }

  public Headers remove(String name) {
    write();
    map.remove(normalize(name));
    return this;
  }

  /** The first value, or null. */
  public @Nullable String get(String name) {
    List<String> values = map.get(normalize(name));
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** All values in order; empty if absent. */
  public List<String> getAll(String name) {
    List<String> values = map.get(normalize(name));
    return values == null ? List.of() : Collections.unmodifiableList(values);
  }

  /** Repeated values joined with "," (RFC 9110 field combination), or null. */
  public @Nullable String getJoined(String name) {
    List<String> values = map.get(normalize(name));
    return values == null || values.isEmpty() ? null : String.join(",", values);
  }

  public boolean contains(String name) {
    return map.containsKey(normalize(name));
  }

  public Set<String> names() {
    return Collections.unmodifiableSet(map.keySet());
  }

  /** A read-only view: name to values. */
  public Map<String, List<String>> asMap() {
    return Collections.unmodifiableMap(map);
  }

  public boolean isEmpty() {
    return map.isEmpty();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Headers headers && headers.map.equals(map);
  }

  @Override
  public int hashCode() {
    return map.hashCode();
  }

  @Override
  public String toString() {
    // Names only: values may hold credentials, and logs must never contain them.
    return "Headers" + map.keySet();
  }
}
