package io.payloadprocessor.server.extprocess;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.payloadprocessor.spi.BackendException;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * GEP-5091 {@code ExtProcess}: the server is itself an ext_proc client of a remote backend and
 * drives it the way Envoy drives a BUFFERED exchange (headers, wait for the answer, then the whole
 * body), once for the request and, on a separate stream, once for the response. The backend's
 * mutations are applied under Envoy's default mutation rules; its immediate response becomes the
 * exchange's answer (a status of 400 or more becomes a rejection record naming this processor). A
 * gRPC error or an unreachable backend is a {@link BackendException} (502 when FailClosed).
 *
 * <p>Asynchronous ({@link Execution#ASYNC}): the call is started and its future returned at once;
 * no thread waits for the backend. When the runner cancels the future (the step's deadline passed,
 * or Envoy reset the exchange), the backend stream is cancelled too. Neighbouring ExtProcess steps
 * may run concurrently ({@link #mayRunConcurrently()}). After an UNAVAILABLE failure the channel's
 * reconnect backoff is reset (at most once a second), so a backend that comes back is used again at
 * once instead of after gRPC's exponential backoff (up to minutes).
 */
public final class ExtProcessProcessor implements Processor {
  private static final long BACKOFF_RESET_INTERVAL_NANOS = 1_000_000_000L;

  private final String target;
  private final ManagedChannel channel;
  private final ExternalProcessorGrpc.ExternalProcessorStub stub;
  private final AtomicLong lastBackoffReset = new AtomicLong(System.nanoTime());

  public ExtProcessProcessor(String target, ManagedChannel channel) {
    this.target = target;
    this.channel = channel;
    this.stub = ExternalProcessorGrpc.newStub(channel);
  }

  @Override
  public boolean handlesResponse() {
    return true;
  }

  @Override
  public boolean runsWithoutBody() {
    return true;
  }

  @Override
  public Execution execution() {
    return Execution.ASYNC;
  }

  @Override
  public boolean mayRunConcurrently() {
    return true;
  }

  @Override
  public CompletionStage<Outcome> onRequestAsync(Exchange exchange) {
    return call(exchange.request(), Direction.REQUEST);
  }

  @Override
  public CompletionStage<Outcome> onResponseAsync(Exchange exchange) {
    return call(exchange.response(), Direction.RESPONSE);
  }

  /** Waits for {@link #onRequestAsync}: for callers that may block (batch, tests). */
  @Override
  public Outcome onRequest(Exchange exchange) throws Exception {
    return await(call(exchange.request(), Direction.REQUEST));
  }

  @Override
  public Outcome onResponse(Exchange exchange) throws Exception {
    return await(call(exchange.response(), Direction.RESPONSE));
  }

  private static Outcome await(CompletableFuture<Outcome> f) throws Exception {
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw e;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception ex) {
        throw ex;
      }
      throw e;
    }
  }

  private CompletableFuture<Outcome> call(MessageView message, Direction dir) {
    boolean hasBody = message.hasBody();
    Headers current = message.headers().copy();
    byte[] body = message.rawBody();
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    Driver driver = new Driver(dir, current, body, hasBody, result);
    var unused =
        result.whenComplete(
            (o, t) -> {
              if (t instanceof CancellationException) {
                driver.cancel("cancelled by the pipeline (timeout or exchange reset)");
              }
            });
    stub.process(driver);
    driver.start();
    return result;
  }

  private void resetBackoff() {
    long last = lastBackoffReset.get();
    long now = System.nanoTime();
    if (now - last > BACKOFF_RESET_INTERVAL_NANOS && lastBackoffReset.compareAndSet(last, now)) {
      channel.resetConnectBackoff();
    }
  }

  /** Plays Envoy's side of one BUFFERED direction. */
  private final class Driver
      implements ClientResponseObserver<ProcessingRequest, ProcessingResponse> {
    private final Direction dir;
    private final Headers headers;
    private final Headers original;
    private final byte[] body;
    private final boolean hasBody;
    private final CompletableFuture<Outcome> result;
    private ClientCallStreamObserver<ProcessingRequest> requests;
    private boolean headersAnswered;
    private byte[] newBody;

    Driver(
        Direction dir,
        Headers headers,
        byte[] body,
        boolean hasBody,
        CompletableFuture<Outcome> result) {
      this.dir = dir;
      this.headers = headers;
      this.original = headers.copy();
      this.body = body;
      this.hasBody = hasBody;
      this.result = result;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ProcessingRequest> stream) {
      this.requests = stream;
    }

    synchronized void cancel(String why) {
      if (requests != null) {
        requests.cancel(why, null);
      }
    }

    private synchronized void start() {
      io.envoyproxy.envoy.config.core.v3.HeaderMap.Builder hm =
          io.envoyproxy.envoy.config.core.v3.HeaderMap.newBuilder();
      headers
          .asMap()
          .forEach(
              (k, vs) ->
                  vs.forEach(
                      v ->
                          hm.addHeaders(
                              HeaderValue.newBuilder()
                                  .setKey(k)
                                  .setRawValue(ByteString.copyFrom(v, StandardCharsets.UTF_8)))));
      HttpHeaders h = HttpHeaders.newBuilder().setHeaders(hm).setEndOfStream(!hasBody).build();
      ProcessingRequest.Builder r =
          ProcessingRequest.newBuilder()
              .setProtocolConfig(
                  ProtocolConfiguration.newBuilder()
                      .setRequestBodyMode(BodySendMode.BUFFERED)
                      .setResponseBodyMode(BodySendMode.BUFFERED));
      if (dir == Direction.REQUEST) {
        r.setRequestHeaders(h);
      } else {
        r.setResponseHeaders(h);
      }
      requests.onNext(r.build());
    }

    @Override
    public synchronized void onNext(ProcessingResponse resp) {
      if (result.isDone()) {
        return;
      }
      try {
        handle(resp);
      } catch (RuntimeException e) {
        finishWith(new BackendException("backend " + target + " answered badly: " + e, e));
      }
    }

    private void handle(ProcessingResponse resp) {
      if (resp.hasImmediateResponse()) {
        finish(immediate(resp.getImmediateResponse()));
        return;
      }
      boolean headersCase =
          dir == Direction.REQUEST ? resp.hasRequestHeaders() : resp.hasResponseHeaders();
      boolean bodyCase = dir == Direction.REQUEST ? resp.hasRequestBody() : resp.hasResponseBody();
      if (!headersAnswered && headersCase) {
        headersAnswered = true;
        CommonResponse cr =
            (dir == Direction.REQUEST ? resp.getRequestHeaders() : resp.getResponseHeaders())
                .getResponse();
        apply(cr.getHeaderMutation());
        if (cr.getStatus() == CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE) {
          applyBody(cr.getBodyMutation());
          headers.remove("content-length");
          finish(continueOutcome());
          return;
        }
        if (!hasBody) {
          finish(continueOutcome());
          return;
        }
        HttpBody b =
            HttpBody.newBuilder().setBody(ByteString.copyFrom(body)).setEndOfStream(true).build();
        requests.onNext(
            dir == Direction.REQUEST
                ? ProcessingRequest.newBuilder().setRequestBody(b).build()
                : ProcessingRequest.newBuilder().setResponseBody(b).build());
        return;
      }
      if (headersAnswered && bodyCase) {
        CommonResponse cr =
            (dir == Direction.REQUEST ? resp.getRequestBody() : resp.getResponseBody())
                .getResponse();
        apply(cr.getHeaderMutation());
        applyBody(cr.getBodyMutation());
        finish(continueOutcome());
        return;
      }
      finishWith(
          new BackendException(
              "backend " + target + " sent an out-of-order message: " + resp.getResponseCase()));
    }

    private void applyBody(BodyMutation bm) {
      switch (bm.getMutationCase()) {
        case BODY -> newBody = bm.getBody().toByteArray();
        case CLEAR_BODY -> newBody = bm.getClearBody() ? new byte[0] : null;
        default -> {}
      }
    }

    /** Envoy's default mutation rules: removes first; routing and system headers untouchable. */
    private void apply(HeaderMutation m) {
      for (String name : m.getRemoveHeadersList()) {
        String n = name.toLowerCase(Locale.ROOT);
        if (!n.startsWith(":") && !n.equals("host") && !n.startsWith("x-envoy-")) {
          headers.remove(n);
        }
      }
      for (HeaderValueOption o : m.getSetHeadersList()) {
        String n = o.getHeader().getKey().toLowerCase(Locale.ROOT);
        String v = o.getHeader().getRawValue().toStringUtf8();
        if (n.equals(":authority")
            || n.equals("host")
            || n.equals(":method")
            || n.equals(":scheme")
            || n.startsWith("x-envoy-")) {
          continue;
        }
        if (n.equals(":status") && !validStatus(v)) {
          continue;
        }
        // Envoy 1.34 reads only the deprecated `append` field; so do we.
        @SuppressWarnings("deprecation")
        boolean append = o.hasAppend() && o.getAppend().getValue();
        if (append && headers.contains(n)) {
          headers.add(n, v);
        } else {
          headers.set(n, v);
        }
      }
    }

    private Outcome continueOutcome() {
      Mutation m = Mutation.create();
      for (String n : original.names()) {
        if (!headers.contains(n)) {
          m.removeHeader(n);
        }
      }
      for (String n : headers.names()) {
        if (!headers.getAll(n).equals(original.getAll(n))) {
          m.setHeader(n, headers.getJoined(n));
        }
      }
      if (newBody != null) {
        m.replaceBody(newBody);
      }
      return Outcome.proceed(m);
    }

    private Outcome immediate(ImmediateResponse ir) {
      int status = ir.getStatus().getCode().getNumber();
      if (status < 200) {
        status = 200; // as Envoy does
      }
      Headers h = new Headers();
      for (HeaderValueOption o : ir.getHeaders().getSetHeadersList()) {
        h.add(o.getHeader().getKey(), o.getHeader().getRawValue().toStringUtf8());
      }
      byte[] b = ir.getBody().toByteArray();
      if (status < 400) {
        return Outcome.respond(status, h, b);
      }
      String detail = ir.getDetails().isEmpty() ? "" : " (" + clip(ir.getDetails()) + ")";
      return Outcome.reject(
          new Block(
              status,
              "rejected_by_backend",
              "",
              "ext_proc backend " + target + " rejected the " + dir.label() + detail,
              false,
              null));
    }

    private void finish(Outcome o) {
      result.complete(o);
      // As Envoy: end the stream and reset it.
      try {
        requests.onCompleted();
      } catch (RuntimeException ignored) {
        // already closed
      }
      requests.cancel("exchange complete", null);
    }

    private void finishWith(Exception e) {
      result.completeExceptionally(e);
      cancel("processing abandoned");
    }

    @Override
    public void onError(Throwable t) {
      if (!result.isDone()) {
        Status s = Status.fromThrowable(t);
        if (s.getCode() == Status.Code.UNAVAILABLE) {
          resetBackoff();
        }
        result.completeExceptionally(
            new BackendException(
                "ext_proc backend "
                    + target
                    + " failed: "
                    + s.getCode()
                    + (s.getDescription() == null ? "" : ": " + clip(s.getDescription())),
                t));
      }
    }

    @Override
    public void onCompleted() {
      if (!result.isDone()) {
        // A backend closing with OK means "continue unmodified" to Envoy.
        result.complete(continueOutcome());
      }
    }
  }

  private static boolean validStatus(String v) {
    try {
      return Integer.parseInt(v.trim()) >= 200;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static String clip(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
