package io.payloadprocessor.envoysim;

import com.google.protobuf.Struct;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The filter's gRPC stream to the external processor, opened, written and closed as Envoy's {@code
 * client_impl.cc} does. gRPC callbacks only enqueue {@link Event}s; the exchange's loop takes them
 * with {@link #poll} on its own thread, as Envoy's worker would.
 */
final class ExtProcClientStream {
  private static final ScheduledExecutorService DEFERRED_CLOSER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "envoysim-deferred-close");
            t.setDaemon(true);
            return t;
          });

  /** The key under which Envoy's ext_proc filter sends its evaluated attributes. */
  static final String ATTRIBUTES_KEY = "envoy.filters.http.ext_proc";

  sealed interface Event permits GrpcMessage, GrpcError, GrpcClosed {}

  record GrpcMessage(ProcessingResponse response) implements Event {}

  record GrpcError(Status status) implements Event {}

  record GrpcClosed() implements Event {}

  private final Channel channel;
  private final EnvoyFilterConfig config;
  private final EnvoyDebugLog trace;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private ClientCallStreamObserver<ProcessingRequest> stream;
  private boolean closed;
  private boolean firstMessage = true;
  private boolean requestAttributesSent;
  private boolean responseAttributesSent;

  /** How the server ended the call (a gRPC code name such as OK); null while it has not. */
  private String closeStatus;

  ExtProcClientStream(Channel channel, EnvoyFilterConfig config, EnvoyDebugLog trace) {
    this.channel = channel;
    this.config = config;
    this.trace = trace;
  }

  /** Whether Envoy closed (or reset) its side of the stream. */
  boolean isClosed() {
    return closed;
  }

  String closeStatus() {
    return closeStatus;
  }

  /** Records how the server ended the call. */
  void closedWith(String status) {
    closeStatus = status;
  }

  /** The next event, waiting up to {@code nanos}; null if none came. */
  Event poll(long nanos) throws InterruptedException {
    return events.poll(nanos, TimeUnit.NANOSECONDS);
  }

  /** Opens the stream on first use (Envoy opens it lazily, with the initial metadata). */
  void open() {
    if (stream == null) {
      io.grpc.Metadata md = new io.grpc.Metadata();
      config
          .grpcInitialMetadata()
          .forEach(
              (k, v) ->
                  md.put(io.grpc.Metadata.Key.of(k, io.grpc.Metadata.ASCII_STRING_MARSHALLER), v));
      ExternalProcessorGrpc.ExternalProcessorStub stub =
          ExternalProcessorGrpc.newStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
      ClientResponseObserver<ProcessingRequest, ProcessingResponse> observer =
          new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<ProcessingRequest> requestStream) {
              stream = requestStream;
            }

            @Override
            public void onNext(ProcessingResponse value) {
              events.add(new GrpcMessage(value));
            }

            @Override
            public void onError(Throwable t) {
              events.add(new GrpcError(Status.fromThrowable(t)));
            }

            @Override
            public void onCompleted() {
              events.add(new GrpcClosed());
            }
          };
      stub.process(observer);
      trace.note("ext_proc stream opened");
    }
  }

  /** Writes one message; the first carries the protocol configuration, attributes ride once. */
  void send(ProcessingRequest.Builder b) {
    boolean request =
        switch (b.getRequestCase()) {
          case REQUEST_HEADERS, REQUEST_BODY, REQUEST_TRAILERS -> true;
          default -> false;
        };
    // Attributes ride on the first message of each direction only.
    Struct attributes = request ? config.requestAttributes() : config.responseAttributes();
    if (attributes.getFieldsCount() > 0
        && (request ? !requestAttributesSent : !responseAttributesSent)) {
      b.putAttributes(ATTRIBUTES_KEY, attributes);
    }
    if (request) {
      requestAttributesSent = true;
    } else {
      responseAttributesSent = true;
    }
    if (firstMessage) {
      ProcessingMode m = config.processingMode();
      b.setProtocolConfig(
          ProtocolConfiguration.newBuilder()
              .setRequestBodyMode(m.getRequestBodyMode())
              .setResponseBodyMode(m.getResponseBodyMode())
              .setSendBodyWithoutWaitingForHeaderResponse(
                  config.sendBodyWithoutWaitingForHeaderResponse()));
      firstMessage = false;
    }
    ProcessingRequest msg = b.build();
    if (trace.enabled()) {
      trace.note("-> " + EnvoyDebugLog.summarize(msg));
    }
    try {
      stream.onNext(msg);
    } catch (RuntimeException e) {
      // The call already failed; its error arrives as an event.
      trace.note("send failed: " + e.getClass().getSimpleName());
    }
  }

  /** Envoy's closeStream: END_STREAM then RST_STREAM (the server sees CANCELLED). */
  void close() {
    if (stream == null || closed) {
      return;
    }
    closed = true;
    trace.note("-> END_STREAM + RST_STREAM");
    ClientCallStreamObserver<ProcessingRequest> s = stream;
    try {
      s.onCompleted();
    } catch (RuntimeException e) {
      // already closed by the server
    }
    s.cancel("envoy closed the ext_proc stream", null);
  }

  /** At the end of the exchange: close as Envoy would in this configuration. */
  void finish() {
    if (stream == null || closed) {
      return;
    }
    if (config.observabilityMode() && !config.deferredCloseTimeout().isZero()) {
      closed = true;
      ClientCallStreamObserver<ProcessingRequest> s = stream;
      trace.note("deferred close in " + config.deferredCloseTimeout().toMillis() + " ms");
      var unused =
          DEFERRED_CLOSER.schedule(
              () -> {
                try {
                  s.onCompleted();
                } catch (RuntimeException e) {
                  // already closed
                }
                s.cancel("envoy deferred close", null);
              },
              config.deferredCloseTimeout().toMillis(),
              TimeUnit.MILLISECONDS);
      return;
    }
    if (config.gracefulGrpcClose() && closeStatus == null) {
      gracefulClose();
      return;
    }
    close();
  }

  /**
   * Runtime {@code ext_proc_graceful_grpc_close}: half-close, wait up to 1000 ms for the server to
   * finish the call, then reset it.
   */
  private void gracefulClose() {
    trace.note("-> END_STREAM (graceful close, waiting up to 1000 ms)");
    try {
      stream.onCompleted();
    } catch (RuntimeException e) {
      // already closed by the server
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
    try {
      while (closeStatus == null) {
        long left = deadline - System.nanoTime();
        Event ev = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
        if (ev == null) {
          break;
        }
        if (ev instanceof GrpcClosed) {
          closeStatus = "OK";
          trace.note("<- server finished the call with OK");
        } else if (ev instanceof GrpcError e) {
          closeStatus = e.status().getCode().name();
          trace.note("<- server finished the call with " + closeStatus);
        } else if (ev instanceof GrpcMessage m && trace.enabled()) {
          trace.note("<- (ignored after end of exchange) " + EnvoyDebugLog.summarize(m.response()));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closed = true;
    if (closeStatus == null) {
      trace.note("-> RST_STREAM (server did not finish in time)");
    }
    stream.cancel("envoy graceful close timed out", null);
  }
}
