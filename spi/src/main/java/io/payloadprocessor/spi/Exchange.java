package io.payloadprocessor.spi;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP request/response as seen through one ext_proc stream. Processors are stateless
 * singletons; anything they must carry from the request to the response of the same exchange (a
 * cache key, a session id) goes into {@link #attributes()}, keyed by the processor's name.
 *
 * <p>A processor reads the exchange and proposes changes by returning a {@link Mutation}; only the
 * runner changes the messages.
 */
public interface Exchange {
  /** The x-request-id Envoy sent, or one the server generated. */
  String requestId();

  MessageView request();

  /** The response, or null while the request is being processed. */
  @Nullable MessageView response();

  /** The response status from {@code :status}, or 0 before the response. */
  int responseStatus();

  /** gRPC initial metadata Envoy sent on the stream (lower-case keys), e.g. the route name. */
  Map<String, String> routeMetadata();

  /** Per-exchange scratch space shared between a processor's request and response parts. */
  Map<String, Object> attributes();

  /**
   * The attributes Envoy sent for this exchange (the ext_proc filter's {@code request_attributes}
   * and {@code response_attributes}), by attribute name, e.g. {@code source.address} to {@code
   * "192.0.2.7:50432"}, {@code connection.mtls} to {@code true}. Values are as the protobuf Struct
   * carried them: String, Double (every number), Boolean, List or Map. Empty when Envoy sends none.
   */
  Map<String, Object> envoyAttributes();

  /** The request trailers, empty when there are none or they have not arrived. Read-only. */
  Headers requestTrailers();

  /** The response trailers, empty when there are none or they have not arrived. Read-only. */
  Headers responseTrailers();
}
