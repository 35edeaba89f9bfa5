package io.payloadprocessor.server.grpc;

import io.payloadprocessor.proto.v1.Rejection;
import io.payloadprocessor.server.ServerMetrics;
import io.payloadprocessor.server.pipeline.FailureMode;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Rejections;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseParser;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a server-sent-event response through the stream processors of a pipeline, chunk by chunk:
 * parse events, pass each through the chain in order, re-frame what comes out. A block ends the
 * stream with the API's in-band error; everything after it is dropped. A stream processor that
 * throws or overruns its timeout is skipped from then on if FailOpen (what it held is flushed
 * first), and blocks the stream if FailClosed.
 */
final class SseRelay {
  private static final Logger log = LoggerFactory.getLogger(SseRelay.class);

  private final Exchange exchange;
  private final ServerMetrics metrics;
  private final List<Step> steps;
  private final List<SseStreamProcessor> chain;
  private final boolean[] bypassed;
  private final SseParser parser = new SseParser();
  private final Map<String, Object> metadata = new LinkedHashMap<>();
  private Rejection rejection;

  SseRelay(Exchange exchange, ServerMetrics metrics, List<Step> steps) {
    this.exchange = exchange;
    this.metrics = metrics;
    this.steps = steps;
    this.chain = new ArrayList<>(steps.size());
    for (Step s : steps) {
      chain.add(s.processor().openSseStream(exchange));
    }
    this.bypassed = new boolean[steps.size()];
  }

  /** Whether the stream was blocked (everything that follows is dropped). */
  boolean blocked() {
    return rejection != null;
  }

  Rejection rejection() {
    return rejection;
  }

  /** Metadata gathered since the last call, then cleared. */
  Map<String, Object> drainMetadata() {
    Map<String, Object> copy = new LinkedHashMap<>(metadata);
    metadata.clear();
    return copy;
  }

  /** Processes one upstream chunk; returns the bytes to send downstream in its place. */
  byte[] onChunk(byte[] chunk, boolean endOfStream) {
    if (blocked()) {
      return new byte[0];
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(chunk.length + 64);
    List<SseEvent> events;
    try {
      events = new ArrayList<>(parser.feed(chunk));
      if (endOfStream) {
        events.addAll(parser.finish());
      }
    } catch (SseParser.SseException e) {
      block(out, Rejections.SERVER, Block.of(502, "invalid_event_stream", e.getMessage()));
      return out.toByteArray();
    }
    for (SseEvent e : events) {
      if (!push(0, List.of(e), out)) {
        return out.toByteArray();
      }
    }
    if (endOfStream) {
      end(out);
    }
    return out.toByteArray();
  }

  /** Feeds events to chain[from...]; false once blocked. */
  private boolean push(int from, List<SseEvent> events, ByteArrayOutputStream out) {
    List<SseEvent> current = events;
    for (int i = from; i < chain.size() && !current.isEmpty(); i++) {
      if (bypassed[i]) {
        continue;
      }
      List<SseEvent> next = new ArrayList<>();
      for (SseEvent e : current) {
        StreamStep step = call(i, e);
        if (step == null) {
          next.addAll(flushHeld(i)); // failed open: release what it held, then pass unchanged
          next.add(e);
          continue;
        }
        metadata.putAll(step.metadata());
        if (step.block() != null) {
          if (!push(i + 1, step.emit(), out)) {
            return false;
          }
          block(out, steps.get(i).name(), step.block());
          return false;
        }
        next.addAll(step.emit());
      }
      current = next;
    }
    for (SseEvent e : current) {
      out.writeBytes(e.toWireBytes());
    }
    return true;
  }

  private void end(ByteArrayOutputStream out) {
    for (int i = 0; i < chain.size(); i++) {
      if (bypassed[i]) {
        continue;
      }
      StreamStep step = callEnd(i);
      if (step == null) {
        continue;
      }
      metadata.putAll(step.metadata());
      if (!push(i + 1, step.emit(), out)) {
        return;
      }
      if (step.block() != null) {
        block(out, steps.get(i).name(), step.block());
        return;
      }
    }
  }

  private StreamStep call(int i, SseEvent e) {
    long start = System.nanoTime();
    try {
      StreamStep s = chain.get(i).onEvent(e);
      return checkTime(i, start, s);
    } catch (RuntimeException ex) {
      return fail(i, ex);
    }
  }

  /** Best effort: what a processor that failed open still held. */
  private List<SseEvent> flushHeld(int i) {
    try {
      StreamStep s = chain.get(i).onEnd();
      return s == null || s.block() != null ? List.of() : s.emit();
    } catch (RuntimeException ex) {
      return List.of();
    }
  }

  private StreamStep callEnd(int i) {
    long start = System.nanoTime();
    try {
      return checkTime(i, start, chain.get(i).onEnd());
    } catch (RuntimeException ex) {
      return fail(i, ex);
    }
  }

  private StreamStep checkTime(int i, long start, StreamStep s) {
    long took = System.nanoTime() - start;
    Step step = steps.get(i);
    metrics.processorLatency.labelValues(step.name(), "response").observe(took / 1e9);
    if (took > step.timeout().toNanos()) {
      return fail(
          i,
          new IllegalStateException(
              "did not process a stream event within " + step.timeout().toMillis() + "ms"));
    }
    return s;
  }

  /** FailOpen: flush what it held, bypass it from now on, return null. FailClosed: a block. */
  private StreamStep fail(int i, Exception ex) {
    Step step = steps.get(i);
    metrics.processorOutcomes.labelValues(step.name(), "response", "error").inc();
    String msg = "processor '" + step.name() + "' failed on the stream: " + ex.getMessage();
    if (step.failureMode() == FailureMode.FAIL_OPEN) {
      log.warn("{} (request {}); failing open", msg, exchange.requestId());
      bypassed[i] = true;
      return null;
    }
    log.warn("{} (request {}); failing closed", msg, exchange.requestId());
    return StreamStep.block(List.of(), Block.of(500, "processor_error", msg));
  }

  private void block(ByteArrayOutputStream out, String processor, Block block) {
    rejection = Rejections.of(block, processor, Direction.RESPONSE, exchange.requestId());
    io.payloadprocessor.server.logging.RejectionLog.audit(rejection);
    metrics.rejections.labelValues(processor, "block", block.reason()).inc();
    metadata.put("rejection", Rejections.asMap(rejection));
    String path = exchange.request().headers().get(":path");
    out.writeBytes(Rejections.sseError(rejection, path));
  }
}
