package io.payloadprocessor.envoysim;

import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real gRPC ext_proc server on 127.0.0.1 driven by a per-message script, recording traffic. */
final class FakeExtProc implements AutoCloseable {
  /** Reacts to one ProcessingRequest. */
  @FunctionalInterface
  interface Script {
    void onMessage(ProcessingRequest request, Call call);
  }

  /** The server side of one ext_proc call. */
  static final class Call {
    private final StreamObserver<ProcessingResponse> out;
    final List<ProcessingRequest> received = new CopyOnWriteArrayList<>();

    Call(StreamObserver<ProcessingResponse> out) {
      this.out = out;
    }

    synchronized void reply(ProcessingResponse r) {
      out.onNext(r);
    }

    synchronized void finish() {
      out.onCompleted();
    }

    synchronized void fail(Status s) {
      out.onError(s.asRuntimeException());
    }
  }

  final List<ProcessingRequest> received = new CopyOnWriteArrayList<>();
  final BlockingQueue<String> endings = new LinkedBlockingQueue<>();
  final BlockingQueue<Metadata> callHeaders = new LinkedBlockingQueue<>();
  private final Server server;
  final ManagedChannel channel;

  private FakeExtProc(BindableService service) {
    ServerInterceptor capture =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            callHeaders.add(headers);
            return next.startCall(call, headers);
          }
        };
    try {
      server =
          NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
              .addService(ServerInterceptors.intercept(service, capture))
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  /** A server running the script for every message. */
  static FakeExtProc start(Script script) {
    FakeExtProc[] self = new FakeExtProc[1];
    BindableService svc =
        new ExternalProcessorGrpc.ExternalProcessorImplBase() {
          @Override
          public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
            Call call = new Call(out);
            ((ServerCallStreamObserver<ProcessingResponse>) out)
                .setOnCancelHandler(() -> self[0].endings.add("CANCELLED"));
            return new StreamObserver<>() {
              @Override
              public void onNext(ProcessingRequest value) {
                self[0].received.add(value);
                call.received.add(value);
                script.onMessage(value, call);
              }

              @Override
              public void onError(Throwable t) {
                self[0].endings.add("error:" + Status.fromThrowable(t).getCode());
              }

              @Override
              public void onCompleted() {
                self[0].endings.add("half-close");
              }
            };
          }
        };
    self[0] = new FakeExtProc(svc);
    return self[0];
  }

  /** A server running a ready-made service (e.g. {@link PassThroughProcessor}). */
  static FakeExtProc serving(BindableService service) {
    return new FakeExtProc(service);
  }

  EnvoySim sim(EnvoyFilterConfig config) {
    return new EnvoySim(channel, config);
  }

  /** Waits (bounded) until the server observed an ending containing the given text. */
  boolean awaitEnding(String text) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      String e = endings.poll(100, TimeUnit.MILLISECONDS);
      if (e != null) {
        if (e.contains(text)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The matching empty response ("continue unchanged") for a request. */
  static ProcessingResponse continueFor(ProcessingRequest r) {
    ProcessingResponse.Builder b = ProcessingResponse.newBuilder();
    return switch (r.getRequestCase()) {
      case REQUEST_HEADERS -> b.setRequestHeaders(HeadersResponse.getDefaultInstance()).build();
      case RESPONSE_HEADERS -> b.setResponseHeaders(HeadersResponse.getDefaultInstance()).build();
      case REQUEST_BODY -> b.setRequestBody(BodyResponse.getDefaultInstance()).build();
      case RESPONSE_BODY -> b.setResponseBody(BodyResponse.getDefaultInstance()).build();
      case REQUEST_TRAILERS -> b.setRequestTrailers(TrailersResponse.getDefaultInstance()).build();
      case RESPONSE_TRAILERS ->
          b.setResponseTrailers(TrailersResponse.getDefaultInstance()).build();
      default -> throw new IllegalStateException("no request oneof");
    };
  }

  /** A script answering every message with continue. */
  static Script continueAll() {
    return (r, call) -> call.reply(continueFor(r));
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
