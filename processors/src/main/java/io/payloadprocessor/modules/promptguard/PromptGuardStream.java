package io.payloadprocessor.modules.promptguard;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.common.StreamDelta;
import io.payloadprocessor.modules.common.TextSlot;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.HttpMessage;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Prompt-guard rules on a streamed completion. Events pass through as they come; deny rules are
 * matched, per text channel, against the last {@code streamWindowChars} characters plus the new
 * delta, so a denied phrase split across events is still caught (a phrase longer than the window is
 * not). When it matches, the stream ends with an in-band error before that event. Allow rules need
 * the whole text and are checked at the end of the stream ({@code [DONE]}, {@code message_stop},
 * {@code response.completed} or the end of the body), on up to {@link #MAX_TEXT} characters per
 * channel.
 */
final class PromptGuardStream implements SseStreamProcessor {
  /** Longest completion text kept per channel for allow rules. */
  static final int MAX_TEXT = 1 << 20;

  private final PromptGuardProcessor processor;
  private final PromptGuardProcessor.Settings settings;
  private final Map<String, StringBuilder> tails = new HashMap<>();
  private final Map<String, StringBuilder> texts = new HashMap<>();
  private Verdict reported;
  private boolean finished;

  PromptGuardStream(PromptGuardProcessor processor) {
    this.processor = processor;
    this.settings = processor.settings();
  }

  @Override
  public StreamStep onEvent(SseEvent event) {
    if (finished) {
      return StreamStep.pass(event);
    }
    JsonNode json = parse(event.data());
    if (json != null) {
      for (StreamDelta d : StreamDelta.of(json)) {
        TextSlot s = d.slot();
        if (s.kind() == TextSlot.Kind.TOOL_ARGUMENTS && !settings.toolArguments()) {
          continue;
        }
        StreamStep step = add(s.channel(), s.text(), event);
        if (step != null) {
          return step;
        }
      }
    }
    if (isEnd(event, json)) {
      StreamStep step = end(event);
      if (step != null) {
        return step;
      }
    }
    return StreamStep.pass(event);
  }

  @Override
  public StreamStep onEnd() {
    if (finished) {
      return StreamStep.hold();
    }
    StreamStep step = end(null);
    return step != null ? step : StreamStep.hold();
  }

  /** Adds a delta; a step if a deny rule decided, null to pass the event on. */
  private StreamStep add(String channel, String delta, SseEvent event) {
    if (delta.isEmpty()) {
      return null;
    }
    StringBuilder tail = tails.computeIfAbsent(channel, k -> new StringBuilder());
    tail.append(delta);
    if (tail.length() > settings.streamWindow() + delta.length()) {
      tail.delete(0, tail.length() - settings.streamWindow() - delta.length());
    }
    if (!settings.allow().isEmpty()) {
      StringBuilder all = texts.computeIfAbsent(channel, k -> new StringBuilder());
      if (all.length() < MAX_TEXT) {
        all.append(delta, 0, Math.min(delta.length(), MAX_TEXT - all.length()));
      }
    }
    if (reported != null) {
      return null; // shadow mode: one decision per stream
    }
    Verdict v = processor.denied(TextNormalizer.normalize(tail.toString()));
    if (tail.length() > settings.streamWindow()) {
      tail.delete(0, tail.length() - settings.streamWindow());
    }
    return v == null ? null : verdict(v, event);
  }

  /** End of stream: the allow check, and the decision count. */
  private StreamStep end(SseEvent event) {
    finished = true;
    if (reported == null && !settings.allow().isEmpty()) {
      for (StringBuilder text : texts.values()) {
        String n = TextNormalizer.normalize(text.toString());
        if (!n.isEmpty() && !processor.allowed(n)) {
          return verdict(new Verdict(Verdict.NOT_ALLOWED, "allow"), event);
        }
      }
    }
    if (reported == null) {
      processor.metrics().count("allow");
    }
    return null;
  }

  private StreamStep verdict(Verdict v, SseEvent event) {
    if (settings.enforce()) {
      finished = true;
      processor.metrics().count("block");
      return StreamStep.block(List.of(), processor.block(v, Direction.RESPONSE));
    }
    reported = v;
    processor.metrics().count("report");
    StreamStep step = event == null ? StreamStep.hold() : StreamStep.pass(event);
    return step.withMetadata(Map.of(PromptGuardProcessor.METADATA_KEY, processor.metadata(v)));
  }

  private static boolean isEnd(SseEvent event, JsonNode json) {
    if (event.data().equals("[DONE]")) {
      return true;
    }
    String type = json == null ? "" : json.path("type").asText("");
    return type.equals("message_stop") || type.equals("response.completed");
  }

  private static JsonNode parse(String data) {
    if (data.isEmpty() || data.charAt(0) != '{') {
      return null;
    }
    try {
      return HttpMessage.parseJson(data.getBytes(StandardCharsets.UTF_8));
    } catch (BodyException e) {
      return null;
    }
  }
}
