package io.payloadprocessor.envoysim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a downstream client (or the upstream) sends: ordered headers, an optional body split into
 * pieces as they leave the sender, and optional trailers. Shared by {@link HttpRequest} and {@link
 * UpstreamResponse}.
 */
public abstract class HttpMessageParts {
  private final List<Header> headers;
  private final byte[] body;
  private final int[] chunkOffsets;
  private final List<Header> trailers;

  HttpMessageParts(Builder<?, ?> b, Map<String, String> defaults) {
    List<Header> given = new ArrayList<>(b.headers);
    // Envoy's HTTP/1 codec turns Host into :authority.
    if (defaults.containsKey(":authority")
        && given.stream().noneMatch(h -> h.name().equals(":authority"))) {
      Optional<Header> host = given.stream().filter(h -> h.name().equals("host")).findFirst();
      if (host.isPresent()) {
        given.removeIf(h -> h.name().equals("host"));
        given.add(0, Header.of(":authority", host.get().rawValueUnsafe()));
      }
    }
    List<Header> hs = new ArrayList<>();
    // Pseudo-headers first, in the order HTTP/2 codecs emit them, defaulted when absent.
    for (Map.Entry<String, String> d : defaults.entrySet()) {
      Optional<Header> g = given.stream().filter(h -> h.name().equals(d.getKey())).findFirst();
      hs.add(g.orElse(Header.of(d.getKey(), d.getValue())));
    }
    for (Header h : given) {
      if (!defaults.containsKey(h.name())) {
        hs.add(h);
      }
    }
    boolean hasLength =
        hs.stream()
            .anyMatch(
                h -> h.name().equals("content-length") || h.name().equals("transfer-encoding"));
    if (b.autoContentLength && b.body != null && b.chunkOffsets.length == 0 && !hasLength) {
      hs.add(Header.of("content-length", Integer.toString(b.body.length)));
    }
    this.headers = List.copyOf(hs);
    this.body = b.body == null ? null : b.body.clone();
    this.chunkOffsets = b.chunkOffsets.clone();
    this.trailers = b.trailers == null ? null : List.copyOf(b.trailers);
    if (body == null && chunkOffsets.length > 0) {
      throw new IllegalArgumentException("chunkOffsets given without a body");
    }
    int prev = 0;
    for (int off : chunkOffsets) {
      if (off <= prev || off >= body.length) {
        throw new IllegalArgumentException(
            "chunkOffsets must be strictly increasing and inside (0, body length): " + off);
      }
      prev = off;
    }
  }

  /** All headers in order, pseudo-headers first. */
  public List<Header> headers() {
    return headers;
  }

  /** The first value of a header (UTF-8), or null. */
  public String header(String name) {
    return ForwardedMessage.first(headers, name);
  }

  /** The body, or null when the message has no body at all. */
  public byte[] body() {
    return body == null ? null : body.clone();
  }

  /** The trailers, or null when absent. */
  public List<Header> trailers() {
    return trailers;
  }

  /** The body split at {@link Builder#chunkOffsets}; empty list when there is no body. */
  public List<byte[]> chunks() {
    List<byte[]> out = new ArrayList<>();
    if (body == null) {
      return out;
    }
    int start = 0;
    for (int off : chunkOffsets) {
      out.add(java.util.Arrays.copyOfRange(body, start, off));
      start = off;
    }
    out.add(java.util.Arrays.copyOfRange(body, start, body.length));
    return out;
  }

  /**
   * Common builder.
   *
   * @param <T> the built type
   * @param <B> the concrete builder
   */
  public abstract static class Builder<T, B extends Builder<T, B>> {
    private final List<Header> headers = new ArrayList<>();
    private byte[] body;
    private int[] chunkOffsets = new int[0];
    private List<Header> trailers;
    private boolean autoContentLength = true;

    abstract B self();

    /** Builds the immutable message. */
    public abstract T build();

    /** Adds a header (repeat to add repeated entries). */
    public B header(String name, String value) {
      headers.add(Header.of(name, value));
      return self();
    }

    /** Adds a header with a raw (possibly non-UTF-8) value. */
    public B header(String name, byte[] value) {
      headers.add(Header.of(name, value));
      return self();
    }

    /** Adds every entry of the map as a header. */
    public B headers(Map<String, String> map) {
      map.forEach(this::header);
      return self();
    }

    /** Sets the body (UTF-8). */
    public B body(String text) {
      return body(text == null ? null : text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sets the body; null means no body, an empty array means one empty DATA frame. */
    public B body(byte[] bytes) {
      this.body = bytes == null ? null : bytes.clone();
      return self();
    }

    /** Byte offsets where the body is split into pieces as the sender emits them. */
    public B chunkOffsets(int... offsets) {
      this.chunkOffsets = offsets.clone();
      return self();
    }

    /** Adds a trailer (the message then has trailers). */
    public B trailer(String name, String value) {
      if (trailers == null) {
        trailers = new ArrayList<>();
      }
      trailers.add(Header.of(name, value));
      return self();
    }

    /** Adds every entry as a trailer; an empty map adds nothing (the message has no trailers). */
    public B trailers(Map<String, String> map) {
      if (map.isEmpty()) {
        return self();
      }
      if (trailers == null) {
        trailers = new ArrayList<>();
      }
      map.forEach((k, v) -> trailers.add(Header.of(k, v)));
      return self();
    }

    /**
     * Whether to add {@code content-length} when there is a body sent in one piece and neither
     * content-length nor transfer-encoding was given (default true, as curl and most HTTP/1.1
     * senders do). Bodies with chunk offsets are treated as chunked transfers and get none.
     */
    public B autoContentLength(boolean enabled) {
      this.autoContentLength = enabled;
      return self();
    }
  }
}
