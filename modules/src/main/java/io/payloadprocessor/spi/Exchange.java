package io.payloadprocessor.spi;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One HTTP request/response as seen through one ext_proc stream. Processors are stateless
 * singletons; anything they must carry from the request to the response of the same exchange (a
 * cache key, a session id) goes into {@link #attributes()}, keyed by the processor's name.
 */
public final class Exchange {
  private final String requestId;
  private final HttpMessage request;
  private volatile HttpMessage response;
  private final Map<String, String> routeMetadata;
  private final Map<String, Object> attributes = new ConcurrentHashMap<>();
  private final Map<String, Object> envoyAttributes = new ConcurrentHashMap<>();
  private volatile Headers requestTrailers;
  private volatile Headers responseTrailers;

  public Exchange(String requestId, HttpMessage request, Map<String, String> routeMetadata) {
    this.requestId = requestId;
    this.request = request;
    this.routeMetadata = Map.copyOf(routeMetadata);
  }

  /** The x-request-id Envoy sent, or one the server generated. */
  public String requestId() {
    return requestId;
  }

  public MessageView request() {
    return request;
  }

  /** The response, or null while the request is being processed. */
  public MessageView response() {
    return response;
  }

  /** The response status from {@code :status}, or 0 before the response. */
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

  /** gRPC initial metadata Envoy sent on the stream (lower-case keys), e.g. the route name. */
  public Map<String, String> routeMetadata() {
    return routeMetadata;
  }

  /** Per-exchange scratch space shared between a processor's request and response parts. */
  public Map<String, Object> attributes() {
    return attributes;
  }

  /** The mutable request, for the runner only. */
  public HttpMessage mutableRequest() {
    return request;
  }

  /** The mutable response, for the runner only. */
  public HttpMessage mutableResponse() {
    return response;
  }

  public void setResponse(HttpMessage response) {
    this.response = response;
  }

  /**
   * The attributes Envoy sent for this exchange (the ext_proc filter's {@code request_attributes}
   * and {@code response_attributes}), by attribute name, e.g. {@code source.address} to {@code
   * "192.0.2.7:50432"}, {@code connection.mtls} to {@code true}. Values are as the protobuf Struct
   * carried them: String, Double (every number), Boolean, List or Map. Empty when Envoy sends none.
   */
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

  /** The request trailers, empty when there are none or they have not arrived. Read-only. */
  public Headers requestTrailers() {
    Headers t = requestTrailers;
    return t == null ? new Headers() : t;
  }

  /** Sets the request trailers when they arrive (for the state machine). */
  public void setRequestTrailers(Headers trailers) {
    this.requestTrailers = trailers;
  }

  /** The response trailers, empty when there are none or they have not arrived. Read-only. */
  public Headers responseTrailers() {
    Headers t = responseTrailers;
    return t == null ? new Headers() : t;
  }

  /** Sets the response trailers when they arrive (for the state machine). */
  public void setResponseTrailers(Headers trailers) {
    this.responseTrailers = trailers;
  }
}
