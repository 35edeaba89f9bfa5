package io.payloadprocessor.server.grpc;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.StreamObserver;
import io.payloadprocessor.server.ServerContext;
import io.payloadprocessor.server.pipeline.Pipeline;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code envoy.service.ext_proc.v3.ExternalProcessor}: one {@link ExchangeStream} per call. */
public final class ExtProcService extends ExternalProcessorGrpc.ExternalProcessorImplBase {
  private static final Context.Key<Map<String, String>> STREAM_METADATA =
      Context.key("payload-processor-stream-metadata");

  /** gRPC initial-metadata keys the server reads (route and stage selection). */
  private static final List<Metadata.Key<String>> READ_KEYS =
      List.of(
          Metadata.Key.of(Pipeline.ROUTE_METADATA_KEY, Metadata.ASCII_STRING_MARSHALLER),
          Metadata.Key.of(Pipeline.STAGE_METADATA_KEY, Metadata.ASCII_STRING_MARSHALLER));

  private final ServerContext ctx;

  public ExtProcService(ServerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public StreamObserver<ProcessingRequest> process(
      StreamObserver<ProcessingResponse> responseObserver) {
    Map<String, String> md = STREAM_METADATA.get();
    return new ExchangeStream(ctx, responseObserver, md == null ? Map.of() : md);
  }

  /**
   * Copies the initial metadata Envoy sends per route into the call's context. A call without any
   * (the common case) is not wrapped: a contextualised listener attaches and detaches the context
   * around every message.
   */
  public static ServerInterceptor metadataInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        Map<String, String> md = null;
        for (Metadata.Key<String> key : READ_KEYS) {
          String v = headers.get(key);
          if (v != null) {
            if (md == null) {
              md = new HashMap<>(2);
            }
            md.put(key.originalName(), v);
          }
        }
        if (md == null) {
          return next.startCall(call, headers);
        }
        Context c = Context.current().withValue(STREAM_METADATA, Map.copyOf(md));
        return Contexts.interceptCall(c, call, headers, next);
      }
    };
  }
}
