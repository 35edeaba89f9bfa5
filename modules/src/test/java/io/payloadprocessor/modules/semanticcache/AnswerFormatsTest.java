package io.payloadprocessor.modules.semanticcache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.SseParser;
import io.payloadprocessor.spi.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerFormatsTest {
  static final String COMPLETION =
      "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024\","
          + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Paris.\"},"
          + "\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":2,\"total_tokens\":14}}";

  private static JsonNode json(String s) throws Exception {
    return HttpMessage.parseJson(s.getBytes(StandardCharsets.UTF_8));
  }

  static List<SseEvent> stream(String... deltas) {
    List<SseEvent> events = new java.util.ArrayList<>();
    events.add(
        SseEvent.data(
            "{\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024\",\"choices\":"
                + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                + "\"finish_reason\":null}]}"));
    for (String d : deltas) {
      events.add(
          SseEvent.data(
              "{\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024\",\"choices\":"
                  + "[{\"index\":0,\"delta\":{\"content\":\""
                  + d
                  + "\"},\"finish_reason\":null}]}"));
    }
    events.add(
        SseEvent.data(
            "{\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024\",\"choices\":"
                + "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"));
    events.add(
        SseEvent.data(
            "{\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":2,\"total_tokens\":14}}"));
    events.add(SseEvent.data("[DONE]"));
    return events;
  }

  @Test
  void normalisesAChatCompletion() throws Exception {
    CachedAnswer a = CachedAnswer.fromChatCompletion(json(COMPLETION));
    assertThat(a.text()).isEqualTo("Paris.");
    assertThat(a.finishReason()).isEqualTo("stop");
    assertThat(a.model()).isEqualTo("gpt-4o-2024");
    assertThat(a.usage().path("total_tokens").asInt()).isEqualTo(14);
  }

  @Test
  void toolCallsErrorsAndSeveralChoicesAreNotCacheable() throws Exception {
    assertThat(
            CachedAnswer.fromChatCompletion(
                json(
                    COMPLETION.replace(
                        "\"content\":\"Paris.\"",
                        "\"content\":\"\",\"tool_calls\":[{\"id\":\"t\"}]"))))
        .isNull();
    assertThat(CachedAnswer.fromChatCompletion(json("{\"error\":{\"message\":\"x\"}}"))).isNull();
    assertThat(
            CachedAnswer.fromChatCompletion(
                json(
                    "{\"choices\":[{\"message\":{\"content\":\"a\"},\"finish_reason\":\"stop\"},"
                        + "{\"message\":{\"content\":\"b\"},\"finish_reason\":\"stop\"}]}")))
        .isNull();
  }

  @Test
  void assemblesACompleteStream() {
    SseAnswerAssembler asm = new SseAnswerAssembler();
    stream("Par", "is.").forEach(asm::accept);
    CachedAnswer a = asm.result();
    assertThat(a).isNotNull();
    assertThat(a.text()).isEqualTo("Paris.");
    assertThat(a.finishReason()).isEqualTo("stop");
    assertThat(a.model()).isEqualTo("gpt-4o-2024");
    assertThat(a.usage().path("completion_tokens").asInt()).isEqualTo(2);
  }

  @Test
  void incompleteOrBrokenStreamsAreNotCacheable() {
    List<SseEvent> full = stream("Paris.");
    SseAnswerAssembler noDone = new SseAnswerAssembler();
    full.subList(0, full.size() - 1).forEach(noDone::accept);
    assertThat(noDone.result()).isNull();

    SseAnswerAssembler noFinish = new SseAnswerAssembler();
    noFinish.accept(full.get(0));
    noFinish.accept(full.get(1));
    noFinish.accept(SseEvent.data("[DONE]"));
    assertThat(noFinish.result()).isNull();

    SseAnswerAssembler error = new SseAnswerAssembler();
    error.accept(full.get(0));
    error.accept(SseEvent.data("{\"error\":{\"message\":\"overloaded\"}}"));
    full.subList(2, full.size()).forEach(error::accept);
    assertThat(error.result()).isNull();

    SseAnswerAssembler toolCall = new SseAnswerAssembler();
    toolCall.accept(
        SseEvent.data("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0}]}}]}"));
    full.forEach(toolCall::accept);
    assertThat(toolCall.result()).isNull();
  }

  @Test
  void replayedStreamAssemblesBackToTheSameAnswer() throws Exception {
    CachedAnswer a = CachedAnswer.fromChatCompletion(json(COMPLETION));
    byte[] wire = a.toSse("chatcmpl-x", 1700000000L, true);
    SseParser parser = new SseParser();
    List<SseEvent> events = new java.util.ArrayList<>(parser.feed(wire));
    events.addAll(parser.finish());
    assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
    assertThat(json(events.get(0).data()).path("object").asText())
        .isEqualTo("chat.completion.chunk");
    SseAnswerAssembler asm = new SseAnswerAssembler();
    events.forEach(asm::accept);
    assertThat(asm.result()).isEqualTo(a);
  }

  @Test
  void usageChunkOnlyWhenAskedFor() throws Exception {
    CachedAnswer a = CachedAnswer.fromChatCompletion(json(COMPLETION));
    String without = new String(a.toSse("id", 1L, false), StandardCharsets.UTF_8);
    assertThat(without).doesNotContain("usage").endsWith("data: [DONE]\n\n");
  }

  @Test
  void renderedCompletionIsAChatCompletion() throws Exception {
    CachedAnswer a = CachedAnswer.fromChatCompletion(json(COMPLETION));
    JsonNode out = a.toChatCompletion("chatcmpl-x", 1L);
    assertThat(out.path("object").asText()).isEqualTo("chat.completion");
    assertThat(out.path("choices").get(0).path("message").path("content").asText())
        .isEqualTo("Paris.");
    assertThat(CachedAnswer.fromChatCompletion(out)).isEqualTo(a);
  }

  @Test
  void storedFormKeepsTheEmbedding() throws Exception {
    CachedAnswer a = CachedAnswer.fromChatCompletion(json(COMPLETION));
    float[] e = {0.25f, -0.5f, 1f};
    CachedAnswer.Stored s = CachedAnswer.fromStored(a.toStored(e));
    assertThat(s.answer()).isEqualTo(a);
    assertThat(s.embedding()).containsExactly(0.25f, -0.5f, 1f);
    assertThat(CachedAnswer.fromStored(a.toStored(null)).embedding()).isNull();
    assertThat(CachedAnswer.fromStored("not json")).isNull();
  }

  @Test
  void cacheControlDirectives() {
    assertThat(CacheControl.parse("No-Store")).isEqualTo(new CacheControl(true, false));
    assertThat(CacheControl.parse("max-age=0, no-cache")).isEqualTo(new CacheControl(false, true));
    assertThat(CacheControl.parse("no-cache=\"set-cookie\""))
        .isEqualTo(new CacheControl(false, true));
    assertThat(CacheControl.parse(null)).isEqualTo(new CacheControl(false, false));
    assertThat(CacheControl.parse("max-age=60")).isEqualTo(new CacheControl(false, false));
  }
}
