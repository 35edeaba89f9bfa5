package io.payloadprocessor.modules.common;

import io.payloadprocessor.runtime.SseParser;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a stream processor over a whole, already buffered {@code text/event-stream} body, for when
 * the server hands a streaming guard the complete response instead of events (buffered body modes).
 * The guard then behaves exactly as it would on the live stream: it sees the events only, the bytes
 * between events pass around it in their place, and every event it passes on unchanged keeps its
 * original bytes, so a body nothing changed comes out byte for byte as it went in.
 */
public final class SseBodies {
  private SseBodies() {}

  /** The outcome: the body to send (or a block), whether it differs from the input, metadata. */
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
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 16);
    Map<String, Object> metadata = new LinkedHashMap<>();
    for (SseEvent e : in) {
      if (!e.isEvent()) {
        out.writeBytes(e.toWireBytes());
        continue;
      }
      StreamStep step = stream.onEvent(e);
      metadata.putAll(step.metadata());
      if (step.block() != null) {
        return new Result(null, step.block(), true, metadata);
      }
      step.emit().forEach(x -> out.writeBytes(x.toWireBytes()));
    }
    StreamStep end = stream.onEnd();
    metadata.putAll(end.metadata());
    if (end.block() != null) {
      return new Result(null, end.block(), true, metadata);
    }
    end.emit().forEach(x -> out.writeBytes(x.toWireBytes()));
    byte[] bytes = out.toByteArray();
    return new Result(bytes, null, !Arrays.equals(bytes, body), metadata);
  }
}
