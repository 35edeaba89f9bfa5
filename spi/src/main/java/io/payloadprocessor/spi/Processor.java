package io.payloadprocessor.spi;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * One processor of a pipeline: a stateless, thread-safe singleton built from its config. The runner
 * calls {@link #onRequest} / {@link #onResponse} once per exchange, in pipeline order, under the
 * processor's timeout and failure mode; per-exchange state lives in the {@link Exchange}.
 */
public interface Processor {

  /** Whether this processor has a request part. */
  default boolean handlesRequest() {
    return true;
  }

  /** Whether this processor has a response part. */
  default boolean handlesResponse() {
    return false;
  }

  /**
   * Whether the request part reads the body. Processors that read the body are skipped (not failed)
   * for requests without one, such as GET /v1/models.
   */
  default boolean readsRequestBody() {
    return true;
  }

  /**
   * Whether the processor still runs on a message without a body (it reads the body only when there
   * is one), instead of being skipped. Remote ext_proc backends do.
   */
  default boolean runsWithoutBody() {
    return false;
  }

  /** Whether the response part reads the body. */
  default boolean readsResponseBody() {
    return true;
  }

  /** Where the runner runs this processor's work; see {@link Execution}. */
  default Execution execution() {
    return Execution.INLINE;
  }

  Outcome onRequest(Exchange exchange) throws Exception;

  default Outcome onResponse(Exchange exchange) throws Exception {
    return Outcome.proceed();
  }

  /**
   * Whether the runner may start this step together with the neighbouring steps that say the same
   * (each {@link Execution#ASYNC}), all on the message as it was before the first of them, instead
   * of one after the other. Results are still taken in pipeline order: the first rejection in order
   * wins, and when an earlier step of the group changed the message, the later ones are run again
   * on the changed message, so the result equals the sequential one. Say true only for a step whose
   * call has no side effect that a repeated call would double (a remote guard).
   */
  default boolean mayRunConcurrently() {
    return false;
  }

  /**
   * The request part of an {@link Execution#ASYNC} processor: starts the work and returns at once,
   * never blocking the calling thread. The runner cancels the returned future when the step's
   * deadline passes. The default runs {@link #onRequest} on the calling thread.
   */
  default CompletionStage<Outcome> onRequestAsync(Exchange exchange) {
    return completed(() -> onRequest(exchange));
  }

  /** The response part of an {@link Execution#ASYNC} processor; see {@link #onRequestAsync}. */
  default CompletionStage<Outcome> onResponseAsync(Exchange exchange) {
    return completed(() -> onResponse(exchange));
  }

  /**
   * For a {@code text/event-stream} response: the per-exchange stream state, or null if this
   * processor cannot work on a stream event by event (it then gets the whole body in {@link
   * #onResponse}, and the server buffers the stream).
   */
  default @Nullable SseStreamProcessor openSseStream(Exchange exchange) {
    return null;
  }

  /**
   * For a {@code text/event-stream} response that is streamed through {@link #openSseStream}:
   * called once when the response headers arrive, before any event, so the processor can add
   * response headers or metadata (headers can change only now). Only a {@link Outcome.Continue} is
   * honoured.
   */
  default Outcome onSseHeaders(Exchange exchange) throws Exception {
    return Outcome.proceed();
  }

  /** Whether {@link #openSseStream} returns a stream processor. */
  default boolean streamsSse() {
    return false;
  }

  /** A completed (or failed) future holding what {@code call} returns or throws. */
  static CompletionStage<Outcome> completed(Callable<Outcome> call) {
    try {
      return CompletableFuture.completedFuture(call.call());
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
