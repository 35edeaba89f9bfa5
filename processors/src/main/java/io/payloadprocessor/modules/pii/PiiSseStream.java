package io.payloadprocessor.modules.pii;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.common.AiBodies;
import io.payloadprocessor.modules.common.StreamDelta;
import io.payloadprocessor.modules.common.TextSlot;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.HttpMessage;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PII masking on a live event stream. Text deltas are joined per channel (choice, content block,
 * tool call) and only the part that no later delta can turn into (part of) a finding is released:
 * everything but the last {@code holdBack} characters, which is at least the longest value a
 * detector reports plus its look-ahead. A finding is decided only once it starts before that
 * window, so it is then complete. Released text is re-emitted in the event that brought the last
 * piece of it, with every other field of that event kept; events that would carry no text are held
 * back whole. Any other event (finish, usage, {@code [DONE]}, {@code message_stop}) first flushes
 * what is held, masked, then is itself scanned whole. Known limit: per-token {@code logprobs} in
 * OpenAI chunks repeat the text one token at a time and are passed as they are. With report rules
 * only, nothing is held or re-emitted: every event passes as it came, byte for byte.
 */
final class PiiSseStream implements SseStreamProcessor {
  /** Characters of released text kept as left context for look-behinds. */
  private static final int CONTEXT = 16;

  private final PiiProcessor processor;
  private final PiiScanner scanner;
  private final int holdBack;

  /**
   * Only report rules: nothing can change the text, so events pass as they came (byte for byte)
   * while the text is still scanned across events with the same window.
   */
  private final boolean reportOnly;

  private final Map<String, Channel> channels = new LinkedHashMap<>();
  private final Set<String> masked = new LinkedHashSet<>();
  private final Set<String> reported = new LinkedHashSet<>();
  private boolean done;

  /** One text stream: what is held back, a little released text for context, the last event. */
  private static final class Channel {
    final StringBuilder pending = new StringBuilder();
    String context = "";
    SseEvent template;
  }

  /** Released (masked) text, or the finding that blocks. */
  private record Release(String text, Finding block) {}

  PiiSseStream(PiiProcessor processor) {
    this.processor = processor;
    this.scanner = processor.scanner();
    this.holdBack = processor.holdBack();
    this.reportOnly = scanner.rules().stream().allMatch(r -> r.action() == PiiAction.REPORT);
  }

  /** Names of the detectors that found something so far. */
  Set<String> detected() {
    Set<String> all = new LinkedHashSet<>(masked);
    all.addAll(reported);
    return all;
  }

  @Override
  public StreamStep onEvent(SseEvent event) {
    if (done) {
      return StreamStep.hold();
    }
    JsonNode json = parse(event.data());
    List<StreamDelta> deltas = json == null ? List.of() : StreamDelta.of(json);
    if (deltas.isEmpty()) {
      return otherEvent(event, json);
    }
    int before = detected().size();
    boolean changed = false;
    boolean carried = false;
    boolean released = false;
    for (StreamDelta d : deltas) {
      TextSlot slot = d.slot();
      Channel ch = channels.computeIfAbsent(slot.channel(), k -> new Channel());
      ch.template = event;
      ch.pending.append(slot.text());
      Release r = release(ch, d.last());
      if (r.block() != null) {
        return blocked(r.block());
      }
      carried |= !slot.text().isEmpty();
      released |= !r.text().isEmpty();
      if (!r.text().equals(slot.text())) {
        slot.replace(r.text());
        changed = true;
      }
    }
    if (reportOnly) {
      return withMetadata(StreamStep.pass(event), before);
    }
    if (carried && !released) {
      return withMetadata(StreamStep.hold(), before);
    }
    SseEvent out = changed ? event.withData(write(json)) : event;
    return withMetadata(StreamStep.pass(out), before);
  }

  @Override
  public StreamStep onEnd() {
    if (done) {
      return StreamStep.hold();
    }
    int before = detected().size();
    List<SseEvent> out = new ArrayList<>();
    Finding block = flushAll(out);
    if (block != null) {
      return blocked(block);
    }
    done = true;
    processor
        .metrics()
        .count(masked.isEmpty() ? (reported.isEmpty() ? "allow" : "report") : "mask");
    return withMetadata(StreamStep.emit(out), before);
  }

  private StreamStep otherEvent(SseEvent event, JsonNode json) {
    int before = detected().size();
    List<SseEvent> out = new ArrayList<>();
    Finding block = flushAll(out);
    if (block != null) {
      return blocked(block);
    }
    SseEvent scanned = event;
    if (json != null) {
      // Summary events (Responses API *.done / response.completed) repeat the whole text.
      List<TextSlot> slots = new ArrayList<>();
      AiBodies.allStrings(json, TextSlot.ASSISTANT, slots);
      boolean changed = false;
      for (TextSlot s : slots) {
        Release r = whole(s.text());
        if (r.block() != null) {
          return blocked(r.block());
        }
        if (!r.text().equals(s.text())) {
          s.replace(r.text());
          changed = true;
        }
      }
      if (changed) {
        scanned = event.withData(write(json));
      }
    } else if (!event.data().equals("[DONE]")) {
      Release r = whole(event.data());
      if (r.block() != null) {
        return blocked(r.block());
      }
      scanned = event.withData(r.text());
    }
    out.add(scanned);
    return withMetadata(StreamStep.emit(out), before);
  }

  /** Releases everything every channel holds, as events built from each channel's last event. */
  private Finding flushAll(List<SseEvent> out) {
    for (Map.Entry<String, Channel> e : channels.entrySet()) {
      Channel ch = e.getValue();
      if (ch.pending.length() == 0) {
        continue;
      }
      Release r = release(ch, true);
      if (r.block() != null) {
        return r.block();
      }
      JsonNode json = parse(ch.template.data());
      if (json == null || reportOnly) {
        continue; // report only: the text was passed on already, it is only scanned here
      }
      for (StreamDelta d : StreamDelta.of(json)) {
        d.slot().replace(d.slot().channel().equals(e.getKey()) ? r.text() : "");
      }
      out.add(ch.template.withData(write(json)));
    }
    return null;
  }

  /**
   * Releases the part of a channel's text that is final: all of it at the end, otherwise all but
   * the hold-back window, extended to the end of a finding that straddles the cut.
   */
  private Release release(Channel ch, boolean last) {
    String pending = ch.pending.toString();
    int cut = last ? pending.length() : pending.length() - holdBack;
    if (cut <= 0 && !last) {
      return new Release("", null);
    }
    String scanned = ch.context + pending;
    int offset = ch.context.length();
    List<Finding> fresh = new ArrayList<>();
    for (Finding f : scanner.findAll(scanned)) {
      if (f.start() >= offset) {
        fresh.add(f); // findings in the context were decided when it was released
      }
    }
    List<Finding> decided = new ArrayList<>();
    for (Finding f : fresh) {
      if (f.start() - offset < cut) {
        decided.add(f);
      }
    }
    Finding blocking = PiiScanner.firstBlocking(decided);
    if (blocking != null) {
      return new Release("", blocking);
    }
    decided = PiiScanner.resolve(decided);
    for (Finding f : decided) {
      cut = Math.max(cut, f.end() - offset);
      (f.rule().action() == PiiAction.MASK ? masked : reported).add(f.rule().name());
    }
    if (cut < pending.length() && Character.isLowSurrogate(pending.charAt(cut))) {
      cut--; // never split a surrogate pair between two events
    }
    String out = Masker.apply(pending.substring(0, cut), decided, offset);
    String raw = ch.context + pending.substring(0, cut);
    ch.context = raw.substring(Math.max(0, raw.length() - CONTEXT));
    ch.pending.delete(0, cut);
    return new Release(out, null);
  }

  private Release whole(String text) {
    List<Finding> all = scanner.findAll(text);
    Finding blocking = PiiScanner.firstBlocking(all);
    if (blocking != null) {
      return new Release("", blocking);
    }
    List<Finding> resolved = PiiScanner.resolve(all);
    for (Finding f : resolved) {
      (f.rule().action() == PiiAction.MASK ? masked : reported).add(f.rule().name());
    }
    return new Release(Masker.apply(text, resolved, 0), null);
  }

  private StreamStep blocked(Finding f) {
    done = true;
    channels.clear(); // held text is dropped, never released
    processor.metrics().count("block");
    return StreamStep.block(List.of(), processor.block(Direction.RESPONSE, f));
  }

  private StreamStep withMetadata(StreamStep step, int before) {
    if (detected().size() == before) {
      return step;
    }
    return step.withMetadata(
        Map.of(
            PiiProcessor.METADATA_KEY, PiiProcessor.metadata(processor.name(), masked, reported)));
  }

  private static JsonNode parse(String data) {
    if (data.isEmpty() || (data.charAt(0) != '{' && data.charAt(0) != '[')) {
      return null;
    }
    try {
      return HttpMessage.parseJson(data.getBytes(StandardCharsets.UTF_8));
    } catch (BodyException e) {
      return null; // scanned as plain text instead
    }
  }

  private static String write(JsonNode json) {
    try {
      return HttpMessage.JSON.writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise an event", e);
    }
  }
}
