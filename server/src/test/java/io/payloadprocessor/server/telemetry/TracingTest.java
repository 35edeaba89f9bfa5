package io.payloadprocessor.server.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.server.ServerMetrics;
import io.payloadprocessor.server.pipeline.FailureMode;
import io.payloadprocessor.server.pipeline.PipelineRunner;
import io.payloadprocessor.server.pipeline.PipelineRunner.BodyState;
import io.payloadprocessor.server.pipeline.Stage;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.server.pipeline.StepScheduler;
import io.payloadprocessor.server.pipeline.StreamRun;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class TracingTest {
  private final StepScheduler pool = StepScheduler.create(2);
  private final PipelineRunner runner =
      new PipelineRunner(pool, Duration.ofSeconds(2), new ServerMetrics(new PrometheusRegistry()));
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();

  @AfterEach
  void tearDown() {
    pool.close();
  }

  // ------------------------------------------------------------------ off

  @Test
  void withTracingOffNothingIsRecorded() {
    Assumptions.assumeTrue(
        System.getenv("OTEL_TRACES_EXPORTER") == null
            && System.getProperty("otel.traces.exporter") == null,
        "the environment configures an exporter");
    List<Map<String, String>> off =
        List.of(
            Map.of(),
            Map.of("otel.traces.exporter", "none"),
            Map.of("otel.traces.exporter", " NONE "),
            Map.of("otel.traces.exporter", "logging", "otel.sdk.disabled", "true"));
    for (Map<String, String> settings : off) {
      Tracing t = Tracing.configure(settings, SimpleSpanProcessor.create(spans));
      assertThat(t.enabled()).as(settings.toString()).isFalse();
      ExchangeTrace trace = runOneExchange(t);
      assertThat(trace).isSameAs(ExchangeTrace.NONE);
      t.close();
    }
    assertThat(spans.getFinishedSpanItems()).isEmpty();

    // The same exchange with an exporter configured is recorded: the check above can fail.
    Tracing on =
        Tracing.configure(
            Map.of("otel.traces.exporter", "logging"), SimpleSpanProcessor.create(spans));
    assertThat(on.enabled()).isTrue();
    runOneExchange(on);
    assertThat(spans.getFinishedSpanItems())
        .extracting(SpanData::getName)
        .containsExactlyInAnyOrder("exchange", "set-header");
    on.close(); // (shuts the in-memory exporter down, which clears it)
  }

  private ExchangeTrace runOneExchange(Tracing tracing) {
    MutableExchange ex = exchange("{\"model\":\"m\"}");
    ExchangeTrace trace = tracing.startExchange(ex.request().headers(), ex.requestId());
    PipelineRunner.Result r =
        runner.runRequest(
            ex,
            List.of(step("set-header", FailureMode.FAIL_CLOSED, 1000, setHeader())),
            BodyState.PRESENT,
            trace);
    assertThat(r).isInstanceOf(PipelineRunner.Proceed.class);
    trace.requestBody(ex.mutableRequest());
    trace.end(200, false);
    return trace;
  }

  // ------------------------------------------------------------------ steps

  @Test
  void eachStepSpanSaysWhatBecameOfTheStep() {
    Tracing tracing = inMemory();
    MutableExchange ex = exchange(null);
    ExchangeTrace trace = tracing.startExchange(ex.request().headers(), ex.requestId());
    Processor boom =
        inline(
            e -> {
              throw new IllegalStateException("boom");
            });
    Processor slow =
        new Fn(
            e -> {
              Thread.sleep(2000);
              return Outcome.proceed();
            },
            false,
            Execution.CPU);
    PipelineRunner.Result r =
        runner.runRequest(
            ex,
            List.of(
                step("mutate", FailureMode.FAIL_CLOSED, 1000, setHeader()),
                step("noop", FailureMode.FAIL_CLOSED, 1000, inline(e -> Outcome.proceed())),
                step(
                    "body-reader",
                    FailureMode.FAIL_CLOSED,
                    1000,
                    new Fn(e -> Outcome.proceed(), true, Execution.INLINE)),
                step("boom", FailureMode.FAIL_OPEN, 1000, boom),
                step("slow", FailureMode.FAIL_CLOSED, 50, slow),
                step("never", FailureMode.FAIL_CLOSED, 1000, inline(e -> Outcome.proceed()))),
            BodyState.ABSENT,
            trace);
    assertThat(r).isInstanceOf(PipelineRunner.Stop.class);
    trace.answered(504, ((PipelineRunner.Stop) r).rejection());
    trace.end(0, false);

    Map<String, SpanData> by =
        spans.getFinishedSpanItems().stream().collect(Collectors.toMap(SpanData::getName, s -> s));
    assertThat(by).containsOnlyKeys("exchange", "mutate", "noop", "body-reader", "boom", "slow");
    assertThat(outcome(by.get("mutate"))).isEqualTo("mutate");
    assertThat(outcome(by.get("noop"))).isEqualTo("continue");
    assertThat(outcome(by.get("body-reader"))).isEqualTo("skip");
    assertThat(outcome(by.get("boom"))).isEqualTo("failed_open");
    assertThat(str(by.get("boom"), "payload_processor.failure")).isEqualTo("processor_error");
    assertThat(by.get("boom").getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    SpanData timedOut = by.get("slow");
    assertThat(outcome(timedOut)).isEqualTo("reject");
    assertThat(str(timedOut, "payload_processor.failure")).isEqualTo("timeout");
    assertThat(str(timedOut, "payload_processor.rejection.reason")).isEqualTo("timeout");
    assertThat(num(timedOut, "payload_processor.rejection.status")).isEqualTo(504L);
    assertThat(str(timedOut, "payload_processor.stage")).isEqualTo("PreRouting");
    assertThat(str(timedOut, "payload_processor.processor.type")).isEqualTo("InProcess");
    SpanData exchange = by.get("exchange");
    assertThat(num(exchange, "http.response.status_code")).isEqualTo(504L);
    assertThat(exchange.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(str(exchange, "payload_processor.rejection.processor")).isEqualTo("slow");
    for (SpanData s : by.values()) {
      if (s != exchange) {
        assertThat(s.getParentSpanId()).isEqualTo(exchange.getSpanId());
      }
    }
  }

  @Test
  void aStepStillRunningWhenTheExchangeEndsEndsOnceAsCancelled() throws Exception {
    Tracing tracing = inMemory();
    MutableExchange ex = exchange("{}");
    ExchangeTrace trace = tracing.startExchange(ex.request().headers(), ex.requestId());
    CompletableFuture<Outcome> never = new CompletableFuture<>();
    Processor hangs =
        new Processor() {
          @Override
          public Execution execution() {
            return Execution.ASYNC;
          }

          @Override
          public CompletionStage<Outcome> onRequestAsync(Exchange exchange) {
            return never;
          }

          @Override
          public Outcome onRequest(Exchange exchange) {
            throw new UnsupportedOperationException("async");
          }
        };
    CompletableFuture<PipelineRunner.Result> run =
        runner.startRequest(
            ex,
            List.of(step("hangs", FailureMode.FAIL_CLOSED, 200, hangs)),
            BodyState.PRESENT,
            trace);
    assertThat(run).isNotDone();
    // Envoy resets the stream: the stream cancels its run and closes.
    run.cancel(false);
    trace.end(0, true);
    assertThat(spans.getFinishedSpanItems()).hasSize(2);
    Thread.sleep(400); // past the step's deadline: its timer fires, and ends nothing again
    List<SpanData> all = spans.getFinishedSpanItems();
    assertThat(all).hasSize(2);
    SpanData step = all.stream().filter(s -> s.getName().equals("hangs")).findFirst().orElseThrow();
    assertThat(outcome(step)).isEqualTo("cancelled");
    SpanData exchange =
        all.stream().filter(s -> s.getName().equals("exchange")).findFirst().orElseThrow();
    assertThat(exchange.getAttributes().get(AttributeKey.booleanKey("payload_processor.cancelled")))
        .isTrue();
    assertThat(step.getEndEpochNanos()).isLessThanOrEqualTo(exchange.getEndEpochNanos());
  }

  @Test
  void aStreamStepHasOneSpanForTheStreamWithItsEventCountAndUsage() {
    Tracing tracing = inMemory();
    MutableExchange ex = exchange("{}");
    ExchangeTrace trace = tracing.startExchange(ex.request().headers(), ex.requestId());
    Processor metering =
        new Processor() {
          @Override
          public boolean handlesResponse() {
            return true;
          }

          @Override
          public Outcome onRequest(Exchange exchange) {
            return Outcome.proceed();
          }

          @Override
          public SseStreamProcessor openSseStream(Exchange exchange) {
            return new SseStreamProcessor() {
              @Override
              public StreamStep onEvent(SseEvent event) {
                return StreamStep.pass(event);
              }

              @Override
              public StreamStep onEnd() {
                return StreamStep.emit(List.of())
                    .withMetadata(
                        Map.of(
                            "usage",
                            Map.of("input_tokens", 3L, "output_tokens", 4L, "model", "m-1")));
              }
            };
          }
        };
    StreamRun stream =
        runner.openStream(ex, List.of(step("meter", FailureMode.FAIL_OPEN, 1000, metering)), trace);
    runner.streamChunk(stream, utf8("data: a\n\ndata: b\n\n"), false).join();
    runner.streamChunk(stream, utf8("data: c\n\n"), true).join();
    trace.end(200, false);

    Map<String, SpanData> by =
        spans.getFinishedSpanItems().stream().collect(Collectors.toMap(SpanData::getName, s -> s));
    SpanData meter = by.get("meter");
    assertThat(outcome(meter)).isEqualTo("continue");
    assertThat(num(meter, "payload_processor.stream.events")).isEqualTo(3L);
    assertThat(meter.getAttributes().get(AttributeKey.booleanKey("payload_processor.stream")))
        .isTrue();
    SpanData exchange = by.get("exchange");
    assertThat(str(exchange, "gen_ai.response.model")).isEqualTo("m-1");
    assertThat(num(exchange, "gen_ai.usage.input_tokens")).isEqualTo(3L);
    assertThat(num(exchange, "gen_ai.usage.output_tokens")).isEqualTo(4L);
  }

  @Test
  void operationNamesComeFromKnownApiPaths() {
    assertThat(GenAi.operation("/v1/chat/completions")).isEqualTo("chat");
    assertThat(GenAi.operation("/v1/messages")).isEqualTo("chat");
    assertThat(GenAi.operation("/v1/completions")).isEqualTo("text_completion");
    assertThat(GenAi.operation("/v1/embeddings")).isEqualTo("embeddings");
    assertThat(GenAi.operation("/v1beta/models/gemini-2.0:generateContent"))
        .isEqualTo("generate_content");
    assertThat(GenAi.operation("/healthz")).isNull();
    assertThat(GenAi.pathOf("/v1/embeddings?key=secret")).isEqualTo("/v1/embeddings");
  }

  @Test
  void theRequestModelIsSearchedOnlyNearTheStartOfAPlainBody() {
    String padding = "x".repeat(GenAi.MODEL_SEARCH_BYTES);
    assertThat(GenAi.requestModel(message("{\"model\":\"m\",\"pad\":\"" + padding + "\"}")))
        .isEqualTo("m");
    assertThat(GenAi.requestModel(message("{\"pad\":\"" + padding + "\",\"model\":\"m\"}")))
        .isNull();
    assertThat(GenAi.requestModel(message("not json"))).isNull();
    HttpMessage gz = message("{\"model\":\"m\"}");
    gz.headers().set("content-encoding", "gzip");
    assertThat(GenAi.requestModel(gz)).isNull();
  }

  // ------------------------------------------------------------------ helpers

  private Tracing inMemory() {
    return Tracing.of(
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .build());
  }

  /** A test processor: a lambda for the request part, whether it reads the body, how it runs. */
  private record Fn(Body fn, boolean readsBody, Execution execution) implements Processor {
    interface Body {
      Outcome apply(Exchange e) throws Exception;
    }

    @Override
    public boolean readsRequestBody() {
      return readsBody;
    }

    @Override
    public Outcome onRequest(Exchange exchange) throws Exception {
      return fn.apply(exchange);
    }
  }

  private static Fn inline(Fn.Body body) {
    return new Fn(body, false, Execution.INLINE);
  }

  private static Fn setHeader() {
    return inline(e -> Outcome.proceed(Mutation.create().setHeader("x-set", "1")));
  }

  private static Step step(String name, FailureMode mode, long timeoutMs, Processor p) {
    return new Step(
        name,
        "doc",
        Stage.PRE_ROUTING,
        new io.payloadprocessor.server.pipeline.TargetRef(
            "gateway.networking.k8s.io", "Gateway", "gw", null),
        mode,
        Duration.ofMillis(timeoutMs),
        "InProcess",
        p);
  }

  private static MutableExchange exchange(String body) {
    return new MutableExchange("req-1", message(body), Map.of());
  }

  private static HttpMessage message(String body) {
    Headers h = new Headers().set(":method", "POST").set(":path", "/v1/chat/completions");
    byte[] b = body == null ? null : utf8(body);
    return new HttpMessage(h, b, body != null);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String outcome(SpanData s) {
    return str(s, "payload_processor.outcome");
  }

  private static String str(SpanData s, String key) {
    return s.getAttributes().get(AttributeKey.stringKey(key));
  }

  private static Long num(SpanData s, String key) {
    return s.getAttributes().get(AttributeKey.longKey(key));
  }
}
