package io.payloadprocessor.server.grpc;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.payloadprocessor.server.pipeline.PipelineRunner;
import io.payloadprocessor.server.pipeline.Rejections;
import io.payloadprocessor.spi.Direction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the ProcessingResponses the state machine sends: one method per kind of answer, each for
 * either direction, with our dynamic metadata attached where given. Rules that Envoy enforces on
 * answers are kept here: {@code clear_route_cache} only on the request side and only with a header
 * mutation, FULL_DUPLEX bodies in chunks of at most {@link #MAX_STREAMED_CHUNK} bytes.
 */
final class EnvoyAnswers {
  /** Envoy's limit for one {@code streamed_response} chunk. */
  static final int MAX_STREAMED_CHUNK = 64 * 1024;

  private static final ProcessingResponse EMPTY_REQUEST_HEADERS =
      ProcessingResponse.newBuilder()
          .setRequestHeaders(HeadersResponse.getDefaultInstance())
          .build();
  private static final ProcessingResponse EMPTY_RESPONSE_HEADERS =
      ProcessingResponse.newBuilder()
          .setResponseHeaders(HeadersResponse.getDefaultInstance())
          .build();
  private static final ProcessingResponse EMPTY_REQUEST_BODY =
      ProcessingResponse.newBuilder().setRequestBody(BodyResponse.getDefaultInstance()).build();
  private static final ProcessingResponse EMPTY_RESPONSE_BODY =
      ProcessingResponse.newBuilder().setResponseBody(BodyResponse.getDefaultInstance()).build();

  private EnvoyAnswers() {}

  /** A headers answer that changes nothing. */
  static ProcessingResponse continueHeaders(Direction dir) {
    return dir == Direction.REQUEST ? EMPTY_REQUEST_HEADERS : EMPTY_RESPONSE_HEADERS;
  }

  /**
   * The mode override that has Envoy stream a response body it would buffer (an event stream):
   * Envoy takes both body modes from an override; the request is over, so its mode is moot.
   */
  static ProcessingMode streamResponseBody(ProcessingMode.BodySendMode requestMode) {
    return ProcessingMode.newBuilder()
        .setRequestBodyMode(requestMode)
        .setResponseBodyMode(ProcessingMode.BodySendMode.STREAMED)
        .build();
  }

  /** A headers answer: continue, with these changes (any of which may be empty/null). */
  static ProcessingResponse headers(
      Direction dir,
      HeaderMutation hm,
      boolean clearRouteCache,
      Map<String, Object> metadata,
      ProcessingMode override) {
    if (EnvoyMessages.isEmpty(hm) && metadata.isEmpty() && override == null) {
      return dir == Direction.REQUEST ? EMPTY_REQUEST_HEADERS : EMPTY_RESPONSE_HEADERS;
    }
    HeadersResponse h =
        HeadersResponse.newBuilder().setResponse(common(dir, hm, clearRouteCache)).build();
    ProcessingResponse.Builder r = ProcessingResponse.newBuilder();
    if (dir == Direction.REQUEST) {
      r.setRequestHeaders(h);
    } else {
      r.setResponseHeaders(h);
    }
    if (override != null) {
      r.setModeOverride(override);
    }
    return withMetadata(r, metadata).build();
  }

  /** A body answer: continue, with a body mutation and/or header changes (null: none). */
  static ProcessingResponse body(
      Direction dir,
      BodyMutation bm,
      HeaderMutation hm,
      boolean clearRouteCache,
      Map<String, Object> metadata) {
    if (bm == null && (hm == null || EnvoyMessages.isEmpty(hm)) && metadata.isEmpty()) {
      return dir == Direction.REQUEST ? EMPTY_REQUEST_BODY : EMPTY_RESPONSE_BODY;
    }
    CommonResponse.Builder cr =
        hm == null ? CommonResponse.newBuilder() : common(dir, hm, clearRouteCache).toBuilder();
    if (bm != null) {
      cr.setBodyMutation(bm);
    }
    return withMetadata(bodyResponse(dir, cr.build()).toBuilder(), metadata).build();
  }

  /** A body mutation replacing the body with {@code bytes} ({@code clear_body} when empty). */
  static BodyMutation replace(byte[] bytes) {
    return bytes.length == 0
        ? BodyMutation.newBuilder().setClearBody(true).build()
        : BodyMutation.newBuilder().setBody(ByteString.copyFrom(bytes)).build();
  }

  /**
   * FULL_DUPLEX answers: the bytes in chunks of at most 64 KiB, end_of_stream on the last when
   * {@code eosOnLast}; metadata rides on the first chunk.
   */
  static List<ProcessingResponse> streamed(
      Direction dir, byte[] body, boolean eosOnLast, Map<String, Object> md) {
    List<ProcessingResponse> out = new ArrayList<>(1 + body.length / MAX_STREAMED_CHUNK);
    int off = 0;
    Map<String, Object> metadata = md;
    do {
      int n = Math.min(MAX_STREAMED_CHUNK, body.length - off);
      boolean last = off + n >= body.length;
      CommonResponse cr =
          CommonResponse.newBuilder()
              .setBodyMutation(
                  BodyMutation.newBuilder()
                      .setStreamedResponse(
                          StreamedBodyResponse.newBuilder()
                              .setBody(ByteString.copyFrom(body, off, n))
                              .setEndOfStream(last && eosOnLast)))
              .build();
      out.add(withMetadata(bodyResponse(dir, cr).toBuilder(), metadata).build());
      metadata = Map.of();
      off += n;
    } while (off < body.length);
    return out;
  }

  static ProcessingResponse trailers(Direction dir) {
    ProcessingResponse.Builder r = ProcessingResponse.newBuilder();
    if (dir == Direction.REQUEST) {
      r.setRequestTrailers(TrailersResponse.getDefaultInstance());
    } else {
      r.setResponseTrailers(TrailersResponse.getDefaultInstance());
    }
    return r.build();
  }

  /** The immediate response of a pipeline stop (rejection or synthetic answer). */
  static ProcessingResponse immediate(PipelineRunner.Stop stop) {
    String details =
        stop.rejection() == null
            ? "payload_processor_response"
            : "payload_processor_" + stop.rejection().getReason();
    ProcessingResponse.Builder r =
        ProcessingResponse.newBuilder()
            .setImmediateResponse(
                EnvoyMessages.immediate(stop.status(), stop.headers(), stop.body(), details));
    return withMetadata(r, stop.metadata()).build();
  }

  private static CommonResponse common(Direction dir, HeaderMutation hm, boolean clearRouteCache) {
    CommonResponse.Builder cr = CommonResponse.newBuilder();
    if (hm != null && !EnvoyMessages.isEmpty(hm)) {
      cr.setHeaderMutation(hm);
      // Envoy honours clear_route_cache only on the request side with a header mutation.
      cr.setClearRouteCache(clearRouteCache && dir == Direction.REQUEST);
    }
    return cr.build();
  }

  private static ProcessingResponse bodyResponse(Direction dir, CommonResponse cr) {
    BodyResponse b = BodyResponse.newBuilder().setResponse(cr).build();
    ProcessingResponse.Builder r = ProcessingResponse.newBuilder();
    if (dir == Direction.REQUEST) {
      r.setRequestBody(b);
    } else {
      r.setResponseBody(b);
    }
    return r.build();
  }

  private static ProcessingResponse.Builder withMetadata(
      ProcessingResponse.Builder r, Map<String, Object> md) {
    if (!md.isEmpty()) {
      r.setDynamicMetadata(
          EnvoyMessages.struct(
              Map.of(Rejections.METADATA_NAMESPACE, EnvoyMessages.value(md).getStructValue())));
    }
    return r;
  }
}
