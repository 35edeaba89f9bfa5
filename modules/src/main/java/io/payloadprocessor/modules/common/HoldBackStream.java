package io.payloadprocessor.modules.common;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stream guard that holds text back. Text deltas are joined per channel (choice, content block,
 * tool call) and the guard decides, each time text arrives, how much of what is held it releases:
 * typically everything but a window at the end, so that a value or a phrase split across events is
 * seen whole before any of it reaches the client. Released text is re-emitted in the event that
 * brought the last piece of it, spliced into the event as the upstream wrote it (every other byte
 * kept); events that would carry no text are held back whole. Any other event (finish, usage,
 * {@code [DONE]}, {@code message_stop}) first flushes what every channel holds, then is handed to
 * the guard. A block drops everything held (it is never released) and ends the stream with the
 * API's in-band error. A guard that only observes ({@link #passThrough()}) passes every event as it
 * came.
 */
public abstract class HoldBackStream implements SseStreamProcessor {
  /** One text stream: what is held back, a little released text for context, the last event. */
  protected static final class Channel {
    private final StringBuilder pending = new StringBuilder();
    private String context = "";
    private SseEvent template;
    private TextSlot.Kind kind;

    /** Text received and not yet released. */
    public String pending() {
      return pending.toString();
    }

    /** The end of the text already released (at most {@link #contextChars()} characters). */
    public String context() {
      return context;
    }

    /** Content or tool arguments. */
    public TextSlot.Kind kind() {
      return kind;
    }
  }

  /**
   * A decision on a channel: release the first {@code consumed} characters of its pending text as
   * {@code text} (the same text, or masked), or block.
   */
  protected record Release(int consumed, String text, Block block) {
    public static Release of(int consumed, String text) {
      return new Release(consumed, text, null);
    }

    public static Release blocked(Block block) {
      return new Release(0, "", block);
    }
  }

  private final Map<String, Channel> channels = new LinkedHashMap<>();
  private boolean done;

  /** How much released text each channel keeps as left context for the next decision. */
  protected abstract int contextChars();

  /** What to release of {@code ch}'s pending text now; all of it when {@code last}. */
  protected abstract Release release(Channel ch, boolean last);

  /**
   * A non-text event, after every channel has been flushed: the step for the event itself (normally
   * {@code StreamStep.pass(event)}; a block ends the stream).
   */
  protected abstract StreamStep otherEvent(SseEvent event, JsonNode json);

  /** The end of the stream, after every channel has been flushed: a final check or a count. */
  protected abstract Block endOfStream();

  /** A block is about to end the stream (count it). */
  protected abstract void onBlock(Block block);

  /**
   * Whether the guard only observes (report mode): every event then passes as it came, byte for
   * byte, while its text is still decided on with the same window (nothing is held or re-emitted).
   */
  protected boolean passThrough() {
    return false;
  }

  /** A step on its way out: add metadata if the guard has news. */
  protected StreamStep annotate(StreamStep step) {
    return step;
  }

  /**
   * {@code cut} moved back by one if it would split a surrogate pair of {@code text} between two
   * events.
   */
  protected static int safeCut(String text, int cut) {
    return cut > 0 && cut < text.length() && Character.isLowSurrogate(text.charAt(cut))
        ? cut - 1
        : cut;
  }

  @Override
  public final StreamStep onEvent(SseEvent event) {
    if (done) {
      return StreamStep.hold();
    }
    JsonNode json = parse(event.data());
    List<StreamDelta> deltas = json == null ? List.of() : StreamDelta.of(json);
    if (deltas.isEmpty()) {
      List<SseEvent> out = new ArrayList<>();
      Block block = flushAll(out);
      if (block != null) {
        return blocked(block);
      }
      StreamStep step = otherEvent(event, json);
      if (step.block() != null) {
        return blocked(step.block());
      }
      out.addAll(step.emit());
      return annotate(StreamStep.emit(out).withMetadata(step.metadata()));
    }
    JsonSplicer splicer = new JsonSplicer();
    boolean carried = false;
    boolean released = false;
    for (StreamDelta d : deltas) {
      TextSlot slot = d.slot();
      Channel ch = channels.computeIfAbsent(slot.channel(), k -> new Channel());
      ch.template = event;
      ch.kind = slot.kind();
      ch.pending.append(slot.text());
      Release r = apply(ch, d.last());
      if (r.block() != null) {
        return blocked(r.block());
      }
      carried |= !slot.text().isEmpty();
      released |= !r.text().isEmpty();
      if (!r.text().equals(slot.text())) {
        splicer.replaceAll(slot, r.text());
      }
    }
    if (passThrough()) {
      return annotate(StreamStep.pass(event));
    }
    if (carried && !released) {
      return annotate(StreamStep.hold());
    }
    SseEvent out = splicer.isEmpty() ? event : event.withData(splicer.apply(event.data()));
    return annotate(StreamStep.pass(out));
  }

  @Override
  public final StreamStep onEnd() {
    if (done) {
      return StreamStep.hold();
    }
    List<SseEvent> out = new ArrayList<>();
    Block block = flushAll(out);
    if (block == null) {
      block = endOfStream();
    }
    if (block != null) {
      return blocked(block);
    }
    done = true;
    return annotate(StreamStep.emit(out));
  }

  /** Asks the guard about a channel and releases what it allows. */
  private Release apply(Channel ch, boolean last) {
    Release r = release(ch, last);
    if (r.block() == null && r.consumed() > 0) {
      String raw = ch.context + ch.pending.substring(0, r.consumed());
      ch.context = raw.substring(Math.max(0, raw.length() - contextChars()));
      ch.pending.delete(0, r.consumed());
    }
    return r;
  }

  /** Releases everything every channel holds, as events built from each channel's last event. */
  private Block flushAll(List<SseEvent> out) {
    for (Map.Entry<String, Channel> e : channels.entrySet()) {
      Channel ch = e.getValue();
      if (ch.pending.length() == 0) {
        continue;
      }
      Release r = apply(ch, true);
      if (r.block() != null) {
        return r.block();
      }
      JsonNode json = parse(ch.template.data());
      if (json == null || passThrough()) {
        continue; // observe only: the text was passed on already, it is only decided on here
      }
      JsonSplicer splicer = new JsonSplicer();
      for (StreamDelta d : StreamDelta.of(json)) {
        splicer.replaceAll(d.slot(), d.slot().channel().equals(e.getKey()) ? r.text() : "");
      }
      out.add(ch.template.withData(splicer.apply(ch.template.data())));
    }
    return null;
  }

  private StreamStep blocked(Block block) {
    done = true;
    channels.clear(); // held text is dropped, never released
    onBlock(block);
    return annotate(StreamStep.block(List.of(), block));
  }

  /** An event's data as JSON, or null if it is not a JSON object or array. */
  protected static JsonNode parse(String data) {
    if (data.isEmpty() || (data.charAt(0) != '{' && data.charAt(0) != '[')) {
      return null;
    }
    try {
      return HttpMessage.parseJson(data.getBytes(StandardCharsets.UTF_8));
    } catch (BodyException e) {
      return null; // handled as plain text instead
    }
  }
}
