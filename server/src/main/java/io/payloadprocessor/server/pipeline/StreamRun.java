package io.payloadprocessor.server.pipeline;

import io.payloadprocessor.proto.v1.Rejection;
import io.payloadprocessor.runtime.SseParser;
import io.payloadprocessor.server.telemetry.ExchangeTrace;
import io.payloadprocessor.server.telemetry.ExchangeTrace.StepSpan;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a server-sent-event response through the stream steps of a pipeline, chunk by chunk: parse
 * events, pass each through the chain in order, re-frame what comes out. A block ends the stream
 * with the API's in-band error; everything after it is dropped. Failures follow the same rules as
 * whole-message steps ({@link PipelineRunner#failure}): a stream step that throws or overruns its
 * timeout on an event is bypassed from then on if FailOpen (what it held is flushed first), and
 * blocks the stream if FailClosed. Not thread-safe: one chunk at a time, in order (the caller
 * serialises).
 *
 * <p>Stream steps are called per event and are not pre-empted: an event is bounded by the parser's
 * line limit and the step's work by the event, and chunks larger than the inline limit are
 * processed on the CPU pool ({@link PipelineRunner#streamChunk}).
 *
 * <p>Traced with one span per stream step for the whole stream (not one per event): it ends when
 * the stream ends, is blocked or the step fails, with the number of events the step saw.
 */
public final class StreamRun {
  private final PipelineRunner runner;
  private final Exchange exchange;
  private final List<Step> steps;
  private final List<SseStreamProcessor> chain;
  private final boolean[] bypassed;
  private final SseParser parser = new SseParser();
  private final Map<String, Object> metadata = new LinkedHashMap<>();
  private final ExchangeTrace trace;

  /** The span of each stream step; null when the exchange is not traced. */
  private final StepSpan[] spans;

  private Block openFailure;
  private String openFailureStep;
  private Rejection rejection;

  StreamRun(PipelineRunner runner, Exchange exchange, List<Step> steps, ExchangeTrace trace) {
    this.runner = runner;
    this.exchange = exchange;
    this.steps = steps;
    this.trace = trace;
    this.chain = new ArrayList<>(steps.size());
    this.bypassed = new boolean[steps.size()];
    this.spans = trace.recording() ? new StepSpan[steps.size()] : null;
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      if (spans != null) {
        spans[i] = trace.startStep(s, Direction.RESPONSE, true);
      }
      SseStreamProcessor p = null;
      try {
        p = s.processor().openSseStream(exchange);
        if (p == null) {
          throw new IllegalStateException("it does not work on streams");
        }
      } catch (RuntimeException e) {
        Block b = Block.of(500, "processor_error", failedMessage(s, e));
        if (runner.failure(exchange, s, Direction.RESPONSE, b, e) == null) {
          bypassed[i] = true;
          endSpan(i, "failed_open", null, b);
        } else {
          endSpan(i, "reject", b, b);
          if (openFailure == null) {
            openFailure = b;
            openFailureStep = s.name();
          }
        }
      }
      chain.add(p);
    }
  }

  /** Whether the stream was blocked (everything that follows is dropped). */
  public boolean blocked() {
    return rejection != null;
  }

  public Rejection rejection() {
    return rejection;
  }

  /** Metadata gathered since the last call, then cleared. */
  public Map<String, Object> drainMetadata() {
    if (metadata.isEmpty()) {
      return Map.of();
    }
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
    if (openFailure != null) {
      block(out, openFailureStep, openFailure);
      return out.toByteArray();
    }
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
        if (!e.isEvent()) {
          next.add(e); // bytes between events (comments, blank lines): written on as they came
          continue;
        }
        if (spans != null) {
          spans[i].event();
        }
        StreamStep step = call(i, e, false);
        if (bypassed[i]) {
          next.addAll(flushHeld(i)); // failed open: release what it held, then pass unchanged
          next.add(e);
          continue;
        }
        if (step == null) {
          endSpan(i, "reject", pendingBlock, pendingBlock);
          block(out, steps.get(i).name(), pendingBlock);
          return false;
        }
        metadata.putAll(step.metadata());
        trace.metadata(step.metadata());
        if (step.block() != null) {
          if (!push(i + 1, step.emit(), out)) {
            return false;
          }
          endSpan(i, "reject", step.block(), null);
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
      StreamStep step = call(i, null, true);
      if (bypassed[i]) {
        continue;
      }
      if (step == null) {
        endSpan(i, "reject", pendingBlock, pendingBlock);
        block(out, steps.get(i).name(), pendingBlock);
        return;
      }
      metadata.putAll(step.metadata());
      trace.metadata(step.metadata());
      if (!push(i + 1, step.emit(), out)) {
        return;
      }
      if (step.block() != null) {
        endSpan(i, "reject", step.block(), null);
        block(out, steps.get(i).name(), step.block());
        return;
      }
      endSpan(i, "continue", null, null);
    }
  }

  private void endSpan(int i, String outcome, Block rejection, Block failure) {
    if (spans != null) {
      spans[i].end(outcome, rejection, failure);
    }
  }

  /** The block of the last FailClosed failure (set when {@link #call} returns null). */
  private Block pendingBlock;

  /**
   * Calls stream step {@code i}. Returns its step; on failure applies the failure mode: FailOpen
   * marks it bypassed (the caller flushes and passes on), FailClosed returns null with {@link
   * #pendingBlock} set.
   */
  private StreamStep call(int i, SseEvent e, boolean end) {
    Step step = steps.get(i);
    long start = System.nanoTime();
    StreamStep s;
    Block failed = null;
    RuntimeException error = null;
    try {
      s = end ? chain.get(i).onEnd() : chain.get(i).onEvent(e);
      if (s == null) {
        throw new IllegalStateException("stream processor returned no step");
      }
    } catch (RuntimeException ex) {
      s = null;
      error = ex;
      failed = Block.of(500, "processor_error", failedMessage(step, ex));
    }
    runner.recordLatency(step, Direction.RESPONSE, start);
    if (failed == null && System.nanoTime() - start > step.timeout().toNanos()) {
      failed =
          new Block(
              504,
              "timeout",
              "",
              "processor '"
                  + step.name()
                  + "' did not process a stream event within "
                  + step.timeout().toMillis()
                  + "ms",
              true,
              null);
    }
    if (failed == null) {
      return s;
    }
    runner
        .metrics()
        .step(step.name(), Direction.RESPONSE)
        .outcome(error == null ? "timeout" : "error");
    Outcome o = runner.failure(exchange, step, Direction.RESPONSE, failed, error);
    if (o == null) {
      bypassed[i] = true;
      endSpan(i, "failed_open", null, failed);
      return null;
    }
    pendingBlock = failed;
    return null;
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

  private static String failedMessage(Step step, Exception ex) {
    String m = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    return "processor '" + step.name() + "' failed on the stream: " + m;
  }

  private void block(ByteArrayOutputStream out, String processor, Block block) {
    for (int i = 0; i < steps.size(); i++) {
      endSpan(i, "cancelled", null, null); // the stream is cut: the others see no more events
    }
    rejection = runner.rejection(exchange, processor, Direction.RESPONSE, block);
    metadata.put("rejection", Rejections.asMap(rejection));
    String path = exchange.request().headers().get(":path");
    terminateOpenEvent(out);
    out.writeBytes(Rejections.sseError(rejection, path));
  }

  /**
   * At the end of a stream the last event may lack its terminating blank line; the in-band error
   * must not be read as more lines of it, so the blank line is completed first.
   */
  private static void terminateOpenEvent(ByteArrayOutputStream out) {
    byte[] b = out.toByteArray();
    int n = b.length;
    if (n == 0) {
      return;
    }
    boolean blankLine =
        (n >= 2
                && b[n - 1] == '\n'
                && (b[n - 2] == '\n' || (b[n - 2] == '\r' && n >= 4 && b[n - 3] == '\n')))
            || (n >= 2 && b[n - 1] == '\r' && b[n - 2] == '\r');
    if (blankLine) {
      return;
    }
    if (b[n - 1] == '\n' || b[n - 1] == '\r') {
      out.write('\n');
    } else {
      out.writeBytes(new byte[] {'\n', '\n'});
    }
  }
}
