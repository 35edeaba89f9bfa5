import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark floor: the cheapest correct ext_proc server grpc-java allows. Direct executor (the
 * event loop answers), an empty CONTINUE of the matching kind to every message, OK when the client
 * half-closes. Nothing of payload-processor is in it, so it shares none of our overheads.
 *
 * <p>Single-file program: {@code java -cp payload-processor.jar test/bench/FloorServer.java PORT
 * [DELAY_MS]}. With DELAY_MS, every answer leaves that much later (from a timer, parking no
 * thread): a slow ExtProcess backend for the concurrency benchmark.
 */
public final class FloorServer {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    long delayMs = args.length > 1 ? Long.parseLong(args[1]) : 0;
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
            .directExecutor()
            .addService(
                new ExternalProcessorGrpc.ExternalProcessorImplBase() {
                  @Override
                  public StreamObserver<ProcessingRequest> process(
                      StreamObserver<ProcessingResponse> out) {
                    return new StreamObserver<>() {
                      @Override
                      public void onNext(ProcessingRequest r) {
                        ProcessingResponse answer = answer(r);
                        if (delayMs == 0) {
                          out.onNext(answer);
                        } else {
                          timer.schedule(
                              () -> {
                                synchronized (out) {
                                  try {
                                    out.onNext(answer);
                                  } catch (RuntimeException cancelled) {
                                    // the client gave up
                                  }
                                }
                              },
                              delayMs,
                              TimeUnit.MILLISECONDS);
                        }
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        if (delayMs == 0) {
                          out.onCompleted();
                        } else {
                          timer.schedule(
                              () -> {
                                synchronized (out) {
                                  try {
                                    out.onCompleted();
                                  } catch (RuntimeException cancelled) {
                                    // the client gave up
                                  }
                                }
                              },
                              delayMs,
                              TimeUnit.MILLISECONDS);
                        }
                      }
                    };
                  }
                })
            .build()
            .start();
    System.out.println("floor listening on 127.0.0.1:" + server.getPort());
    server.awaitTermination();
  }

  static ProcessingResponse answer(ProcessingRequest r) {
    ProcessingResponse.Builder b = ProcessingResponse.newBuilder();
    switch (r.getRequestCase()) {
      case REQUEST_HEADERS -> b.setRequestHeaders(HeadersResponse.getDefaultInstance());
      case RESPONSE_HEADERS -> b.setResponseHeaders(HeadersResponse.getDefaultInstance());
      case REQUEST_BODY -> b.setRequestBody(BodyResponse.getDefaultInstance());
      case RESPONSE_BODY -> b.setResponseBody(BodyResponse.getDefaultInstance());
      case REQUEST_TRAILERS -> b.setRequestTrailers(TrailersResponse.getDefaultInstance());
      case RESPONSE_TRAILERS -> b.setResponseTrailers(TrailersResponse.getDefaultInstance());
      default -> {}
    }
    return b.build();
  }
}
