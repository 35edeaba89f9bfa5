package io.payloadprocessor.spi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Incremental server-sent-events parser (WHATWG HTML "event stream interpretation"): feed raw
 * chunks as they arrive, get the events they complete. Events split across chunks, CRLF/LF/CR line
 * ends and multi-byte UTF-8 characters split across chunks are handled because lines are cut on
 * bytes and decoded only once complete. Written by hand because no maintained Java library parses
 * SSE incrementally from arbitrary byte chunks without owning the HTTP connection.
 */
public final class SseParser {
  /** Longest line accepted; a longer one is a protocol error, not an unbounded buffer. */
  public static final int MAX_LINE_BYTES = 4 * 1024 * 1024;

  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private boolean lastWasCr;
  private String eventType;
  private String id;
  private StringBuilder data;

  /** Thrown when the stream is not SSE (a line over {@link #MAX_LINE_BYTES}). */
  public static final class SseException extends Exception {
    private static final long serialVersionUID = 1L;

    public SseException(String message) {
      super(message);
    }
  }

  /** Parses one chunk; returns the events it completed, in order. */
  public List<SseEvent> feed(byte[] chunk) throws SseException {
    List<SseEvent> out = new ArrayList<>();
    for (byte b : chunk) {
      if (b == '\n') {
        if (lastWasCr) {
          lastWasCr = false; // the LF of a CRLF pair: the line was already ended by CR
          continue;
        }
        endLine(out);
      } else if (b == '\r') {
        lastWasCr = true;
        endLine(out);
      } else {
        lastWasCr = false;
        line.write(b);
        if (line.size() > MAX_LINE_BYTES) {
          throw new SseException("event-stream line exceeds " + MAX_LINE_BYTES + " bytes");
        }
      }
    }
    return out;
  }

  /**
   * End of stream: an event not terminated by a blank line is still delivered (lenient, so that
   * nothing the upstream sent is silently dropped).
   */
  public List<SseEvent> finish() {
    List<SseEvent> out = new ArrayList<>();
    if (line.size() > 0) {
      endLine(out);
    }
    dispatch(out);
    return out;
  }

  private void endLine(List<SseEvent> out) {
    String text = new String(line.toByteArray(), StandardCharsets.UTF_8);
    line.reset();
    if (text.isEmpty()) {
      dispatch(out);
      return;
    }
    if (text.charAt(0) == ':') {
      return; // comment
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "event":
        eventType = value;
        break;
      case "data":
        if (data == null) {
          data = new StringBuilder(value);
        } else {
          data.append('\n').append(value);
        }
        break;
      case "id":
        if (value.indexOf('\0') < 0) {
          id = value;
        }
        break;
      default:
        // "retry" and unknown fields carry nothing a processor needs.
        break;
    }
  }

  private void dispatch(List<SseEvent> out) {
    if (data != null) {
      out.add(new SseEvent(eventType, data.toString(), id));
    }
    data = null;
    eventType = null;
    id = null;
  }
}
