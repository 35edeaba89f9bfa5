package io.payloadprocessor.modules.pii;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.common.AiBodies;
import io.payloadprocessor.modules.common.HoldBackStream;
import io.payloadprocessor.modules.common.JsonSplicer;
import io.payloadprocessor.modules.common.TextSlot;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.StreamStep;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PII masking on a live event stream ({@link HoldBackStream}): each channel releases everything but
 * the last {@code holdBack} characters, which is at least the longest value a detector reports plus
 * its look-ahead. A finding is decided only once it starts before that window, so it is then
 * complete. Events that are not text deltas (summary events of the Responses API repeat the whole
 * text) are scanned whole. Known limit: per-token {@code logprobs} in OpenAI chunks repeat the text
 * one token at a time and are passed as they are. With report rules only, nothing is held or
 * re-emitted: every event passes as it came, byte for byte, and is still scanned.
 */
final class PiiSseStream extends HoldBackStream {
  /** Characters of released text kept as left context for the boundary checks. */
  private static final int CONTEXT = 16;

  private final PiiProcessor processor;
  private final PiiScanner scanner;
  private final int holdBack;

  /** Only report rules: nothing can change the text, so events pass as they came. */
  private final boolean reportOnly;

  private final Set<String> masked = new LinkedHashSet<>();
  private final Set<String> reported = new LinkedHashSet<>();
  private int announced;

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
  protected int contextChars() {
    return CONTEXT;
  }

  @Override
  protected boolean passThrough() {
    return reportOnly;
  }

  /**
   * Releases the part of a channel's text that is final: all of it at the end, otherwise all but
   * the hold-back window, extended to the end of a finding that straddles the cut.
   */
  @Override
  protected Release release(Channel ch, boolean last) {
    String pending = ch.pending();
    int cut = last ? pending.length() : pending.length() - holdBack;
    if (cut <= 0 && !last) {
      return Release.of(0, "");
    }
    String context = ch.context();
    int offset = context.length();
    List<Finding> decided = new ArrayList<>();
    for (Finding f : scanner.findAll(context + pending)) {
      // Findings in the context were decided when it was released.
      if (f.start() >= offset && f.start() - offset < cut) {
        decided.add(f);
      }
    }
    Finding blocking = PiiScanner.firstBlocking(decided);
    if (blocking != null) {
      return Release.blocked(processor.block(Direction.RESPONSE, blocking));
    }
    decided = PiiScanner.resolve(decided);
    for (Finding f : decided) {
      cut = Math.max(cut, f.end() - offset);
      record(f);
    }
    cut = safeCut(pending, cut);
    return Release.of(cut, Masker.apply(pending.substring(0, cut), decided, offset));
  }

  @Override
  protected StreamStep otherEvent(SseEvent event, JsonNode json) {
    if (json != null) {
      // Summary events (Responses API *.done / response.completed) repeat the whole text.
      JsonSplicer splicer = new JsonSplicer();
      for (TextSlot s : AiBodies.everySlot(json, false)) {
        if (!processor.inScope(s)) {
          continue;
        }
        Whole w = whole(s.text());
        if (w.block() != null) {
          return StreamStep.block(List.of(), w.block());
        }
        if (!w.text().equals(s.text())) {
          splicer.replaceAll(s, w.text());
        }
      }
      return StreamStep.pass(
          splicer.isEmpty() ? event : event.withData(splicer.apply(event.data())));
    }
    if (event.data().equals("[DONE]")) {
      return StreamStep.pass(event);
    }
    Whole w = whole(event.data());
    return w.block() != null
        ? StreamStep.block(List.of(), w.block())
        : StreamStep.pass(event.withData(w.text()));
  }

  /** A whole text, masked; or the block its first blocking finding causes. */
  private record Whole(String text, Block block) {}

  private Whole whole(String text) {
    List<Finding> all = scanner.findAll(text);
    Finding blocking = PiiScanner.firstBlocking(all);
    if (blocking != null) {
      return new Whole(text, processor.block(Direction.RESPONSE, blocking));
    }
    List<Finding> resolved = PiiScanner.resolve(all);
    resolved.forEach(this::record);
    return new Whole(Masker.apply(text, resolved, 0), null);
  }

  @Override
  protected Block endOfStream() {
    processor
        .metrics()
        .count(masked.isEmpty() ? (reported.isEmpty() ? "allow" : "report") : "mask");
    return null;
  }

  @Override
  protected void onBlock(Block block) {
    processor.metrics().count("block");
  }

  @Override
  protected StreamStep annotate(StreamStep step) {
    int now = masked.size() + reported.size();
    if (now == announced) {
      return step;
    }
    announced = now;
    return step.withMetadata(
        Map.of(
            PiiProcessor.METADATA_KEY, PiiProcessor.metadata(processor.name(), masked, reported)));
  }

  private void record(Finding f) {
    (f.rule().action() == PiiAction.MASK ? masked : reported).add(f.rule().name());
  }
}
