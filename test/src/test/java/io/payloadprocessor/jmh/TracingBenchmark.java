package io.payloadprocessor.jmh;

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.server.ServerMetrics;
import io.payloadprocessor.server.pipeline.FailureMode;
import io.payloadprocessor.server.pipeline.PipelineRunner;
import io.payloadprocessor.server.pipeline.PipelineRunner.BodyState;
import io.payloadprocessor.server.pipeline.Stage;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.server.pipeline.StepScheduler;
import io.payloadprocessor.server.pipeline.TargetRef;
import io.payloadprocessor.server.telemetry.ExchangeTrace;
import io.payloadprocessor.server.telemetry.Tracing;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What tracing adds to one exchange through the runner: three inline steps over a 2 KiB chat body
 * (two set a header, one passes), without any tracing call ({@link #noTracingCalls}: the code path
 * before tracing existed), with tracing off ({@link #tracingOff}: the path every exchange takes
 * unless OTEL_TRACES_EXPORTER is set) and on ({@link #tracingOn}: the SDK with its batch processor
 * and attribute limit, every exchange sampled, spans handed to an exporter that discards them), so
 * the difference is the span work on the request path: four spans, their attributes, the request
 * model, the queue. The exporter's own work runs on the SDK's thread, not in this one.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TracingBenchmark {
  private StepScheduler scheduler;
  private PipelineRunner runner;
  private List<Step> steps;
  private Tracing off;
  private Tracing on;
  private final byte[] body = ChatBody.bytes();

  /** A 2 KiB OpenAI chat request body, {@code model} first. */
  private static final class ChatBody {
    static byte[] bytes() {
      StringBuilder sb = new StringBuilder("{\"model\":\"gpt-4o\",\"messages\":[");
      while (sb.length() < 2000) {
        sb.append("{\"role\":\"user\",\"content\":\"summarise the quarterly report\"},");
      }
      sb.append("{\"role\":\"user\",\"content\":\"thanks\"}]}");
      return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
  }

  /** Discards what it is given: an exporter to nowhere. */
  private static final class Nowhere implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    scheduler = StepScheduler.create(1);
    runner =
        new PipelineRunner(
            scheduler, Duration.ofSeconds(1), new ServerMetrics(new PrometheusRegistry()));
    steps =
        List.of(
            step("model-header", e -> Outcome.proceed(Mutation.create().setHeader("x-a", "1"))),
            step("check", e -> Outcome.proceed()),
            step("tag", e -> Outcome.proceed(Mutation.create().setHeader("x-b", "2"))));
    off = Tracing.off();
    on =
        Tracing.of(
            OpenTelemetrySdk.builder()
                .setTracerProvider(
                    SdkTracerProvider.builder()
                        .setSpanLimits(
                            SpanLimits.builder()
                                .setMaxAttributeValueLength(Tracing.DEFAULT_ATTRIBUTE_LENGTH)
                                .build())
                        .addSpanProcessor(BatchSpanProcessor.builder(new Nowhere()).build())
                        .build())
                .build());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    on.close();
    scheduler.close();
  }

  private static Step step(String name, Inline fn) {
    return new Step(
        name,
        "doc",
        Stage.PRE_ROUTING,
        new TargetRef("gateway.networking.k8s.io", "Gateway", "gw", null),
        FailureMode.FAIL_CLOSED,
        Duration.ofMillis(100),
        "InProcess",
        fn);
  }

  /** An inline test step. */
  private interface Inline extends Processor {
    Outcome run(Exchange e);

    @Override
    default Outcome onRequest(Exchange exchange) {
      return run(exchange);
    }
  }

  private Object exchange(Tracing tracing) {
    Headers h =
        new Headers()
            .set(":method", "POST")
            .set(":path", "/v1/chat/completions")
            .set("content-type", "application/json")
            .set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    MutableExchange ex = new MutableExchange("req-1", new HttpMessage(h, body, true), Map.of());
    ExchangeTrace trace = tracing.startExchange(h, ex.requestId());
    PipelineRunner.Result r = runner.runRequest(ex, steps, BodyState.PRESENT, trace);
    trace.requestBody(ex.mutableRequest());
    trace.end(200, false);
    return r;
  }

  /** The same exchange without any tracing call: the code path before tracing existed. */
  @Benchmark
  public Object noTracingCalls() {
    Headers h =
        new Headers()
            .set(":method", "POST")
            .set(":path", "/v1/chat/completions")
            .set("content-type", "application/json")
            .set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    MutableExchange ex = new MutableExchange("req-1", new HttpMessage(h, body, true), Map.of());
    return runner.runRequest(ex, steps, BodyState.PRESENT);
  }

  @Benchmark
  public Object tracingOff() {
    return exchange(off);
  }

  @Benchmark
  public Object tracingOn() {
    return exchange(on);
  }
}
