package io.payloadprocessor.modules.promptguard;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.common.HoldBackStream;
import io.payloadprocessor.modules.common.TextSlot;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.StreamStep;
import java.util.HashMap;
import java.util.Map;

/**
 * Prompt-guard rules on a streamed completion ({@link HoldBackStream}). Each channel holds back its
 * last {@code streamWindowChars} characters, and deny rules are matched against that held text plus
 * the released window before it: a denied phrase of up to the window's length, split across any
 * number of events, is matched before any of it reaches the client, and the stream then ends with
 * an in-band error. (A phrase longer than the window can be partly released before it is seen.) In
 * report mode nothing is held: the decision is recorded and the text flows. Allow rules need the
 * whole text and are checked at the end of the stream ({@code [DONE]}, {@code message_stop}, {@code
 * response.completed} or the end of the body), on up to {@link #MAX_TEXT} characters per channel.
 */
final class PromptGuardStream extends HoldBackStream {
  /** Longest completion text kept per channel for allow rules. */
  static final int MAX_TEXT = 1 << 20;

  private final PromptGuardProcessor processor;
  private final PromptGuardProcessor.Settings settings;
  private final Map<Channel, StringBuilder> texts = new HashMap<>();
  private Verdict reported;
  private boolean announced;
  private boolean finished;

  PromptGuardStream(PromptGuardProcessor processor) {
    this.processor = processor;
    this.settings = processor.settings();
  }

  @Override
  protected int contextChars() {
    return settings.streamWindow();
  }

  @Override
  protected boolean passThrough() {
    return !settings.enforce();
  }

  @Override
  protected Release release(Channel ch, boolean last) {
    String pending = ch.pending();
    if (ch.kind() == TextSlot.Kind.TOOL_ARGUMENTS && !settings.toolArguments()) {
      return Release.of(pending.length(), pending);
    }
    if (reported == null) {
      Verdict v = processor.denied(TextNormalizer.normalize(ch.context() + pending));
      if (v != null) {
        if (settings.enforce()) {
          return Release.blocked(processor.block(v, Direction.RESPONSE));
        }
        reported = v;
        processor.metrics().count("report");
      }
    }
    int cut =
        last || !settings.enforce()
            ? pending.length()
            : safeCut(pending, Math.max(0, pending.length() - settings.streamWindow()));
    if (!settings.allow().isEmpty() && cut > 0) {
      StringBuilder all = texts.computeIfAbsent(ch, k -> new StringBuilder());
      if (all.length() < MAX_TEXT) {
        all.append(pending, 0, Math.min(cut, MAX_TEXT - all.length()));
      }
    }
    return Release.of(cut, pending.substring(0, cut));
  }

  @Override
  protected StreamStep otherEvent(SseEvent event, JsonNode json) {
    if (!finished && isEnd(event, json)) {
      Block block = endOfStream();
      if (block != null) {
        return StreamStep.block(java.util.List.of(), block);
      }
    }
    return StreamStep.pass(event);
  }

  /** End of stream: the allow check, and the decision count. */
  @Override
  protected Block endOfStream() {
    if (finished) {
      return null;
    }
    finished = true;
    if (reported == null && !settings.allow().isEmpty()) {
      for (StringBuilder text : texts.values()) {
        String n = TextNormalizer.normalize(text.toString());
        if (!n.isEmpty() && !processor.allowed(n)) {
          Verdict v = new Verdict(Verdict.NOT_ALLOWED, "allow");
          if (settings.enforce()) {
            return processor.block(v, Direction.RESPONSE);
          }
          reported = v;
          processor.metrics().count("report");
          return null;
        }
      }
    }
    if (reported == null) {
      processor.metrics().count("allow");
    }
    return null;
  }

  @Override
  protected void onBlock(Block block) {
    processor.metrics().count("block");
  }

  @Override
  protected StreamStep annotate(StreamStep step) {
    if (reported == null || announced) {
      return step;
    }
    announced = true;
    return step.withMetadata(
        Map.of(PromptGuardProcessor.METADATA_KEY, processor.metadata(reported)));
  }

  private static boolean isEnd(SseEvent event, JsonNode json) {
    if (event.data().equals("[DONE]")) {
      return true;
    }
    String type = json == null ? "" : json.path("type").asText("");
    return type.equals("message_stop") || type.equals("response.completed");
  }
}
