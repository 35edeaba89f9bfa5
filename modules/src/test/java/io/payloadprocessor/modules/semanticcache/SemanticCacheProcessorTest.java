package io.payloadprocessor.modules.semanticcache;

import static io.payloadprocessor.modules.semanticcache.CacheHarness.answerJson;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.answerStream;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.ask;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.chat;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.completion;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.outcome;
import static io.payloadprocessor.modules.testing.TestExchanges.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.common.MiniLmEmbeddings;
import io.payloadprocessor.modules.semanticcache.SemanticCacheProcessor.Mode;
import io.payloadprocessor.modules.store.MemoryStore;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.runtime.SseParser;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.SseEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SemanticCacheProcessorTest {
  private final AtomicLong now = new AtomicLong();

  private SemanticCacheProcessor cache(Mode mode) {
    return new SemanticCacheProcessor(
        "cache",
        mode,
        0.92,
        Duration.ofMinutes(10),
        "x-tenant",
        64,
        new MemoryStore(1000, now::get),
        "pp:test:",
        mode == Mode.EXACT ? null : MiniLmEmbeddings.shared(),
        result -> {});
  }

  private static Outcome.Respond hitOf(MutableExchange e) {
    assertThat(outcome(e)).isInstanceOf(Outcome.Respond.class);
    return (Outcome.Respond) outcome(e);
  }

  private static JsonNode json(byte[] b) throws Exception {
    return HttpMessage.parseJson(b);
  }

  @Test
  void missIsMarkedThenTheSameQuestionIsAnExactHit() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT);
    MutableExchange first = ask(p, chat("What is the capital of France?"));
    assertThat(outcome(first)).isInstanceOf(Outcome.Continue.class);
    answerJson(p, first, 200, completion("Paris."));
    assertThat(first.response().headers().get("x-cache")).isEqualTo("miss");
    assertThat(first.response().headers().get("x-cache-similarity")).isNull();

    Outcome.Respond hit = hitOf(ask(p, chat("What is the capital of France?")));
    assertThat(hit.status()).isEqualTo(200);
    assertThat(hit.headers().get("x-cache")).isEqualTo("hit");
    assertThat(hit.headers().get("x-cache-similarity")).isEqualTo("1.0000");
    assertThat(hit.headers().get("content-type")).isEqualTo("application/json");
    JsonNode body = json(hit.body());
    assertThat(body.path("object").asText()).isEqualTo("chat.completion");
    assertThat(body.path("choices").get(0).path("message").path("content").asText())
        .isEqualTo("Paris.");
    assertThat(body.path("model").asText()).isEqualTo("gpt-4o-2024");
  }

  @Test
  void exactModeMissesAParaphrase() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT);
    answerJson(p, ask(p, chat("What is the capital of France?")), 200, completion("Paris."));
    MutableExchange e = ask(p, chat("What's the capital of France?"));
    assertThat(outcome(e)).isInstanceOf(Outcome.Continue.class);
  }

  @Test
  void semanticHitForAParaphraseWithTheRealModel() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT_THEN_SEMANTIC);
    answerJson(p, ask(p, chat("What is the capital of France?")), 200, completion("Paris."));

    Outcome.Respond hit = hitOf(ask(p, chat("What's the capital of France?")));
    double similarity = Double.parseDouble(hit.headers().get("x-cache-similarity"));
    assertThat(similarity).isBetween(0.92, 1.0);
    assertThat(json(hit.body()).path("choices").get(0).path("message").path("content").asText())
        .isEqualTo("Paris.");

    MutableExchange unrelated = ask(p, chat("How do I bake sourdough bread?"));
    assertThat(outcome(unrelated)).isInstanceOf(Outcome.Continue.class);
    answerJson(p, unrelated, 200, completion("Slowly."));
    assertThat(unrelated.response().headers().get("x-cache")).isEqualTo("miss");
    assertThat(Double.parseDouble(unrelated.response().headers().get("x-cache-similarity")))
        .isLessThan(0.92);
  }

  @Test
  void semanticModeNeverMatchesAcrossPartitions() throws Exception {
    SemanticCacheProcessor p = cache(Mode.SEMANTIC);
    answerJson(p, ask(p, chat("What is the capital of France?")), 200, completion("Paris."));
    assertThat(hitOf(ask(p, chat("What is the capital of France?"))).headers().get("x-cache"))
        .isEqualTo("hit");
    MutableExchange otherTenant =
        ask(p, chat("What is the capital of France?"), "x-tenant", "acme");
    assertThat(outcome(otherTenant)).isInstanceOf(Outcome.Continue.class);
    MutableExchange otherModel =
        ask(p, chat("What is the capital of France?").replace("gpt-4o", "o3"));
    assertThat(outcome(otherModel)).isInstanceOf(Outcome.Continue.class);
  }

  @Test
  void entriesExpireAfterTheTtl() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT_THEN_SEMANTIC);
    answerJson(p, ask(p, chat("What is the capital of France?")), 200, completion("Paris."));
    now.addAndGet(Duration.ofMinutes(9).toNanos());
    hitOf(ask(p, chat("What is the capital of France?")));
    now.addAndGet(Duration.ofMinutes(2).toNanos());
    assertThat(outcome(ask(p, chat("What is the capital of France?"))))
        .isInstanceOf(Outcome.Continue.class);
  }

  @Test
  void noStoreNeitherLooksUpNorStores() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT);
    answerJson(p, ask(p, chat("q1")), 200, completion("cached"));
    MutableExchange e = ask(p, chat("q1"), "cache-control", "no-store");
    assertThat(outcome(e)).isInstanceOf(Outcome.Continue.class);
    MutableExchange e2 = ask(p, chat("q2"), "cache-control", "no-store");
    answerJson(p, e2, 200, completion("fresh"));
    assertThat(e2.response().headers().get("x-cache")).isEqualTo("bypass");
    assertThat(outcome(ask(p, chat("q2")))).isInstanceOf(Outcome.Continue.class);
  }

  @Test
  void noCacheSkipsTheLookupButStoresTheFreshAnswer() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT);
    answerJson(p, ask(p, chat("q1")), 200, completion("old"));
    MutableExchange e = ask(p, chat("q1"), "cache-control", "no-cache");
    assertThat(outcome(e)).isInstanceOf(Outcome.Continue.class);
    answerJson(p, e, 200, completion("new"));
    assertThat(e.response().headers().get("x-cache")).isEqualTo("bypass");
    Outcome.Respond hit = hitOf(ask(p, chat("q1")));
    assertThat(text(hit.body())).contains("\"new\"");
  }

  @Test
  void onlyCompleteSuccessfulAnswersAreStored() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT);
    answerJson(p, ask(p, chat("q")), 500, "{\"error\":{\"message\":\"boom\"}}");
    assertThat(outcome(ask(p, chat("q")))).isInstanceOf(Outcome.Continue.class);
    answerJson(p, ask(p, chat("q")), 200, "{\"choices\":[]}");
    assertThat(outcome(ask(p, chat("q")))).isInstanceOf(Outcome.Continue.class);
    List<SseEvent> cut = AnswerFormatsTest.stream("Par", "is.");
    answerStream(p, ask(p, chat("q", true)), cut.subList(0, cut.size() - 1));
    assertThat(outcome(ask(p, chat("q")))).isInstanceOf(Outcome.Continue.class);
  }

  @Test
  void streamedAnswerPassesThroughUnchangedAndIsServedAsJson() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT);
    MutableExchange e = ask(p, chat("q", true));
    List<SseEvent> events = AnswerFormatsTest.stream("Par", "is.");
    assertThat(answerStream(p, e, events)).isEqualTo(events);
    assertThat(e.response().headers().get("x-cache")).isEqualTo("miss");

    Outcome.Respond hit = hitOf(ask(p, chat("q", false)));
    assertThat(hit.headers().get("content-type")).isEqualTo("application/json");
    JsonNode body = json(hit.body());
    assertThat(body.path("choices").get(0).path("message").path("content").asText())
        .isEqualTo("Paris.");
    assertThat(body.path("usage").path("total_tokens").asInt()).isEqualTo(14);
  }

  @Test
  void jsonAnswerIsReplayedAsAStream() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT);
    answerJson(p, ask(p, chat("q", false)), 200, completion("Paris."));

    Outcome.Respond hit = hitOf(ask(p, chat("q", true)));
    assertThat(hit.headers().get("content-type")).isEqualTo("text/event-stream");
    assertThat(hit.headers().get("x-cache")).isEqualTo("hit");
    SseParser parser = new SseParser();
    List<SseEvent> events = new ArrayList<>(parser.feed(hit.body()));
    events.addAll(parser.finish());
    assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
    for (SseEvent ev : events.subList(0, events.size() - 1)) {
      JsonNode chunk = json(ev.data().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
    }
    SseAnswerAssembler asm = new SseAnswerAssembler();
    events.forEach(asm::accept);
    assertThat(asm.result().text()).isEqualTo("Paris.");
    assertThat(asm.result().usage().path("total_tokens").asInt()).isEqualTo(14);
  }

  @Test
  void streamBufferedByTheServerIsStoredToo() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT);
    MutableExchange e = ask(p, chat("q", true));
    StringBuilder wire = new StringBuilder();
    AnswerFormatsTest.stream("Paris.").forEach(ev -> wire.append(ev.toWire()));
    io.payloadprocessor.modules.testing.TestExchanges.respond(
        e, 200, wire.toString(), "content-type", "text/event-stream");
    p.onResponse(e);
    hitOf(ask(p, chat("q")));
  }

  @Test
  void imageOnlyQuestionsUseExactLookupsOnly() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT_THEN_SEMANTIC);
    String img =
        "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":"
            + "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/a.png\"}}]}]}";
    MutableExchange first = ask(p, img);
    answerJson(p, first, 200, completion("A cat."));
    assertThat(first.response().headers().get("x-cache")).isEqualTo("miss");
    assertThat(hitOf(ask(p, img)).headers().get("x-cache-similarity")).isEqualTo("1.0000");
    assertThat(outcome(ask(p, img.replace("a.png", "b.png")))).isInstanceOf(Outcome.Continue.class);
  }

  @Test
  void nonChatRequestsBypass() throws Exception {
    SemanticCacheProcessor p = cache(Mode.EXACT);
    MutableExchange e = ask(p, "{\"model\":\"text-embedding-3-small\",\"input\":\"x\"}");
    answerJson(p, e, 200, "{\"data\":[]}");
    assertThat(e.response().headers().get("x-cache")).isEqualTo("bypass");
  }

  @Test
  void declaresWhatTheRunnerNeeds() {
    assertThat(cache(Mode.EXACT).execution()).isEqualTo(Execution.INLINE);
    assertThat(cache(Mode.SEMANTIC).execution()).isNotEqualTo(Execution.INLINE);
    assertThat(cache(Mode.EXACT).handlesResponse()).isTrue();
    assertThat(cache(Mode.EXACT).streamsSse()).isTrue();
  }
}
