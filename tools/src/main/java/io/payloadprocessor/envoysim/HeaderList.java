package io.payloadprocessor.envoysim;

import java.util.ArrayList;
import java.util.List;

/**
 * A mutable ordered header map with Envoy's semantics: names lower-case, pseudo-headers kept ahead
 * of regular headers, {@code set} replaces every existing entry, {@code add} appends another.
 */
final class HeaderList {
  private final List<Header> entries = new ArrayList<>();

  HeaderList(List<Header> initial) {
    initial.forEach(h -> add(h.name(), h.rawValueUnsafe()));
  }

  List<Header> snapshot() {
    return List.copyOf(entries);
  }

  boolean contains(String name) {
    return entries.stream().anyMatch(h -> h.name().equals(name));
  }

  String first(String name) {
    return ForwardedMessage.first(entries, name);
  }

  void remove(String name) {
    entries.removeIf(h -> h.name().equals(name));
  }

  void set(String name, byte[] value) {
    remove(name);
    add(name, value);
  }

  void add(String name, byte[] value) {
    Header h = Header.of(name, value);
    if (name.startsWith(":")) {
      int i = 0;
      while (i < entries.size() && entries.get(i).name().startsWith(":")) {
        i++;
      }
      entries.add(i, h);
    } else {
      entries.add(h);
    }
  }

  int size() {
    return entries.size();
  }

  /** Envoy's byteSize: sum of name and value lengths. */
  long byteSize() {
    long n = 0;
    for (Header h : entries) {
      n += h.name().length() + h.length();
    }
    return n;
  }
}
