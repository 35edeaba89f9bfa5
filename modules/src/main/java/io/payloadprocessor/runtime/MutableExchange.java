package io.payloadprocessor.runtime;

import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.MessageView;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The runner's side of an {@link Exchange}: the mutable messages, and the setters the state machine
 * calls as Envoy's messages arrive. Processors receive it as an {@link Exchange} and cannot reach
 * these.
 */
public final class MutableExchange implements Exchange {
  private final String requestId;
  private final HttpMessage request;
  private volatile @Nullable HttpMessage response;
  private final Map<String, String> routeMetadata;
  private final Map<String, Object> attributes = new ConcurrentHashMap<>();
  private final Map<String, Object> envoyAttributes = new ConcurrentHashMap<>();
  private volatile @Nullable Headers requestTrailers;
  private volatile @Nullable Headers responseTrailers;

  public MutableExchange(String requestId, HttpMessage request, Map<String, String> routeMetadata) {
    this.requestId = requestId;
    this.request = request;
    this.routeMetadata = Map.copyOf(routeMetadata);
  }

  @Override
  public String requestId() {
    return requestId;
  }

  @Override
  public MessageView request() {
    return request;
  }

  @Override
  public @Nullable MessageView response() {
    return response;
  }

  @Override
  public int responseStatus() {
    HttpMessage r = response;
    if (r == null) {
      return 0;
    }
    String s = r.headers().get(":status");
    try {
      return s == null ? 0 : Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  @Override
  public Map<String, String> routeMetadata() {
    return routeMetadata;
  }

  @Override
  public Map<String, Object> attributes() {
    return attributes;
  }

  /** The mutable request. */
  public HttpMessage mutableRequest() {
    return request;
  }

  /** The mutable response, or null before the response. */
  public @Nullable HttpMessage mutableResponse() {
    return response;
  }

  public void setResponse(HttpMessage response) {
    this.response = response;
  }

  @Override
  public Map<String, Object> envoyAttributes() {
    return Collections.unmodifiableMap(envoyAttributes);
  }

  /**
   * Adds the attributes of one direction's first message (for the state machine). Null values are
   * skipped.
   */
  public void putEnvoyAttributes(Map<String, ?> values) {
    values.forEach(
        (k, v) -> {
          if (k != null && v != null) {
            envoyAttributes.put(k, v);
          }
        });
  }

  @Override
  public Headers requestTrailers() {
    Headers t = requestTrailers;
    return t == null ? new Headers() : t;
  }

  /** Sets the request trailers when they arrive (for the state machine). */
  public void setRequestTrailers(Headers trailers) {
    this.requestTrailers = trailers;
  }

  @Override
  public Headers responseTrailers() {
    Headers t = responseTrailers;
    return t == null ? new Headers() : t;
  }

  /** Sets the response trailers when they arrive (for the state machine). */
  public void setResponseTrailers(Headers trailers) {
    this.responseTrailers = trailers;
  }
}
