package io.payloadprocessor.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.payloadprocessor.envoysim.PassThroughProcessor;
import io.payloadprocessor.spi.GoDuration;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A misbehaving ext_proc backend for conformance cases: {@code {delay: 3s}} answers every message
 * (unchanged) only after the delay; {@code {grpcStatus: UNAVAILABLE}} fails every stream with that
 * status; {@code {unreachable: true}} is an address where nothing listens.
 */
final class FaultBackend implements AutoCloseable {
  private final Server server;
  private final String address;
  private final ScheduledExecutorService timer;

  private FaultBackend(Server server, String address, ScheduledExecutorService timer) {
    this.server = server;
    this.address = address;
    this.timer = timer;
  }

  String address() {
    return address;
  }

  static FaultBackend start(JsonNode fault) throws IOException {
    if (fault.path("unreachable").asBoolean(false)) {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort(); // closed again: nothing listens there
      }
      return new FaultBackend(null, "127.0.0.1:" + port, null);
    }
    ExternalProcessorGrpc.ExternalProcessorImplBase service;
    ScheduledExecutorService timer = null;
    if (fault.has("grpcStatus")) {
      Status status =
          Status.fromCode(Status.Code.valueOf(fault.get("grpcStatus").asText()))
              .withDescription("injected fault");
      service =
          new ExternalProcessorGrpc.ExternalProcessorImplBase() {
            @Override
            public StreamObserver<ProcessingRequest> process(
                StreamObserver<ProcessingResponse> out) {
              return new StreamObserver<>() {
                private boolean failed;

                @Override
                public void onNext(ProcessingRequest value) {
                  if (!failed) {
                    failed = true;
                    out.onError(status.asRuntimeException());
                  }
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
              };
            }
          };
    } else if (fault.has("delay")) {
      Duration delay = GoDuration.parse(fault.get("delay").asText());
      ScheduledExecutorService t = Executors.newSingleThreadScheduledExecutor();
      timer = t;
      PassThroughProcessor pass = new PassThroughProcessor();
      service =
          new ExternalProcessorGrpc.ExternalProcessorImplBase() {
            @Override
            public StreamObserver<ProcessingRequest> process(
                StreamObserver<ProcessingResponse> out) {
              StreamObserver<ProcessingResponse> delayed =
                  new StreamObserver<>() {
                    @Override
                    public void onNext(ProcessingResponse r) {
                      var unused =
                          t.schedule(
                              () -> {
                                try {
                                  out.onNext(r);
                                } catch (RuntimeException closed) {
                                  // the caller gave up long ago
                                }
                              },
                              delay.toMillis(),
                              TimeUnit.MILLISECONDS);
                    }

                    @Override
                    public void onError(Throwable e) {}

                    @Override
                    public void onCompleted() {}
                  };
              return pass.process(delayed);
            }
          };
    } else {
      throw new IOException("fault: one of delay, grpcStatus, unreachable");
    }
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(service)
            .build()
            .start();
    return new FaultBackend(s, "127.0.0.1:" + s.getPort(), timer);
  }

  @Override
  public void close() {
    if (server != null) {
      try {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
