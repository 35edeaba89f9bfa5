package io.payloadprocessor.spi;

/**
 * Per-exchange state of a processor that works on a server-sent-event response as it streams. The
 * server parses the upstream's chunks into events and feeds them in order (never the bytes between
 * events, which it writes on itself); whatever the processor releases goes to the next stream
 * processor and then to the client. An event passed on as it came (the same object, or {@link
 * SseEvent#withData} with equal data) reaches the client byte for byte; a processor that only reads
 * must do that. Not thread-safe; the server calls it from one thread at a time.
 */
public interface SseStreamProcessor {
  /** One complete event from upstream (or from the stream processor before this one). */
  StreamStep onEvent(SseEvent event);

  /** The upstream stream ended: release anything held back (or block). */
  StreamStep onEnd();
}
