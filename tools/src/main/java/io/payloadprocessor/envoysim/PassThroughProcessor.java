package io.payloadprocessor.envoysim;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.grpc.stub.StreamObserver;

/**
 * A well-behaved no-op ext_proc server: answers every message with the matching empty response
 * ("continue unchanged"), echoes body chunks back as {@code streamed_response} in
 * FULL_DUPLEX_STREAMED mode, answers nothing in observability mode, and finishes the call with OK
 * when Envoy half-closes. The benchmarks' no-op floor.
 */
public final class PassThroughProcessor extends ExternalProcessorGrpc.ExternalProcessorImplBase {
  private static final int MAX_STREAMED_CHUNK = 64 * 1024;

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
    return new StreamObserver<>() {
      private boolean requestDuplex;
      private boolean responseDuplex;

      @Override
      public void onNext(ProcessingRequest r) {
        if (r.hasProtocolConfig()) {
          requestDuplex =
              r.getProtocolConfig().getRequestBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED;
          responseDuplex =
              r.getProtocolConfig().getResponseBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED;
        }
        if (r.getObservabilityMode()) {
          return;
        }
        ProcessingResponse.Builder b = ProcessingResponse.newBuilder();
        switch (r.getRequestCase()) {
          case REQUEST_HEADERS -> b.setRequestHeaders(HeadersResponse.getDefaultInstance());
          case RESPONSE_HEADERS -> b.setResponseHeaders(HeadersResponse.getDefaultInstance());
          case REQUEST_TRAILERS -> b.setRequestTrailers(TrailersResponse.getDefaultInstance());
          case RESPONSE_TRAILERS -> b.setResponseTrailers(TrailersResponse.getDefaultInstance());
          case REQUEST_BODY -> {
            if (requestDuplex) {
              echo(r.getRequestBody(), true);
              return;
            }
            b.setRequestBody(BodyResponse.getDefaultInstance());
          }
          case RESPONSE_BODY -> {
            if (responseDuplex) {
              echo(r.getResponseBody(), false);
              return;
            }
            b.setResponseBody(BodyResponse.getDefaultInstance());
          }
          default -> {
            return;
          }
        }
        out.onNext(b.build());
      }

      private void echo(HttpBody body, boolean request) {
        ByteString data = body.getBody();
        int offset = 0;
        do {
          int end = Math.min(data.size(), offset + MAX_STREAMED_CHUNK);
          boolean last = end == data.size();
          BodyResponse br =
              BodyResponse.newBuilder()
                  .setResponse(
                      CommonResponse.newBuilder()
                          .setBodyMutation(
                              BodyMutation.newBuilder()
                                  .setStreamedResponse(
                                      StreamedBodyResponse.newBuilder()
                                          .setBody(data.substring(offset, end))
                                          .setEndOfStream(last && body.getEndOfStream()))))
                  .build();
          ProcessingResponse.Builder b = ProcessingResponse.newBuilder();
          out.onNext((request ? b.setRequestBody(br) : b.setResponseBody(br)).build());
          offset = end;
        } while (offset < data.size());
      }

      @Override
      public void onError(Throwable t) {
        // CANCELLED at the end of every exchange is normal: Envoy resets the stream.
      }

      @Override
      public void onCompleted() {
        out.onCompleted();
      }
    };
  }
}
