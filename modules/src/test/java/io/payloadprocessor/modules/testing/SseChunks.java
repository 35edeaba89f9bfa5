package io.payloadprocessor.modules.testing;

import io.payloadprocessor.runtime.SseParser;
import io.payloadprocessor.spi.SseEvent;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Parses a stream as it would arrive in chunks, and writes pieces back as the runner does. */
public final class SseChunks {
  private SseChunks() {}

  /**
   * The pieces of {@code stream} fed cut at {@code cuts} (ascending byte offsets), finish included.
   */
  public static List<SseEvent> parse(byte[] stream, int... cuts) throws SseParser.SseException {
    SseParser p = new SseParser();
    List<SseEvent> out = new ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      out.addAll(p.feed(Arrays.copyOfRange(stream, from, cut)));
      from = cut;
    }
    out.addAll(p.feed(Arrays.copyOfRange(stream, from, stream.length)));
    out.addAll(p.finish());
    return out;
  }

  /** The pieces written one after the other. */
  public static byte[] wire(List<SseEvent> pieces) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    pieces.forEach(e -> out.writeBytes(e.toWireBytes()));
    return out.toByteArray();
  }
}
