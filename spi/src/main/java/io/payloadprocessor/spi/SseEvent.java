package io.payloadprocessor.spi;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One piece of a server-sent-event stream, as the server's SSE parser cuts it: either an
 * <b>event</b> (optional {@code event} type and {@code id}, and its data, multi-line data joined
 * with "\n" as the SSE specification assembles it), or the <b>bytes between events</b> ({@link
 * #isEvent()} false: blank lines, comments, fields of an event that has no data), which carry
 * nothing a processor reads and are handed on only so that the stream can be written back exactly
 * as it came.
 *
 * <p>Byte fidelity: a parsed piece keeps the bytes it was cut from, and {@link #toWireBytes()}
 * returns them unchanged (field spacing, CRLF, CR or LF line ends, comments inside the event, and a
 * final event that the stream ended without a blank line stays unterminated). An event built by a
 * processor ({@link #SseEvent(String, String, String)}, {@link #data(String)}) or changed by it
 * ({@link #withData(String)} with different data) is written in canonical framing instead: {@code
 * event: }, {@code id: }, then one {@code data: } line per line of data, each ended by LF, and a
 * blank line. So a processor that only reads a stream leaves it byte for byte as it came, and one
 * that rewrites an event changes only that event.
 *
 * <p>Two events are equal when their type, data and id are; framing is not part of it.
 */
public final class SseEvent {
  private static final byte[] NONE = new byte[0];

  private final @Nullable String event;
  private final String data;
  private final @Nullable String id;
  private final boolean isEvent;

  /** The bytes this piece was parsed from, or null when it is written in canonical framing. */
  private final byte @Nullable [] wire;

  /** An event written in canonical framing. */
  public SseEvent(@Nullable String event, String data, @Nullable String id) {
    this(event, Objects.requireNonNull(data, "data"), id, true, null);
  }

  private SseEvent(
      @Nullable String event,
      String data,
      @Nullable String id,
      boolean isEvent,
      byte @Nullable [] wire) {
    this.event = event;
    this.data = data;
    this.id = id;
    this.isEvent = isEvent;
    this.wire = wire;
  }

  /** An event with only data, written in canonical framing. */
  public static SseEvent data(String data) {
    return new SseEvent(null, data, null);
  }

  /**
   * An event as a parser cut it: {@code wire} is exactly the bytes it came as (the parser's copy),
   * and {@link #toWireBytes()} returns them. For SSE parsers; a processor builds events with the
   * constructor or {@link #data(String)}.
   */
  public static SseEvent parsed(
      @Nullable String event, String data, @Nullable String id, byte[] wire) {
    return new SseEvent(event, data, id, true, wire);
  }

  /** Bytes between events, as a parser cut them (not an event: no type, id or data). */
  public static SseEvent between(byte[] wire) {
    return new SseEvent(null, "", null, false, wire);
  }

  /** The {@code event} field, or null. */
  public @Nullable String event() {
    return event;
  }

  /** The data, lines joined with "\n"; "" for the bytes between events. */
  public String data() {
    return data;
  }

  /** The {@code id} field, or null. */
  public @Nullable String id() {
    return id;
  }

  /**
   * False for the bytes between events (blank lines, comments, fields without data): they are not
   * an event, and the runner never hands them to a stream processor; it writes them on as they
   * came, in their place in the stream.
   */
  public boolean isEvent() {
    return isEvent;
  }

  /** Whether {@link #toWireBytes()} returns the bytes this piece was parsed from. */
  public boolean isAsParsed() {
    return wire != null;
  }

  /**
   * The event with other data. The same event (its original bytes kept) when the data is equal;
   * otherwise a new event in canonical framing with this one's type and id.
   */
  public SseEvent withData(String newData) {
    if (isEvent && data.equals(newData)) {
      return this;
    }
    return new SseEvent(event, newData, id);
  }

  /**
   * The piece in wire form: the bytes it was parsed from, or the canonical framing (ending with the
   * blank line that terminates the event).
   */
  public byte[] toWireBytes() {
    return wire != null ? wire.clone() : canonical().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * {@link #toWireBytes()} decoded as UTF-8; prefer the bytes where fidelity matters (a stream that
   * is not valid UTF-8 does not survive the round trip through a String).
   */
  public String toWire() {
    return wire != null ? new String(wire, StandardCharsets.UTF_8) : canonical();
  }

  private String canonical() {
    if (!isEvent) {
      return "";
    }
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

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof SseEvent other)) {
      return false;
    }

    if (isEvent != other.isEvent) {
      return false;
    }
    if (!isEvent) {
      return Arrays.equals(wire == null ? NONE : wire, other.wire == null ? NONE : other.wire);
    }
    return Objects.equals(event, other.event)
        && data.equals(other.data)
        && Objects.equals(id, other.id);
  }

  @Override
  public int hashCode() {
    return isEvent ? Objects.hash(event, data, id) : Arrays.hashCode(wire);
  }

  /** Type, id and sizes only: the data is body content and must not reach a log line. */
  @Override
  public String toString() {
    if (!isEvent) {
      return "SseEvent[between events, " + (wire == null ? 0 : wire.length) + " bytes]";
    }
    return "SseEvent[event="
        + event
        + ", id="
        + id
        + ", data="
        + data.length()
        + " chars"
        + (wire != null ? ", as parsed" : ", canonical")
        + "]";
  }
}
