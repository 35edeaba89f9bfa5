package io.payloadprocessor.modules.semanticcache;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.SseEvent;
import java.nio.charset.StandardCharsets;

/**
 * Assembles a streamed chat completion ({@code chat.completion.chunk} events) into a {@link
 * CachedAnswer}. The answer counts as complete only if the stream carried a finish reason and ended
 * with {@code data: [DONE]}; anything else (an error event, a tool call, a second choice, text over
 * {@link #MAX_TEXT_CHARS}) makes it uncacheable.
 */
public final class SseAnswerAssembler {
  /** Longest answer kept; longer ones are not cached (keeps memory per stream bounded). */
  public static final int MAX_TEXT_CHARS = 1 << 20;

  private final StringBuilder text = new StringBuilder();
  private String finishReason;
  private String model = "";
  private JsonNode usage;
  private boolean done;
  private boolean invalid;

  /** Takes one piece of the stream; the bytes between events mean nothing here. */
  public void accept(SseEvent event) {
    if (invalid || !event.isEvent()) {
      return;
    }
    if (done) {
      invalid = true; // events after [DONE] are not OpenAI's protocol
      return;
    }
    String data = event.data();
    if ("[DONE]".equals(data.strip())) {
      done = true;
      return;
    }
    JsonNode chunk;
    try {
      chunk = HttpMessage.parseJson(data.getBytes(StandardCharsets.UTF_8));
    } catch (BodyException e) {
      invalid = true;
      return;
    }
    if (!chunk.isObject() || chunk.has("error")) {
      invalid = true;
      return;
    }
    if (chunk.path("model").isTextual()) {
      model = chunk.get("model").asText();
    }
    JsonNode u = CachedAnswer.usageOf(chunk);
    if (u != null) {
      usage = u;
    }
    for (JsonNode choice : chunk.path("choices")) {
      if (choice.path("index").asInt(0) != 0) {
        invalid = true;
        return;
      }
      JsonNode delta = choice.path("delta");
      if (CachedAnswer.hasValue(delta, "tool_calls")
          || CachedAnswer.hasValue(delta, "function_call")) {
        invalid = true;
        return;
      }
      if (delta.path("content").isTextual()) {
        text.append(delta.get("content").asText());
        if (text.length() > MAX_TEXT_CHARS) {
          invalid = true;
          return;
        }
      }
      if (choice.path("finish_reason").isTextual()) {
        finishReason = choice.get("finish_reason").asText();
      }
    }
  }

  /** The assembled answer, or null if the stream was incomplete or not cacheable. */
  public CachedAnswer result() {
    if (invalid || !done || finishReason == null) {
      return null;
    }
    return new CachedAnswer(text.toString(), finishReason, model, usage);
  }
}
