package io.payloadprocessor.modules.common;

import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseParser;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a stream processor over a whole, already buffered {@code text/event-stream} body, for when
 * the server hands a streaming guard the complete response instead of events (buffered body modes).
 * The guard then behaves exactly as it would on the live stream.
 */
public final class SseBodies {
  private SseBodies() {}

  /** The outcome: the re-framed body (or a block), whether any event changed, and metadata. */
  public record Result(byte[] body, Block block, boolean changed, Map<String, Object> metadata) {}

  /**
   * Feeds every event of {@code body} and then the end of stream to {@code stream}.
   *
   * @throws BodyException 502 when the body is not an event stream
   */
  public static Result run(byte[] body, SseStreamProcessor stream) throws BodyException {
    SseParser parser = new SseParser();
    List<SseEvent> in = new ArrayList<>();
    try {
      in.addAll(parser.feed(body));
    } catch (SseParser.SseException e) {
      throw new BodyException(502, "invalid_event_stream", "response is not a valid event stream");
    }
    in.addAll(parser.finish());
    List<SseEvent> out = new ArrayList<>(in.size());
    Map<String, Object> metadata = new LinkedHashMap<>();
    for (SseEvent e : in) {
      StreamStep step = stream.onEvent(e);
      out.addAll(step.emit());
      metadata.putAll(step.metadata());
      if (step.block() != null) {
        return new Result(null, step.block(), true, metadata);
      }
    }
    StreamStep end = stream.onEnd();
    out.addAll(end.emit());
    metadata.putAll(end.metadata());
    if (end.block() != null) {
      return new Result(null, end.block(), true, metadata);
    }
    StringBuilder sb = new StringBuilder(body.length + 16);
    for (SseEvent e : out) {
      sb.append(e.toWire());
    }
    return new Result(
        sb.toString().getBytes(StandardCharsets.UTF_8), null, !out.equals(in), metadata);
  }
}
