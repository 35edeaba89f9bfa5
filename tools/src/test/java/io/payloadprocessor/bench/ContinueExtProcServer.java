package io.payloadprocessor.bench;

import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A trivial ext_proc server on 127.0.0.1 for driving the load driver and h2load in tests: answers
 * every message with an empty (CONTINUE) response of the matching kind, or fails, or answers
 * ImmediateResponse; finishes with OK when the client half-closes (what h2load needs). Records the
 * message sequence of each stream so tests can check the driver behaves like Envoy.
 */
final class ContinueExtProcServer implements AutoCloseable {

  enum Behaviour {
    CONTINUE,
    FAIL,
    IMMEDIATE
  }

  private final Server server;
  private static final int MAX_RECORDED_STREAMS = 10_000;

  private final Queue<List<String>> streams = new ConcurrentLinkedQueue<>();
  private final AtomicInteger recorded = new AtomicInteger();

  ContinueExtProcServer(int port, Behaviour behaviour) throws IOException {
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
            .addService(new Service(behaviour))
            .build()
            .start();
  }

  int port() {
    return server.getPort();
  }

  /** The messages of every stream seen so far, e.g. {@code [REQUEST_HEADERS eos=false ...]}. */
  List<List<String>> streams() {
    List<List<String>> copy = new ArrayList<>();
    for (List<String> seen : streams) {
      synchronized (seen) {
        copy.add(List.copyOf(seen));
      }
    }
    return copy;
  }

  @Override
  public void close() {
    try {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Manual benchmarks (h2load, the load driver): {@code ContinueExtProcServer [port
   * [CONTINUE|FAIL|IMMEDIATE]]}; runs until killed.
   */
  public static void main(String[] args) throws Exception {
    LoadCommand.quietLibraryLogs();
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 9002;
    Behaviour behaviour = args.length > 1 ? Behaviour.valueOf(args[1]) : Behaviour.CONTINUE;
    ContinueExtProcServer s = new ContinueExtProcServer(port, behaviour);
    System.out.println("ext_proc " + behaviour + " server on 127.0.0.1:" + s.port());
    s.server.awaitTermination();
  }

  private final class Service extends ExternalProcessorGrpc.ExternalProcessorImplBase {
    private final Behaviour behaviour;

    Service(Behaviour behaviour) {
      this.behaviour = behaviour;
    }

    @Override
    public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
      List<String> seen = new ArrayList<>();
      if (recorded.incrementAndGet() <= MAX_RECORDED_STREAMS) {
        streams.add(seen); // bounded: main() may serve millions of h2load streams
      }
      return new StreamObserver<>() {
        private boolean closed;

        @Override
        public void onNext(ProcessingRequest request) {
          synchronized (seen) {
            seen.add(describe(request));
          }
          if (closed) {
            return;
          }
          switch (behaviour) {
            case FAIL -> {
              closed = true;
              out.onError(Status.INTERNAL.withDescription("test failure").asRuntimeException());
            }
            case IMMEDIATE ->
                out.onNext(
                    ProcessingResponse.newBuilder()
                        .setImmediateResponse(
                            ImmediateResponse.newBuilder()
                                .setStatus(HttpStatus.newBuilder().setCode(StatusCode.Forbidden)))
                        .build());
            case CONTINUE -> out.onNext(continueFor(request));
          }
        }

        @Override
        public void onError(Throwable t) {
          synchronized (seen) {
            seen.add("cancel");
          }
        }

        @Override
        public void onCompleted() {
          synchronized (seen) {
            seen.add("half-close");
          }
          if (!closed) {
            closed = true;
            out.onCompleted();
          }
        }
      };
    }
  }

  private static String describe(ProcessingRequest r) {
    String eos =
        switch (r.getRequestCase()) {
          case REQUEST_HEADERS -> " eos=" + r.getRequestHeaders().getEndOfStream();
          case RESPONSE_HEADERS -> " eos=" + r.getResponseHeaders().getEndOfStream();
          case REQUEST_BODY -> " eos=" + r.getRequestBody().getEndOfStream();
          case RESPONSE_BODY -> " eos=" + r.getResponseBody().getEndOfStream();
          default -> "";
        };
    return r.getRequestCase() + eos + (r.hasProtocolConfig() ? " protocol_config" : "");
  }

  private static ProcessingResponse continueFor(ProcessingRequest r) {
    ProcessingResponse.Builder b = ProcessingResponse.newBuilder();
    switch (r.getRequestCase()) {
      case REQUEST_HEADERS -> b.setRequestHeaders(HeadersResponse.getDefaultInstance());
      case RESPONSE_HEADERS -> b.setResponseHeaders(HeadersResponse.getDefaultInstance());
      case REQUEST_BODY -> b.setRequestBody(BodyResponse.getDefaultInstance());
      case RESPONSE_BODY -> b.setResponseBody(BodyResponse.getDefaultInstance());
      default -> throw new IllegalArgumentException("unexpected " + r.getRequestCase());
    }
    return b.build();
  }
}
