package io.payloadprocessor.spi;

import java.nio.charset.StandardCharsets;

/**
 * One server-sent event: optional {@code event} type and {@code id}, and its data (multi-line data
 * joined with "\n", as the SSE specification assembles it). Comments are not kept.
 */
public record SseEvent(String event, String data, String id) {

  public static SseEvent data(String data) {
    return new SseEvent(null, data, null);
  }

  public SseEvent withData(String newData) {
    return new SseEvent(event, newData, id);
  }

  /** The event in wire form, ending with the blank line that terminates it. */
  public String toWire() {
    StringBuilder sb = new StringBuilder(data.length() + 32);
    if (event != null) {
      sb.append("event: ").append(event).append('\n');
    }
    if (id != null) {
      sb.append("id: ").append(id).append('\n');
    }
    int start = 0;
    while (true) {
      int nl = data.indexOf('\n', start);
      String line = nl < 0 ? data.substring(start) : data.substring(start, nl);
      sb.append("data: ").append(line).append('\n');
      if (nl < 0) {
        break;
      }
      start = nl + 1;
    }
    return sb.append('\n').toString();
  }

  public byte[] toWireBytes() {
    return toWire().getBytes(StandardCharsets.UTF_8);
  }
}
