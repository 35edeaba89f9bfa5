package io.payloadprocessor.server;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.grpc.stub.StreamObserver;

/**
 * The benchmark floor: answers every message at once with "continue unchanged" (echoing FULL_DUPLEX
 * chunks, which Envoy does not keep), with no pipeline at all.
 */
final class NoOpStream implements StreamObserver<ProcessingRequest> {
  private final StreamObserver<ProcessingResponse> out;
  private BodySendMode requestMode = BodySendMode.NONE;
  private BodySendMode responseMode = BodySendMode.NONE;

  NoOpStream(StreamObserver<ProcessingResponse> out) {
    this.out = out;
  }

  @Override
  public void onNext(ProcessingRequest m) {
    if (m.hasProtocolConfig()) {
      requestMode = m.getProtocolConfig().getRequestBodyMode();
      responseMode = m.getProtocolConfig().getResponseBodyMode();
    }
    if (m.getObservabilityMode()) {
      return;
    }
    ProcessingResponse.Builder r = ProcessingResponse.newBuilder();
    switch (m.getRequestCase()) {
      case REQUEST_HEADERS -> r.setRequestHeaders(HeadersResponse.getDefaultInstance());
      case RESPONSE_HEADERS -> r.setResponseHeaders(HeadersResponse.getDefaultInstance());
      case REQUEST_BODY ->
          r.setRequestBody(
              body(requestMode, m.getRequestBody().getBody(), m.getRequestBody().getEndOfStream()));
      case RESPONSE_BODY ->
          r.setResponseBody(
              body(
                  responseMode,
                  m.getResponseBody().getBody(),
                  m.getResponseBody().getEndOfStream()));
      case REQUEST_TRAILERS -> r.setRequestTrailers(TrailersResponse.getDefaultInstance());
      case RESPONSE_TRAILERS -> r.setResponseTrailers(TrailersResponse.getDefaultInstance());
      default -> {
        return;
      }
    }
    out.onNext(r.build());
  }

  private static BodyResponse body(
      BodySendMode mode, com.google.protobuf.ByteString chunk, boolean eos) {
    if (mode != BodySendMode.FULL_DUPLEX_STREAMED) {
      return BodyResponse.getDefaultInstance();
    }
    return BodyResponse.newBuilder()
        .setResponse(
            CommonResponse.newBuilder()
                .setBodyMutation(
                    BodyMutation.newBuilder()
                        .setStreamedResponse(
                            StreamedBodyResponse.newBuilder().setBody(chunk).setEndOfStream(eos))))
        .build();
  }

  @Override
  public void onError(Throwable t) {}

  @Override
  public void onCompleted() {
    out.onCompleted();
  }
}
