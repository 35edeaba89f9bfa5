package io.payloadprocessor.envoysim;

import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.nio.charset.StandardCharsets;

/** Small builders for ext_proc messages used by the tests. */
final class Protos {
  private Protos() {}

  /**
   * Envoy's defaults except a 5 s message timeout, so that a cold JVM on a loaded machine cannot
   * turn a test into a 504; tests about timeouts set their own.
   */
  static EnvoyFilterConfig.Builder cfg() {
    return EnvoyFilterConfig.builder().messageTimeout(java.time.Duration.ofSeconds(5));
  }

  static HeaderValueOption set(String key, String rawValue) {
    return HeaderValueOption.newBuilder()
        .setHeader(
            HeaderValue.newBuilder().setKey(key).setRawValue(ByteString.copyFromUtf8(rawValue)))
        .build();
  }

  @SuppressWarnings("deprecation") // Envoy 1.34 reads only the deprecated append field
  static HeaderValueOption append(String key, String rawValue) {
    return set(key, rawValue).toBuilder().setAppend(BoolValue.of(true)).build();
  }

  static HeaderMutation mutation(HeaderValueOption... sets) {
    return HeaderMutation.newBuilder().addAllSetHeaders(java.util.List.of(sets)).build();
  }

  static ProcessingResponse requestHeaders(CommonResponse common) {
    return ProcessingResponse.newBuilder()
        .setRequestHeaders(HeadersResponse.newBuilder().setResponse(common))
        .build();
  }

  static ProcessingResponse responseHeaders(CommonResponse common) {
    return ProcessingResponse.newBuilder()
        .setResponseHeaders(HeadersResponse.newBuilder().setResponse(common))
        .build();
  }

  static ProcessingResponse requestBody(CommonResponse common) {
    return ProcessingResponse.newBuilder()
        .setRequestBody(BodyResponse.newBuilder().setResponse(common))
        .build();
  }

  static ProcessingResponse responseBody(CommonResponse common) {
    return ProcessingResponse.newBuilder()
        .setResponseBody(BodyResponse.newBuilder().setResponse(common))
        .build();
  }

  static CommonResponse headersOnly(HeaderMutation m) {
    return CommonResponse.newBuilder().setHeaderMutation(m).build();
  }

  static CommonResponse body(String newBody) {
    return CommonResponse.newBuilder()
        .setBodyMutation(BodyMutation.newBuilder().setBody(ByteString.copyFromUtf8(newBody)))
        .build();
  }

  static ProcessingResponse immediate(ImmediateResponse.Builder ir) {
    return ProcessingResponse.newBuilder().setImmediateResponse(ir).build();
  }

  static String bodyOf(ProcessingRequest r) {
    return switch (r.getRequestCase()) {
      case REQUEST_BODY -> r.getRequestBody().getBody().toString(StandardCharsets.UTF_8);
      case RESPONSE_BODY -> r.getResponseBody().getBody().toString(StandardCharsets.UTF_8);
      default -> throw new IllegalArgumentException("not a body: " + r.getRequestCase());
    };
  }

  static String header(HttpHeaders h, String name) {
    return h.getHeaders().getHeadersList().stream()
        .filter(v -> v.getKey().equals(name))
        .map(v -> v.getRawValue().toString(StandardCharsets.UTF_8))
        .findFirst()
        .orElse(null);
  }

  static ProcessingMode mode(
      BodySendMode requestBody, BodySendMode responseBody, HeaderSendMode trailers) {
    return EnvoyFilterConfig.DEFAULT_MODE.toBuilder()
        .setRequestBodyMode(requestBody)
        .setResponseBodyMode(responseBody)
        .setRequestTrailerMode(trailers)
        .setResponseTrailerMode(trailers)
        .build();
  }

  static java.util.List<ProcessingRequest.RequestCase> cases(java.util.List<ProcessingRequest> rs) {
    return rs.stream().map(ProcessingRequest::getRequestCase).toList();
  }
}
