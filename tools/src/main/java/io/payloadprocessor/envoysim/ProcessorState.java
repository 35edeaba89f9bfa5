package io.payloadprocessor.envoysim;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * One direction of an exchange (decoding = request, encoding = response), as Envoy's {@code
 * processor_state.cc} keeps it: what is sent to the processor in this direction, which calls are
 * outstanding, the message timer, the body held while they are, and what left Envoy. The filter
 * ({@link ExchangeRun}) drives it; this class holds the state and the rules local to it.
 */
final class ProcessorState {
  sealed interface Input permits DataInput, TrailersInput {}

  record DataInput(byte[] data, boolean endStream) implements Input {}

  record TrailersInput(List<Header> trailers) implements Input {}

  record Chunk(byte[] data, boolean endStream) {}

  private final EnvoyFilterConfig config;
  final boolean request;
  final ClientBehaviour.BodyArrival arrival;
  final Deque<Input> inputs = new ArrayDeque<>();
  boolean sendHeaders;
  boolean sendTrailers;
  BodySendMode bodyMode;

  HeaderList headers;
  HeaderList trailers;
  boolean noBody;
  boolean completeBodyAvailable;
  boolean dataEndStreamSeen;
  boolean trailersAvailable;

  boolean awaitingHeaders;
  boolean awaitingBufferedBody;
  boolean awaitingPartialBody;
  boolean awaitingTrailers;
  int partialChunksSent;
  ByteArrayOutputStream buffered;

  /** STREAMED chunks sent and awaiting their response, FIFO. */
  final Deque<Chunk> queue = new ArrayDeque<>();

  /** BUFFERED_PARTIAL data collected (sent or not yet sent) before the partial response. */
  final Deque<Chunk> partialQueue = new ArrayDeque<>();

  boolean bodyReplaced;
  boolean partialBodyProcessed;
  boolean duplexHeadersAnswered;

  long timerDeadline;
  boolean newTimeoutReceived;

  // What left Envoy in this direction.
  boolean headersForwarded;
  final List<byte[]> outBody = new ArrayList<>();
  final List<byte[]> pendingOutBody = new ArrayList<>();
  boolean pendingOutEnd;
  List<Header> outHeaders = List.of();
  List<Header> outTrailers;
  boolean outEnded;

  ProcessorState(EnvoyFilterConfig config, boolean request, ClientBehaviour.BodyArrival arrival) {
    this.config = config;
    this.request = request;
    this.arrival = arrival;
    ProcessingMode m = config.processingMode();
    if (request) {
      sendHeaders = m.getRequestHeaderMode() != HeaderSendMode.SKIP;
      sendTrailers = m.getRequestTrailerMode() == HeaderSendMode.SEND;
      bodyMode = m.getRequestBodyMode();
    } else {
      sendHeaders = m.getResponseHeaderMode() != HeaderSendMode.SKIP;
      sendTrailers = m.getResponseTrailerMode() == HeaderSendMode.SEND;
      bodyMode = m.getResponseBodyMode();
    }
  }

  String name() {
    return request ? "request" : "response";
  }

  boolean bodyCallOutstanding() {
    return awaitingBufferedBody || awaitingPartialBody || !queue.isEmpty();
  }

  boolean anyCallOutstanding() {
    return awaitingHeaders || bodyCallOutstanding() || awaitingTrailers;
  }

  boolean sendsBodyWithoutWaiting() {
    return bodyMode == BodySendMode.FULL_DUPLEX_STREAMED
        || (bodyMode == BodySendMode.STREAMED && config.sendBodyWithoutWaitingForHeaderResponse());
  }

  /** ProcessorState::shouldRemoveContentLength. */
  boolean shouldRemoveContentLength() {
    return bodyMode == BodySendMode.STREAMED
        || bodyMode == BodySendMode.FULL_DUPLEX_STREAMED
        || bodyMode == BodySendMode.BUFFERED_PARTIAL
        || (bodyMode == BodySendMode.BUFFERED && !sendHeaders);
  }

  /** ProcessorState::onStartProcessorCall: no timer at all in FULL_DUPLEX_STREAMED. */
  void startTimer() {
    if (bodyMode == BodySendMode.FULL_DUPLEX_STREAMED) {
      return;
    }
    timerDeadline = System.nanoTime() + Math.max(1, config.messageTimeout().toNanos());
  }

  /** After a response: stop the timer, or re-arm it while other calls are outstanding. */
  void finishCall() {
    newTimeoutReceived = false;
    if (anyCallOutstanding() && bodyMode != BodySendMode.FULL_DUPLEX_STREAMED) {
      startTimer();
    } else {
      timerDeadline = 0;
    }
  }
}
