package io.payloadprocessor.spi;

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

  /**
   * Whether this processor may block on I/O (remote calls, Redis). Blocking processors run on a
   * worker thread under a hard deadline; non-blocking ones run inline and a result that arrives
   * after the deadline is discarded as a timeout.
   */
  default boolean mayBlock() {
    return false;
  }

  Outcome onRequest(Exchange exchange) throws Exception;

  default Outcome onResponse(Exchange exchange) throws Exception {
    return Outcome.proceed();
  }

  /**
   * For a {@code text/event-stream} response: the per-exchange stream state, or null if this
   * processor cannot work on a stream event by event (it then gets the whole body in {@link
   * #onResponse}, and the server buffers the stream).
   */
  default SseStreamProcessor openSseStream(Exchange exchange) {
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
}
