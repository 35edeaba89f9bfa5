package io.payloadprocessor.modules.pii;

import static io.payloadprocessor.modules.common.GuardFixtures.anthropicDelta;
import static io.payloadprocessor.modules.common.GuardFixtures.feed;
import static io.payloadprocessor.modules.common.GuardFixtures.openAiDelta;
import static io.payloadprocessor.modules.common.GuardFixtures.releasedText;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.payloadprocessor.modules.common.GuardFixtures;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PiiSseStreamTest {
  static final String FILLER = "The quick brown fox jumps over the lazy dog. ".repeat(20); // 900

  static PiiProcessor pii(String config) throws ConfigException {
    return (PiiProcessor)
        GuardFixtures.create(new PiiFactory(), "pii-stream", config, new TestContext());
  }

  static SseStreamProcessor stream(String config) throws ConfigException {
    return pii(config).openSseStream(GuardFixtures.request("/v1/chat/completions", "{}"));
  }

  static final String MASK_EMAIL_CARD =
      "{\"detectors\":[{\"type\":\"email\"},{\"type\":\"payment_card\"}]}";

  /** Feeds events one at a time; after each, nothing released may contain {@code secretPart}. */
  static List<SseEvent> feedChecking(SseStreamProcessor s, List<SseEvent> in, String... forbidden) {
    List<SseEvent> out = new ArrayList<>();
    for (SseEvent e : in) {
      StreamStep step = s.onEvent(e);
      assertThat(step.block()).isNull();
      out.addAll(step.emit());
      String released = releasedText(out);
      for (String f : forbidden) {
        assertThat(released).doesNotContain(f);
      }
    }
    out.addAll(s.onEnd().emit());
    return out;
  }

  @Test
  void holdBackDefaultsToLongestSpanPlusMargin() throws Exception {
    assertThat(pii(MASK_EMAIL_CARD).holdBack()).isEqualTo(320 + PiiFactory.LOOKAHEAD_MARGIN);
  }

  @Test
  void emailSplitAcrossTwoChunksIsNeverReleasedEarly() throws Exception {
    SseStreamProcessor s = stream(MASK_EMAIL_CARD);
    List<SseEvent> in =
        List.of(
            openAiDelta(FILLER + "write to john.d"),
            openAiDelta("oe@example.com today. " + FILLER),
            SseEvent.data("[DONE]"));
    List<SseEvent> out = feedChecking(s, in, "john", "doe@", "example.com");
    assertThat(releasedText(out)).isEqualTo(FILLER + "write to [EMAIL] today. " + FILLER);
    assertThat(out.get(out.size() - 1).data()).isEqualTo("[DONE]");
  }

  @Test
  void firstChunkReleasesAllButTheWindow() throws Exception {
    PiiProcessor p = pii(MASK_EMAIL_CARD);
    SseStreamProcessor s = p.openSseStream(GuardFixtures.request("/v1/chat/completions", "{}"));
    StreamStep step = s.onEvent(openAiDelta(FILLER));
    assertThat(releasedText(step.emit())).hasSize(FILLER.length() - p.holdBack());
    // The re-emitted event keeps the chunk's other fields.
    assertThat(step.emit().get(0).data())
        .contains("\"id\":\"c1\"")
        .contains("chat.completion.chunk");
  }

  @Test
  void cardSplitAcrossThreeChunks() throws Exception {
    SseStreamProcessor s = stream(MASK_EMAIL_CARD);
    List<SseEvent> in =
        List.of(
            openAiDelta(FILLER + "card 4111 11"),
            openAiDelta("11 1111 "),
            openAiDelta("1111 ok " + FILLER),
            SseEvent.data("[DONE]"));
    List<SseEvent> out = feedChecking(s, in, "4111", "1111");
    assertThat(releasedText(out)).isEqualTo(FILLER + "card [PAYMENT_CARD] ok " + FILLER);
  }

  @Test
  void shortStreamIsHeldUntilTheEnd() throws Exception {
    SseStreamProcessor s = stream(MASK_EMAIL_CARD);
    assertThat(s.onEvent(openAiDelta("hi a@b")).emit()).isEmpty();
    assertThat(s.onEvent(openAiDelta(".io")).emit()).isEmpty();
    StreamStep fin =
        s.onEvent(
            SseEvent.data(
                "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"));
    // Held text is flushed (masked) before the finish chunk, which follows unchanged.
    assertThat(fin.emit()).hasSize(2);
    assertThat(releasedText(fin.emit())).isEqualTo("hi [EMAIL]");
    assertThat(fin.emit().get(1).data()).contains("\"finish_reason\":\"stop\"");
    assertThat(fin.metadata()).containsKey("pii");
  }

  @Test
  void roleChunkWithEmptyContentPassesThrough() throws Exception {
    SseStreamProcessor s = stream(MASK_EMAIL_CARD);
    SseEvent role =
        SseEvent.data(
            "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}");
    assertThat(s.onEvent(role).emit()).containsExactly(role);
  }

  @Test
  void blockMidStreamReleasesNothingHeld() throws Exception {
    SseStreamProcessor s =
        stream("{\"detectors\":[{\"type\":\"payment_card\",\"action\":\"block\"}]}");
    List<SseEvent> in =
        List.of(
            openAiDelta(FILLER + "card 4111 1111 "),
            openAiDelta("1111 1111 and more " + FILLER),
            SseEvent.data("[DONE]"));
    GuardFixtures.Streamed r = feed(s, in);
    assertThat(r.blockStep()).isNotNull();
    assertThat(r.blockStep().block().reason()).isEqualTo("pii_detected");
    assertThat(r.blockStep().block().rule()).isEqualTo("payment_card");
    assertThat(r.blockStep().block().message()).doesNotContain("4111");
    assertThat(r.blockStep().emit()).isEmpty();
    assertThat(r.allData()).doesNotContain("4111").doesNotContain("[DONE]");
    // After a block the stream stays closed.
    assertThat(s.onEvent(openAiDelta("x")).emit()).isEmpty();
  }

  @Test
  void anthropicDeltasAreMaskedAndEventTypesKept() throws Exception {
    SseStreamProcessor s = stream(MASK_EMAIL_CARD);
    SseEvent start =
        new SseEvent(
            "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
            null);
    SseEvent stop =
        new SseEvent("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}", null);
    SseEvent msgStop = new SseEvent("message_stop", "{\"type\":\"message_stop\"}", null);
    List<SseEvent> out =
        feedChecking(
            s,
            List.of(
                start,
                anthropicDelta("reach me at jane"),
                anthropicDelta("@corp.example ok"),
                stop,
                msgStop),
            "jane");
    assertThat(releasedText(out)).isEqualTo("reach me at [EMAIL] ok");
    assertThat(out)
        .extracting(SseEvent::event)
        .containsExactly(
            "content_block_start", "content_block_delta", "content_block_stop", "message_stop");
  }

  @Test
  void responsesApiDeltasAndDoneEvent() throws Exception {
    SseStreamProcessor s = stream(MASK_EMAIL_CARD);
    SseEvent d1 =
        new SseEvent(
            "response.output_text.delta",
            "{\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,\"delta\":\"to a@\"}",
            null);
    SseEvent d2 =
        new SseEvent(
            "response.output_text.delta",
            "{\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,\"delta\":\"b.io\"}",
            null);
    SseEvent done =
        new SseEvent(
            "response.output_text.done",
            "{\"type\":\"response.output_text.done\",\"output_index\":0,\"content_index\":0,\"text\":\"to a@b.io\"}",
            null);
    GuardFixtures.Streamed r = feed(s, List.of(d1, d2, done));
    assertThat(r.allData()).doesNotContain("a@b").contains("[EMAIL]");
    assertThat(releasedText(r.events())).isEqualTo("to [EMAIL]");
  }

  @Test
  void reportOnlyInStreamsLeavesTextUnchanged() throws Exception {
    SseStreamProcessor s = stream("{\"detectors\":[{\"type\":\"email\",\"action\":\"report\"}]}");
    GuardFixtures.Streamed r = feed(s, List.of(openAiDelta("hi a@b.io"), SseEvent.data("[DONE]")));
    assertThat(releasedText(r.events())).isEqualTo("hi a@b.io");
  }

  @Test
  void holdBackBelowLongestSpanIsAConfigError() {
    assertThatThrownBy(() -> pii("{\"detectors\":[{\"type\":\"email\"}],\"holdBackChars\":10}"))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> assertThat(e.problems().get(0).field()).isEqualTo("holdBackChars"));
  }

  @Test
  void streamEndFlushesHeldTextWithoutDone() throws Exception {
    SseStreamProcessor s = stream(MASK_EMAIL_CARD);
    GuardFixtures.Streamed r = feed(s, List.of(openAiDelta("mail a@b.io")));
    assertThat(releasedText(r.events())).isEqualTo("mail [EMAIL]");
  }
}
