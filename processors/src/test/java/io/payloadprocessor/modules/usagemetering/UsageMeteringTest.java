package io.payloadprocessor.modules.usagemetering;

import static io.payloadprocessor.modules.ModuleTestSupport.configJson;
import static io.payloadprocessor.modules.ModuleTestSupport.mutation;
import static io.payloadprocessor.modules.ModuleTestSupport.post;
import static io.payloadprocessor.modules.ModuleTestSupport.withResponse;
import static org.assertj.core.api.Assertions.assertThat;

import io.payloadprocessor.modules.ModuleTestSupport;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseParser;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UsageMeteringTest {
  static final String CHAT_JSON =
      "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024-08-06\","
          + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"}}],"
          + "\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":30,\"total_tokens\":150,"
          + "\"prompt_tokens_details\":{\"cached_tokens\":100}}}";
  static final String RESPONSES_JSON =
      "{\"id\":\"resp_1\",\"object\":\"response\",\"model\":\"gpt-4.1\",\"output\":[],"
          + "\"usage\":{\"input_tokens\":50,\"input_tokens_details\":{\"cached_tokens\":10},"
          + "\"output_tokens\":20,\"output_tokens_details\":{\"reasoning_tokens\":5},"
          + "\"total_tokens\":70}}";
  static final String ANTHROPIC_JSON =
      "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4\","
          + "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"usage\":{\"input_tokens\":12,"
          + "\"cache_creation_input_tokens\":3,\"cache_read_input_tokens\":200,\"output_tokens\":40}}";

  static final String CHAT_SSE =
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\","
          + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n"
          + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\","
          + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
          + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\","
          + "\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,"
          + "\"total_tokens\":11,\"prompt_tokens_details\":{\"cached_tokens\":0}}}\n\n"
          + "data: [DONE]\n\n";
  static final String RESPONSES_SSE =
      "event: response.created\n"
          + "data: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"model\":\"gpt-4.1\","
          + "\"usage\":null}}\n\n"
          + "event: response.output_text.delta\n"
          + "data: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n"
          + "event: response.completed\n"
          + "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"model\":\"gpt-4.1\","
          + "\"usage\":{\"input_tokens\":30,\"input_tokens_details\":{\"cached_tokens\":8},"
          + "\"output_tokens\":5,\"total_tokens\":35}}}\n\n";
  static final String ANTHROPIC_SSE =
      "event: message_start\n"
          + "data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\","
          + "\"model\":\"claude-haiku\",\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":5,"
          + "\"cache_creation_input_tokens\":0,\"output_tokens\":1}}}\n\n"
          + "event: content_block_delta\n"
          + "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
          + "\"text\":\"Hello\"}}\n\n"
          + "event: message_delta\n"
          + "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
          + "\"usage\":{\"output_tokens\":15}}\n\n"
          + "event: message_stop\n"
          + "data: {\"type\":\"message_stop\"}\n\n";

  private ModuleTestSupport.Context context;
  private Processor processor;

  @BeforeEach
  void setUp() throws ConfigException {
    context = new ModuleTestSupport.Context(Path.of("."));
    processor = new UsageMeteringFactory().create("meter", configJson("{}"), context);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> usage(Map<String, Object> metadata) {
    return (Map<String, Object>) metadata.get("usage");
  }

  private Map<String, Object> json(String path, String body) throws Exception {
    Exchange ex = withResponse(post(path, "{}"), "application/json", body);
    return usage(mutation(processor.onResponse(ex)).metadata());
  }

  private Map<String, Object> stream(String path, String sse) throws Exception {
    Exchange ex = withResponse(post(path, "{}"), "text/event-stream", "");
    SseStreamProcessor s = processor.openSseStream(ex);
    SseParser parser = new SseParser();
    List<SseEvent> in = new ArrayList<>(parser.feed(sse.getBytes(StandardCharsets.UTF_8)));
    in.addAll(parser.finish());
    List<SseEvent> out = new ArrayList<>();
    for (SseEvent e : in) {
      StreamStep step = s.onEvent(e);
      assertThat(step.block()).isNull();
      assertThat(step.metadata()).isEmpty();
      out.addAll(step.emit());
    }
    StreamStep end = s.onEnd();
    assertThat(end.emit()).isEmpty();
    assertThat(out).isEqualTo(in); // every event passed on unchanged, in order
    return usage(end.metadata());
  }

  private static Map<String, Object> expected(
      long in, long out, long total, long cached, String model) {
    return Map.of(
        "input_tokens", in,
        "output_tokens", out,
        "total_tokens", total,
        "cached_tokens", cached,
        "model", model);
  }

  @Test
  void openAiChatJson() throws Exception {
    assertThat(json("/v1/chat/completions", CHAT_JSON))
        .isEqualTo(expected(120, 30, 150, 100, "gpt-4o-2024-08-06"));
  }

  @Test
  void openAiResponsesJson() throws Exception {
    assertThat(json("/v1/responses", RESPONSES_JSON))
        .isEqualTo(expected(50, 20, 70, 10, "gpt-4.1"));
  }

  @Test
  void anthropicJsonCountsCacheAsInput() throws Exception {
    assertThat(json("/v1/messages", ANTHROPIC_JSON))
        .isEqualTo(expected(215, 40, 255, 200, "claude-sonnet-4"));
  }

  @Test
  void openAiChatStream() throws Exception {
    assertThat(stream("/v1/chat/completions", CHAT_SSE))
        .isEqualTo(expected(9, 2, 11, 0, "gpt-4o-mini"));
  }

  @Test
  void openAiResponsesStream() throws Exception {
    assertThat(stream("/v1/responses", RESPONSES_SSE)).isEqualTo(expected(30, 5, 35, 8, "gpt-4.1"));
  }

  @Test
  void anthropicStreamTakesOutputFromMessageDelta() throws Exception {
    assertThat(stream("/v1/messages", ANTHROPIC_SSE))
        .isEqualTo(expected(30, 15, 45, 5, "claude-haiku"));
  }

  @Test
  void bufferedStreamIsMeteredToo() throws Exception {
    Exchange ex = withResponse(post("/v1/messages", "{}"), "text/event-stream", ANTHROPIC_SSE);
    assertThat(usage(mutation(processor.onResponse(ex)).metadata()))
        .isEqualTo(expected(30, 15, 45, 5, "claude-haiku"));
  }

  @Test
  void streamWithoutUsageEmitsNothing() throws Exception {
    String noUsage =
        "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
            + "data: not json with \"usage\" in it\n\n"
            + "data: [DONE]\n\n";
    assertThat(stream("/v1/chat/completions", noUsage)).isNull();
  }

  @Test
  void countersByModelAndKind() throws Exception {
    json("/v1/chat/completions", CHAT_JSON);
    json("/v1/chat/completions", CHAT_JSON);
    stream("/v1/messages", ANTHROPIC_SSE);
    assertThat(counter("gpt-4o-2024-08-06", "input")).isEqualTo(240);
    assertThat(counter("gpt-4o-2024-08-06", "output")).isEqualTo(60);
    assertThat(counter("gpt-4o-2024-08-06", "cached")).isEqualTo(200);
    assertThat(counter("claude-haiku", "output")).isEqualTo(15);
    // A second processor on the same registry shares the counter instead of failing.
    Processor again = new UsageMeteringFactory().create("meter2", configJson("{}"), context);
    assertThat(again).isNotNull();
  }

  private double counter(String model, String kind) {
    for (MetricSnapshot s : context.metrics().scrape()) {
      if (s instanceof CounterSnapshot
          && s.getMetadata().getPrometheusName().startsWith("payload_processor_tokens")) {
        for (CounterSnapshot.CounterDataPointSnapshot p : ((CounterSnapshot) s).getDataPoints()) {
          if (p.getLabels().equals(Labels.of("kind", kind, "model", model))) {
            return p.getValue();
          }
        }
      }
    }
    return 0;
  }

  @Test
  void responseWithoutUsageOrNotJsonIsNotMetered() throws Exception {
    Exchange ex = withResponse(post("/v1/chat/completions", "{}"), "text/plain", "oops");
    Outcome o = processor.onResponse(ex);
    assertThat(mutation(o).isEmpty()).isTrue();
    Exchange noUsage =
        withResponse(post("/v1/chat/completions", "{}"), "application/json", "{\"id\":1}");
    assertThat(mutation(processor.onResponse(noUsage)).isEmpty()).isTrue();
  }

  @Test
  void injectsIncludeUsageIntoStreamingCompletionsOnly() throws Exception {
    Processor p =
        new UsageMeteringFactory()
            .create("meter", configJson("{\"injectStreamUsage\":true}"), context);
    assertThat(p.handlesRequest()).isTrue();
    assertThat(processor.handlesRequest()).isFalse();
    Mutation m =
        mutation(
            p.onRequest(
                post(
                    "/v1/chat/completions",
                    "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"x\":1},"
                        + "\"messages\":[]}")));
    assertThat(m.json().get("stream_options").get("include_usage").asBoolean()).isTrue();
    assertThat(m.json().get("stream_options").get("x").asInt()).isEqualTo(1);
    assertThat(m.json().get("messages").isArray()).isTrue();
    Mutation fresh =
        mutation(p.onRequest(post("/v1/completions?x=1", "{\"stream\":true,\"prompt\":\"a\"}")));
    assertThat(fresh.json().path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(mutation(p.onRequest(post("/v1/chat/completions", "{\"stream\":false}"))).isEmpty())
        .isTrue();
    assertThat(
            mutation(
                    p.onRequest(
                        post(
                            "/v1/chat/completions",
                            "{\"stream\":true,\"stream_options\":{\"include_usage\":true}}")))
                .isEmpty())
        .isTrue();
    assertThat(mutation(p.onRequest(post("/v1/messages", "{\"stream\":true}"))).isEmpty()).isTrue();
  }
}
