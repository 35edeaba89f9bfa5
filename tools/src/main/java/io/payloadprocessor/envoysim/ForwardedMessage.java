package io.payloadprocessor.envoysim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a receiver (the upstream, or the downstream client) got from Envoy: headers, body bytes in
 * the pieces they were forwarded in, and trailers (null when none were forwarded).
 */
public final class ForwardedMessage {
  private final List<Header> headers;
  private final List<byte[]> bodyPieces;
  private final List<Header> trailers;

  ForwardedMessage(List<Header> headers, List<byte[]> bodyPieces, List<Header> trailers) {
    this.headers = List.copyOf(headers);
    List<byte[]> copy = new ArrayList<>();
    bodyPieces.forEach(p -> copy.add(p.clone()));
    this.bodyPieces = List.copyOf(copy);
    this.trailers = trailers == null ? null : List.copyOf(trailers);
  }

  /** Headers in order. */
  public List<Header> headers() {
    return headers;
  }

  /** First value (UTF-8) of a header, case-insensitive name, or null. */
  public String header(String name) {
    return first(headers, name);
  }

  /** All values of a header, in order. */
  public List<String> headerValues(String name) {
    String n = name.toLowerCase(java.util.Locale.ROOT);
    List<String> out = new ArrayList<>();
    headers.stream().filter(h -> h.name().equals(n)).forEach(h -> out.add(h.value()));
    return out;
  }

  /** The {@code :status} as an int, or -1. */
  public int status() {
    String s = header(":status");
    try {
      return s == null ? -1 : Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The whole body (empty when none). */
  public byte[] body() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    bodyPieces.forEach(out::writeBytes);
    return out.toByteArray();
  }

  /** The body as UTF-8 text. */
  public String bodyString() {
    return new String(body(), StandardCharsets.UTF_8);
  }

  /** The non-empty body pieces in the order they were forwarded. */
  public List<byte[]> bodyPieces() {
    List<byte[]> out = new ArrayList<>();
    bodyPieces.forEach(p -> out.add(p.clone()));
    return out;
  }

  /** Trailers, or null when none were forwarded. */
  public List<Header> trailers() {
    return trailers;
  }

  static String first(List<Header> headers, String name) {
    String n = name.toLowerCase(java.util.Locale.ROOT);
    return headers.stream()
        .filter(h -> h.name().equals(n))
        .map(Header::value)
        .findFirst()
        .orElse(null);
  }

  @Override
  public String toString() {
    return "ForwardedMessage{headers="
        + headers
        + ", bodyBytes="
        + body().length
        + ", trailers="
        + trailers
        + "}";
  }
}
