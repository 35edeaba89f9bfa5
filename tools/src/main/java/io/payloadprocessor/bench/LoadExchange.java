package io.payloadprocessor.bench;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc.ExternalProcessorStub;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.TimeUnit;

/**
 * One simulated HTTP exchange on its own ext_proc stream, driven the way Envoy drives it: send a
 * message, wait for its answer, send the next; an ImmediateResponse ends the exchange; the server
 * closing with OK ends it too (Envoy continues unmodified); at the end END_STREAM then RST_STREAM
 * (half-close, then cancel), so the server sees CANCELLED as it does behind Envoy. A {@code
 * mode_override} in a headers answer is honoured as with {@code allow_mode_override: true}.
 */
final class LoadExchange implements ClientResponseObserver<ProcessingRequest, ProcessingResponse> {

  /** How an exchange ended. */
  enum Result {
    OK,
    IMMEDIATE,
    ERROR
  }

  /** Receives the end of an exchange, once. */
  interface Completion {
    void complete(long originNanos, long endNanos, Result result, String errorKind);
  }

  private enum Phase {
    REQUEST_HEADERS,
    REQUEST_BODY,
    RESPONSE_HEADERS,
    RESPONSE_BODY
  }

  private final ExchangeMessages messages;
  private final long originNanos;
  private final Completion completion;
  private ClientCallStreamObserver<ProcessingRequest> call;
  private Phase awaiting;
  private boolean requestBody;
  private boolean responseHeaders;
  private boolean responseBody;
  private boolean finished;

  /**
   * @param originNanos where latency is measured from: the scheduled start (open model), so a
   *     server that falls behind is charged for the queueing it causes, or the actual start
   */
  LoadExchange(
      LoadSettings settings, ExchangeMessages messages, long originNanos, Completion done) {
    this.messages = messages;
    this.originNanos = originNanos;
    this.completion = done;
    this.requestBody = !settings.headersOnly();
    this.responseHeaders = !settings.headersOnly() && !settings.skipResponse();
    this.responseBody = responseHeaders && messages.hasResponseBody();
  }

  void start(ExternalProcessorStub stub, long timeoutNanos) {
    stub.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS).process(this);
    synchronized (this) {
      if (!finished) {
        send(Phase.REQUEST_HEADERS);
      }
    }
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<ProcessingRequest> requestStream) {
    this.call = requestStream;
  }

  @Override
  public synchronized void onNext(ProcessingResponse response) {
    if (finished) {
      return;
    }
    Phase answered;
    switch (response.getResponseCase()) {
      case IMMEDIATE_RESPONSE -> {
        end(Result.IMMEDIATE, null);
        return;
      }
      case REQUEST_HEADERS -> answered = Phase.REQUEST_HEADERS;
      case REQUEST_BODY -> answered = Phase.REQUEST_BODY;
      case RESPONSE_HEADERS -> answered = Phase.RESPONSE_HEADERS;
      case RESPONSE_BODY -> answered = Phase.RESPONSE_BODY;
      case RESPONSE_NOT_SET -> {
        if (response.hasOverrideMessageTimeout()) {
          return; // Allowed on its own: asks for more time, the answer is still due.
        }
        end(Result.ERROR, "spurious");
        return;
      }
      default -> {
        // Trailers answers: this driver never sends trailers.
        end(Result.ERROR, "spurious");
        return;
      }
    }
    if (answered != awaiting) {
      end(Result.ERROR, "spurious");
      return;
    }
    if (response.hasModeOverride()
        && (answered == Phase.REQUEST_HEADERS || answered == Phase.RESPONSE_HEADERS)) {
      applyOverride(response.getModeOverride(), answered);
    }
    Phase next = nextAfter(answered);
    if (next == null) {
      end(Result.OK, null);
    } else {
      send(next);
    }
  }

  @Override
  public synchronized void onError(Throwable t) {
    if (finished) {
      return; // The CANCELLED of our own end-of-exchange reset.
    }
    finished = true;
    completion.complete(
        originNanos, System.nanoTime(), Result.ERROR, Status.fromThrowable(t).getCode().name());
  }

  @Override
  public synchronized void onCompleted() {
    if (finished) {
      return;
    }
    // The server finished with OK: Envoy releases what it holds and continues unmodified.
    finished = true;
    completion.complete(originNanos, System.nanoTime(), Result.OK, null);
  }

  /** Both body modes come from the override (omitted = NONE); header modes only if not DEFAULT. */
  private void applyOverride(ProcessingMode mode, Phase answered) {
    if (answered == Phase.REQUEST_HEADERS) {
      requestBody = requestBody && mode.getRequestBodyMode() != BodySendMode.NONE;
      if (mode.getResponseHeaderMode() == HeaderSendMode.SKIP) {
        responseHeaders = false;
      }
    }
    responseBody = responseBody && mode.getResponseBodyMode() != BodySendMode.NONE;
  }

  @SuppressWarnings("fallthrough") // each phase falls through to the next one that is sent
  private Phase nextAfter(Phase answered) {
    switch (answered) {
      case REQUEST_HEADERS:
        if (requestBody) {
          return Phase.REQUEST_BODY;
        }
      // fall through: no request body, go on with the response
      case REQUEST_BODY:
        if (responseHeaders) {
          return Phase.RESPONSE_HEADERS;
        }
        if (responseBody) {
          return Phase.RESPONSE_BODY;
        }
        return null;
      case RESPONSE_HEADERS:
        return responseBody ? Phase.RESPONSE_BODY : null;
      default:
        return null;
    }
  }

  private void send(Phase phase) {
    awaiting = phase;
    call.onNext(
        switch (phase) {
          case REQUEST_HEADERS -> messages.requestHeaders();
          case REQUEST_BODY -> messages.requestBody();
          case RESPONSE_HEADERS -> messages.responseHeaders();
          case RESPONSE_BODY -> messages.responseBody();
        });
  }

  private void end(Result result, String errorKind) {
    finished = true;
    long now = System.nanoTime();
    call.onCompleted();
    call.cancel("exchange complete", null);
    completion.complete(originNanos, now, result, errorKind);
  }
}
