package io.payloadprocessor.modules.usagemetering;

import static io.payloadprocessor.modules.ModuleTestSupport.configJson;
import static io.payloadprocessor.modules.ModuleTestSupport.mutation;
import static io.payloadprocessor.modules.ModuleTestSupport.post;
import static io.payloadprocessor.modules.ModuleTestSupport.withResponse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.payloadprocessor.modules.testing.SseChunks;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.runtime.SseParser;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

  private TestContext context;
  private Processor processor;

  @BeforeEach
  void setUp() throws ConfigException {
    context = new TestContext(Path.of("."));
    processor =
        new UsageMeteringFactory()
            .create(
                "meter",
                configJson(
                    "{\"metricModels\":[\"gpt-4o-2024-08-06\",\"claude-haiku\",\"gpt-4o\"]}"),
                context);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> usage(Map<String, Object> metadata) {
    return (Map<String, Object>) metadata.get("usage");
  }

  private Map<String, Object> json(String path, String body) throws Exception {
    return json(post(path, "{}"), body);
  }

  private Map<String, Object> json(MutableExchange request, String body) throws Exception {
    MutableExchange ex = withResponse(request, "application/json", body);
    return usage(mutation(processor.onResponse(ex)).metadata());
  }

  private Map<String, Object> stream(String path, String sse, int... cuts) throws Exception {
    return stream(post(path, "{}"), sse, cuts);
  }

  /**
   * Runs {@code sse}, cut at {@code cuts}, through the module's stream processor as the server
   * does; checks that every event came back as the same object (so its bytes are the upstream's)
   * and returns the usage metadata emitted at the end.
   */
  private Map<String, Object> stream(MutableExchange request, String sse, int... cuts)
      throws Exception {
    MutableExchange ex = withResponse(request, "text/event-stream", "");
    SseStreamProcessor s = processor.openSseStream(ex);
    byte[] bytes = sse.getBytes(StandardCharsets.UTF_8);
    List<SseEvent> in = SseChunks.parse(bytes, cuts);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (SseEvent e : in) {
      if (!e.isEvent()) {
        out.writeBytes(e.toWireBytes());
        continue;
      }
      StreamStep step = s.onEvent(e);
      assertThat(step.block()).isNull();
      assertThat(step.metadata()).isEmpty();
      assertThat(step.emit()).hasSize(1);
      assertThat(step.emit().get(0)).isSameAs(e);
      out.writeBytes(step.emit().get(0).toWireBytes());
    }
    StreamStep end = s.onEnd();
    assertThat(end.emit()).isEmpty();
    assertThat(out.toByteArray()).isEqualTo(bytes);
    // The same stream buffered whole gives the same usage.
    MutableExchange buffered = withResponse(request, "text/event-stream", sse);
    Outcome whole = processor.onResponse(buffered);
    assertThat(usage(mutation(whole).metadata())).isEqualTo(usage(end.metadata()));
    assertThat(mutation(whole).body()).isNull();
    return usage(end.metadata());
  }

  /** Expected metadata: name, value pairs, in any order. */
  private static Map<String, Object> expected(Object... pairs) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      Object v = pairs[i + 1];
      m.put((String) pairs[i], v instanceof Integer n ? Long.valueOf(n) : v);
    }
    return m;
  }

  private static Map<String, Object> expected(
      long in, long out, long total, long cached, String model) {
    return expected(
        "input_tokens",
        in,
        "output_tokens",
        out,
        "total_tokens",
        total,
        "cached_tokens",
        cached,
        "model",
        model);
  }

  @Test
  void openAiChatJson() throws Exception {
    assertThat(json("/v1/chat/completions", CHAT_JSON))
        .isEqualTo(expected(120, 30, 150, 100, "gpt-4o-2024-08-06"));
  }

  @Test
  void openAiResponsesJsonWithReasoning() throws Exception {
    assertThat(json("/v1/responses", RESPONSES_JSON))
        .isEqualTo(
            expected(
                "input_tokens",
                50,
                "output_tokens",
                20,
                "total_tokens",
                70,
                "cached_tokens",
                10,
                "reasoning_tokens",
                5,
                "model",
                "gpt-4.1"));
  }

  @Test
  void anthropicJsonCountsCacheAsInput() throws Exception {
    assertThat(json("/v1/messages", ANTHROPIC_JSON))
        .isEqualTo(
            expected(
                "input_tokens",
                215,
                "output_tokens",
                40,
                "total_tokens",
                255,
                "cached_tokens",
                200,
                "cache_creation_tokens",
                3,
                "model",
                "claude-sonnet-4"));
  }

  @Test
  void openAiChatWithAudioAndReasoningDetails() throws Exception {
    String body =
        "{\"model\":\"gpt-4o-audio-preview\",\"usage\":{\"prompt_tokens\":40,"
            + "\"completion_tokens\":90,\"total_tokens\":130,\"prompt_tokens_details\":"
            + "{\"cached_tokens\":0,\"audio_tokens\":25},\"completion_tokens_details\":"
            + "{\"reasoning_tokens\":0,\"audio_tokens\":70,\"accepted_prediction_tokens\":0}}}";
    assertThat(json("/v1/chat/completions", body))
        .isEqualTo(
            expected(
                "input_tokens",
                40,
                "output_tokens",
                90,
                "total_tokens",
                130,
                "cached_tokens",
                0,
                "reasoning_tokens",
                0,
                "input_audio_tokens",
                25,
                "output_audio_tokens",
                70,
                "model",
                "gpt-4o-audio-preview"));
  }

  @Test
  void aTotalAloneIsAUsageAndMissingPartsAreAbsent() throws Exception {
    assertThat(json("/v1/chat/completions", "{\"model\":\"m\",\"usage\":{\"total_tokens\":42}}"))
        .isEqualTo(expected("total_tokens", 42, "model", "m"));
    assertThat(
            json(
                "/v1/responses",
                "{\"model\":\"o3\",\"usage\":{\"total_tokens\":42,"
                    + "\"output_tokens_details\":{\"reasoning_tokens\":30}}}"))
        .isEqualTo(expected("total_tokens", 42, "reasoning_tokens", 30, "model", "o3"));
    // Embeddings: prompt and total, no completion.
    assertThat(
            json(
                "/v1/embeddings",
                "{\"object\":\"list\",\"data\":[],\"model\":\"text-embedding-3-small\","
                    + "\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}"))
        .isEqualTo(
            expected("input_tokens", 8, "total_tokens", 8, "model", "text-embedding-3-small"));
    // Output alone: no total is made up from half the parts.
    assertThat(json("/v1/messages", "{\"model\":\"c\",\"usage\":{\"output_tokens\":5}}"))
        .isEqualTo(expected("output_tokens", 5, "model", "c"));
  }

  @Test
  void countsThatAreNotWholeNonNegativeNumbersAreNotReported() throws Exception {
    assertThat(
            json(
                "/v1/chat/completions",
                "{\"model\":\"m\",\"usage\":{\"prompt_tokens\":-1,\"completion_tokens\":\"7\","
                    + "\"total_tokens\":12.0,\"prompt_tokens_details\":{\"cached_tokens\":1.5},"
                    + "\"completion_tokens_details\":{\"reasoning_tokens\":null}}}"))
        .isEqualTo(expected("total_tokens", 12, "model", "m"));
    assertThat(
            json(
                "/v1/chat/completions",
                "{\"usage\":{\"prompt_tokens\":99999999999999999999,\"foo\":1}}"))
        .isNull();
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
        .isEqualTo(
            expected(
                "input_tokens",
                30,
                "output_tokens",
                15,
                "total_tokens",
                45,
                "cached_tokens",
                5,
                "cache_creation_tokens",
                0,
                "model",
                "claude-haiku"));
  }

  @Test
  void anthropicCumulativeMessageDeltaReplacesEveryCountItCarries() throws Exception {
    String sse =
        "event: message_start\n"
            + "data: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-haiku\","
            + "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
            + "event: message_delta\n"
            + "data: {\"type\":\"message_delta\",\"usage\":{\"input_tokens\":40,"
            + "\"cache_read_input_tokens\":10,\"output_tokens\":15}}\n\n";
    assertThat(stream("/v1/messages", sse))
        .isEqualTo(
            expected(
                "input_tokens",
                50,
                "output_tokens",
                15,
                "total_tokens",
                65,
                "cached_tokens",
                10,
                "model",
                "claude-haiku"));
  }

  @Test
  void aStreamedTotalAloneIsMeteredWhereverTheUsageEventSits() throws Exception {
    String start =
        "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n";
    String usage = "data: {\"model\":\"m\",\"choices\":[],\"usage\":{\"total_tokens\":42}}";
    Map<String, Object> want = expected("total_tokens", 42, "model", "m");
    // Ending the stream, unterminated.
    assertThat(stream("/v1/chat/completions", start + usage)).isEqualTo(want);
    // Followed by [DONE], split across chunks inside the usage event.
    String done = start + usage + "\n\ndata: [DONE]\n\n";
    for (int cut = start.length(); cut < start.length() + usage.length(); cut += 7) {
      assertThat(stream("/v1/chat/completions", done, cut, cut + 3)).isEqualTo(want);
    }
    // After a malformed line and a malformed event.
    String malformed = start + "garbage line\ndata: {\"usage\": {broken\n\n" + usage + "\n\n";
    assertThat(stream("/v1/chat/completions", malformed)).isEqualTo(want);
  }

  @Test
  void responsesIncompleteStreamStillCarriesUsage() throws Exception {
    String sse =
        "event: response.incomplete\n"
            + "data: {\"type\":\"response.incomplete\",\"response\":{\"model\":\"gpt-4.1\","
            + "\"usage\":{\"input_tokens\":3,\"output_tokens\":100,\"total_tokens\":103}}}\n\n";
    assertThat(stream("/v1/responses", sse))
        .isEqualTo(
            expected(
                "input_tokens", 3, "output_tokens", 100, "total_tokens", 103, "model", "gpt-4.1"));
  }

  @Test
  void withoutAResponseModelTheRequestsModelAsRoutedIsUsed() throws Exception {
    String noModel = "{\"id\":\"x\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}";
    MutableExchange ex =
        post("/v1/chat/completions", "{\"model\":\"client-asked\",\"messages\":[]}");
    // A routing step earlier in the pipeline rewrote the model.
    ex.mutableRequest().replaceJson(configJson("{\"model\":\"gpt-4o\",\"messages\":[]}"));
    assertThat(json(ex, noModel))
        .isEqualTo(
            expected("input_tokens", 1, "output_tokens", 2, "total_tokens", 3, "model", "gpt-4o"));
    String sse = "data: {\"choices\":[],\"usage\":{\"total_tokens\":4}}\n\ndata: [DONE]\n\n";
    MutableExchange streamed =
        post("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"stream\":true}");
    assertThat(stream(streamed, sse)).isEqualTo(expected("total_tokens", 4, "model", "gpt-4o"));
    // Neither names one: no model at all, not a made-up name.
    assertThat(json(post("/v1/chat/completions", "{\"messages\":[]}"), noModel))
        .isEqualTo(expected("input_tokens", 1, "output_tokens", 2, "total_tokens", 3));
    assertThat(json(post("/v1/chat/completions", "not json"), noModel)).doesNotContainKey("model");
    // The response's model wins over the request's.
    assertThat(json(ex, CHAT_JSON)).containsEntry("model", "gpt-4o-2024-08-06");
  }

  @Test
  void hostileModelNamesAreDropped() throws Exception {
    String longName = "m".repeat(TokenUsage.MAX_MODEL_CHARS + 1);
    assertThat(
            json(
                post("/v1/chat/completions", "{\"model\":\"" + longName + "\"}"),
                "{\"model\":\"a\\nb\",\"usage\":{\"total_tokens\":1}}"))
        .isEqualTo(expected("total_tokens", 1));
  }

  @Test
  void bufferedStreamIsMeteredToo() throws Exception {
    MutableExchange ex =
        withResponse(post("/v1/messages", "{}"), "text/event-stream", ANTHROPIC_SSE);
    assertThat(usage(mutation(processor.onResponse(ex)).metadata()))
        .containsEntry("total_tokens", 45L)
        .containsEntry("model", "claude-haiku");
  }

  @Test
  void streamWithoutUsageEmitsNothing() throws Exception {
    String noUsage =
        """
        data: {"model":"m","choices":[{"delta":{"content":"a"}}]}

        data: not json with "usage" in it

        data: [DONE]

        """;
    assertThat(stream("/v1/chat/completions", noUsage)).isNull();
  }

  @Test
  void usageObjectDetectionSkipsNullUsage() {
    assertThat(UsageCollector.hasUsageObject("{\"usage\":null}")).isFalse();
    assertThat(UsageCollector.hasUsageObject("{\"usage\" : null,\"x\":{\"usage\":\n {}}}"))
        .isTrue();
    assertThat(UsageCollector.hasUsageObject("{\"text\":\"usage: {\"}")).isFalse();
  }

  @Test
  void countersByConfiguredModelAndKindOthersBounded() throws Exception {
    json("/v1/chat/completions", CHAT_JSON);
    json("/v1/chat/completions", CHAT_JSON);
    stream("/v1/messages", ANTHROPIC_SSE);
    json("/v1/chat/completions", "{\"model\":\"not-listed\",\"usage\":{\"total_tokens\":7}}");
    json("/v1/chat/completions", "{\"model\":\"also-not\",\"usage\":{\"total_tokens\":1}}");
    json(post("/v1/chat/completions", "{}"), "{\"usage\":{\"total_tokens\":3}}");
    assertThat(counter("gpt-4o-2024-08-06", "input")).isEqualTo(240);
    assertThat(counter("gpt-4o-2024-08-06", "output")).isEqualTo(60);
    assertThat(counter("gpt-4o-2024-08-06", "total")).isEqualTo(300);
    assertThat(counter("gpt-4o-2024-08-06", "cached")).isEqualTo(200);
    // stream() meters the stream and the same stream buffered: twice.
    assertThat(counter("claude-haiku", "output")).isEqualTo(30);
    assertThat(counter("claude-haiku", "cache_creation")).isEqualTo(0);
    assertThat(counter("other", "total")).isEqualTo(8);
    assertThat(counter("unknown", "total")).isEqualTo(3);
    assertThat(labelValues("model"))
        .containsOnly("gpt-4o-2024-08-06", "claude-haiku", "other", "unknown");
    // An absent part is not counted as zero.
    assertThat(hasSeries("other", "input")).isFalse();
    // A second processor on the same registry shares the counter instead of failing.
    Processor again = new UsageMeteringFactory().create("meter2", configJson("{}"), context);
    assertThat(again).isNotNull();
  }

  private List<CounterSnapshot.CounterDataPointSnapshot> points() {
    List<CounterSnapshot.CounterDataPointSnapshot> out = new ArrayList<>();
    for (MetricSnapshot s : context.metrics().scrape()) {
      if (s instanceof CounterSnapshot counterSnapshot
          && s.getMetadata().getPrometheusName().startsWith("payload_processor_tokens")) {
        out.addAll(counterSnapshot.getDataPoints());
      }
    }
    return out;
  }

  private double counter(String model, String kind) {
    for (CounterSnapshot.CounterDataPointSnapshot p : points()) {
      if (p.getLabels().equals(Labels.of("kind", kind, "model", model))) {
        return p.getValue();
      }
    }
    return 0;
  }

  private boolean hasSeries(String model, String kind) {
    return points().stream()
        .anyMatch(p -> p.getLabels().equals(Labels.of("kind", kind, "model", model)));
  }

  private List<String> labelValues(String name) {
    return points().stream().map(p -> p.getLabels().get(name)).distinct().toList();
  }

  @Test
  void prefixEntriesLabelEveryModelTheyStartInOrder() {
    TokenCounters c =
        new TokenCounters(
            new io.prometheus.metrics.model.registry.PrometheusRegistry(),
            List.of("gpt-4o-mini*", "gpt-4o*", "o3"));
    assertThat(c.label("gpt-4o-mini-2024-07-18")).isEqualTo("gpt-4o-mini*");
    assertThat(c.label("gpt-4o-2024-08-06")).isEqualTo("gpt-4o*");
    assertThat(c.label("o3")).isEqualTo("o3");
    assertThat(c.label("o3-2025-04-16")).isEqualTo("other");
    assertThat(c.label(null)).isEqualTo("unknown");
  }

  @Test
  void configErrorsNameTheField() {
    assertThatThrownBy(
            () ->
                new UsageMeteringFactory()
                    .create(
                        "m",
                        configJson("{\"metricModels\":[\"a\",\"\",\"other\",\"a\",\"g*pt\"]}"),
                        context))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .extracting(ConfigProblem::field)
                    .containsExactly(
                        "metricModels[1]",
                        "metricModels[2]",
                        "metricModels[3]",
                        "metricModels[4]"));
    assertThatThrownBy(
            () ->
                new UsageMeteringFactory().create("m", configJson("{\"metricModel\":[]}"), context))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  void unreadableSuccessfulJsonIsABodyErrorForTheFailureMode() {
    for (String type : new String[] {"application/json", "application/vnd.api+json", ""}) {
      MutableExchange ex =
          withResponse(post("/v1/chat/completions", "{}"), type, "invalid-sk-secret");
      assertThatThrownBy(() -> processor.onResponse(ex))
          .as(type)
          .isInstanceOfSatisfying(
              BodyException.class,
              e -> {
                assertThat(e.status()).isEqualTo(502);
                assertThat(e.reason()).isEqualTo("invalid_response_body");
                assertThat(e.getMessage()).doesNotContain("secret").contains("200");
              });
    }
    MutableExchange stream =
        withResponse(
            post("/v1/chat/completions", "{}"),
            "text/event-stream",
            "data: " + "x".repeat(SseParser.MAX_LINE_BYTES + 1));
    assertThatThrownBy(() -> processor.onResponse(stream))
        .isInstanceOfSatisfying(
            BodyException.class, e -> assertThat(e.reason()).isEqualTo("invalid_event_stream"));
  }

  @Test
  void responseWithoutUsageOrNotOursToReadIsNotMetered() throws Exception {
    // Another type that is not JSON (plain-text transcription, audio): nothing to meter.
    MutableExchange text =
        withResponse(post("/v1/audio/transcriptions", "{}"), "text/plain", "oops");
    assertThat(mutation(processor.onResponse(text)).isEmpty()).isTrue();
    // An error response the upstream did not write as JSON: passed on as it is.
    MutableExchange error =
        withResponse(post("/v1/chat/completions", "{}"), "application/json", "<html>");
    error.mutableResponse().headers().set(":status", "503");
    assertThat(mutation(processor.onResponse(error)).isEmpty()).isTrue();
    MutableExchange noUsage =
        withResponse(post("/v1/chat/completions", "{}"), "application/json", "{\"id\":1}");
    assertThat(mutation(processor.onResponse(noUsage)).isEmpty()).isTrue();
    // JSON sent as another type is still read: content type is not a way around metering.
    MutableExchange mislabelled =
        withResponse(
            post("/v1/chat/completions", "{}"), "text/plain", "{\"usage\":{\"total_tokens\":9}}");
    assertThat(usage(mutation(processor.onResponse(mislabelled)).metadata()))
        .isEqualTo(expected("total_tokens", 9));
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
