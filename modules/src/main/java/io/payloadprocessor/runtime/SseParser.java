package io.payloadprocessor.runtime;

import io.payloadprocessor.spi.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Incremental server-sent-events parser (WHATWG HTML "event stream interpretation"): feed raw
 * chunks as they arrive, get the pieces they complete. Events split across chunks, CRLF/LF/CR line
 * ends and multi-byte UTF-8 characters split across chunks are handled because lines are cut on
 * bytes and decoded only once complete.
 *
 * <p>Nothing is lost: the pieces returned, written one after the other with {@link
 * SseEvent#toWireBytes()}, are exactly the bytes fed, in order. Bytes that belong to no event
 * (blank lines, comments, fields of an event without data) come as pieces of their own ({@link
 * SseEvent#isEvent()} false): before the event they precede, or at the end of a chunk when no event
 * is under way, so that a keep-alive comment passes at once instead of waiting for the next event.
 * A CR that ends a chunk ends its line at once (the event is delivered without waiting for the next
 * chunk); an LF that then opens the next chunk completes that line end and goes with the next
 * piece.
 *
 * <p>Written by hand because no maintained Java library parses SSE incrementally from arbitrary
 * byte chunks without owning the HTTP connection, and none keeps the original bytes.
 */
public final class SseParser {
  /** Longest field line accepted; a longer one is a protocol error, not an unbounded buffer. */
  public static final int MAX_LINE_BYTES = 4 * 1024 * 1024;

  /** Largest event accepted (all its lines); a larger one is a protocol error. */
  public static final int MAX_EVENT_BYTES = 16 * 1024 * 1024;

  /** Bytes not yet returned: {@code buf[base, len)}; {@code buf[pos, len)} not yet scanned. */
  private byte[] buf = new byte[512];

  private int base;
  private int len;
  private int pos;
  private int lineStart;

  /** Start of the current event's first field line, or -1 before it. */
  private int eventStart = -1;

  /** The last chunk ended with a CR, which ended its line: an LF next belongs to that line end. */
  private boolean skipLf;

  /** The current line is a comment whose beginning was already returned. */
  private boolean inReturnedComment;

  private String eventType;
  private String id;
  private StringBuilder data;

  /** Thrown when the stream is not SSE (a line over {@link #MAX_LINE_BYTES}, ...). */
  public static final class SseException extends Exception {
    private static final long serialVersionUID = 1L;

    public SseException(String message) {
      super(message);
    }
  }

  /** Parses one chunk; returns the pieces it completed, in order. */
  public List<SseEvent> feed(byte[] chunk) throws SseException {
    List<SseEvent> out = new ArrayList<>();
    append(chunk);
    while (pos < len) {
      if (skipLf) {
        skipLf = false;
        if (buf[pos] == '\n') {
          pos++;
          lineStart = pos;
          continue;
        }
      }
      int end = pos;
      while (end < len && buf[end] != '\n' && buf[end] != '\r') {
        end++;
      }
      if (end == len) {
        pos = len;
        break;
      }
      checkLimits(end);
      if (buf[end] == '\n') {
        pos = end + 1;
      } else if (end + 1 < len) {
        pos = buf[end + 1] == '\n' ? end + 2 : end + 1;
      } else {
        pos = end + 1;
        skipLf = true;
      }
      endLine(end, out);
    }
    checkLimits(len);
    returnBetweenEvents(out);
    compact();
    return out;
  }

  /**
   * End of stream: a last line without a line end is taken as complete, and an event not terminated
   * by a blank line is still delivered (lenient, so that nothing the upstream sent is silently
   * dropped); its bytes stay unterminated. Any bytes after the last event come last.
   */
  public List<SseEvent> finish() {
    List<SseEvent> out = new ArrayList<>();
    skipLf = false;
    if (lineStart < len || inReturnedComment) {
      pos = len;
      endLine(len, out);
    }
    if (data != null) {
      dispatch(len, out);
    }
    if (len > base) {
      out.add(SseEvent.between(Arrays.copyOfRange(buf, base, len)));
    }
    base = len;
    compact();
    eventStart = -1;
    eventType = null;
    id = null;
    return out;
  }

  private void append(byte[] chunk) throws SseException {
    int need = len + chunk.length;
    if (need < 0) {
      throw new SseException("event-stream chunk too large");
    }
    if (need > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(need, Math.min(Integer.MAX_VALUE - 8, buf.length * 2)));
    }
    System.arraycopy(chunk, 0, buf, len, chunk.length);
    len = need;
  }

  /** The line {@code buf[lineStart, contentEnd)} has ended; its line end runs up to {@code pos}. */
  private void endLine(int contentEnd, List<SseEvent> out) {
    int start = lineStart;
    lineStart = pos;
    if (inReturnedComment) {
      inReturnedComment = false;
      return;
    }
    if (contentEnd == start) {
      if (data != null) {
        dispatch(pos, out);
      } else {
        // A blank line without data dispatches nothing: what came since is between events.
        eventStart = -1;
        eventType = null;
        id = null;
      }
      return;
    }
    if (buf[start] == ':') {
      return; // comment
    }
    if (eventStart < 0) {
      eventStart = start;
    }
    int colon = start;
    while (colon < contentEnd && buf[colon] != ':') {
      colon++;
    }
    int valueStart = colon < contentEnd ? colon + 1 : contentEnd;
    if (valueStart < contentEnd && buf[valueStart] == ' ') {
      valueStart++;
    }
    if (is("data", start, colon)) {
      String value = text(valueStart, contentEnd);
      if (data == null) {
        data = new StringBuilder(value);
      } else {
        data.append('\n').append(value);
      }
    } else if (is("event", start, colon)) {
      eventType = text(valueStart, contentEnd);
    } else if (is("id", start, colon)) {
      String value = text(valueStart, contentEnd);
      if (value.indexOf('\0') < 0) {
        id = value;
      }
    }
    // "retry" and unknown fields carry nothing a processor needs; their bytes stay in the event.
  }

  private boolean is(String field, int from, int to) {
    if (to - from != field.length()) {
      return false;
    }
    for (int i = 0; i < field.length(); i++) {
      if (buf[from + i] != field.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private String text(int from, int to) {
    return new String(buf, from, to - from, StandardCharsets.UTF_8);
  }

  /** Returns the event that ends at {@code end}, after the bytes between events before it. */
  private void dispatch(int end, List<SseEvent> out) {
    if (eventStart > base) {
      out.add(SseEvent.between(Arrays.copyOfRange(buf, base, eventStart)));
    }
    out.add(
        SseEvent.parsed(eventType, data.toString(), id, Arrays.copyOfRange(buf, eventStart, end)));
    base = end;
    eventStart = -1;
    data = null;
    eventType = null;
    id = null;
  }

  /** Checks the line under way and the event under way, both read up to {@code end}. */
  private void checkLimits(int end) throws SseException {
    boolean commentBetweenEvents =
        inReturnedComment || (eventStart < 0 && lineStart < end && buf[lineStart] == ':');
    if (!commentBetweenEvents && end - lineStart > MAX_LINE_BYTES) {
      throw new SseException("event-stream line exceeds " + MAX_LINE_BYTES + " bytes");
    }
    if (eventStart >= 0 && end - eventStart > MAX_EVENT_BYTES) {
      throw new SseException("event-stream event exceeds " + MAX_EVENT_BYTES + " bytes");
    }
  }

  /**
   * At the end of a chunk, returns the bytes that can only be between events: everything before the
   * event under way, or before the field line under way, or all of it (a comment line under way
   * included, whose rest will then be returned as it comes).
   */
  private void returnBetweenEvents(List<SseEvent> out) {
    int cut;
    if (eventStart >= 0) {
      cut = eventStart;
    } else if (lineStart == len || inReturnedComment || buf[lineStart] == ':') {
      cut = len;
      inReturnedComment = lineStart < len || inReturnedComment;
      lineStart = len;
    } else {
      cut = lineStart;
    }
    if (cut > base) {
      out.add(SseEvent.between(Arrays.copyOfRange(buf, base, cut)));
      base = cut;
    }
  }

  /** Moves the bytes not yet returned to the front of the buffer. */
  private void compact() {
    if (base == 0) {
      return;
    }
    int keep = len - base;
    System.arraycopy(buf, base, buf, 0, keep);
    len = keep;
    pos -= base;
    lineStart -= base;
    if (eventStart >= 0) {
      eventStart -= base;
    }
    base = 0;
    if (keep == 0 && buf.length > 64 * 1024) {
      buf = new byte[512]; // a large chunk passed: do not keep its buffer for the stream's life
    }
  }
}
