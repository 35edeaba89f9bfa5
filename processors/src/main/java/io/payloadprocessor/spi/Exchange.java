package io.payloadprocessor.spi;

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
}
