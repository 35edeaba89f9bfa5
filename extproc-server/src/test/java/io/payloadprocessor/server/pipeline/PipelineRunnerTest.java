package io.payloadprocessor.server.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.server.ServerMetrics;
import io.payloadprocessor.server.pipeline.PipelineRunner.BodyState;
import io.payloadprocessor.spi.BackendException;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.HttpMessage;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PipelineRunnerTest {
  private final StepScheduler pool = StepScheduler.create(2);
  private final PipelineRunner runner =
      new PipelineRunner(pool, Duration.ofMillis(400), new ServerMetrics(new PrometheusRegistry()));

  @AfterEach
  void tearDown() {
    pool.close();
  }

  /** A test processor: a lambda for the request part plus flags. */
  private record Fn(Body fn, boolean readsBody, boolean blocks) implements Processor {
    interface Body {
      Outcome apply(Exchange e) throws Exception;
    }

    @Override
    public boolean readsRequestBody() {
      return readsBody;
    }

    @Override
    public Execution execution() {
      return blocks ? Execution.CPU : Execution.INLINE;
    }

    @Override
    public Outcome onRequest(Exchange exchange) throws Exception {
      return fn.apply(exchange);
    }
  }

  private static Step step(String name, FailureMode mode, long timeoutMs, Processor p) {
    return new Step(
        name,
        "doc",
        Stage.PRE_ROUTING,
        new TargetRef("gateway.networking.k8s.io", "Gateway", "gw", null),
        mode,
        Duration.ofMillis(timeoutMs),
        "InProcess",
        p);
  }

  private static Exchange exchange(String body) {
    Headers h = new Headers().set(":method", "POST").set(":path", "/v1/chat/completions");
    h.set("x-client", "1");
    byte[] b = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
    return new Exchange("req-1", new HttpMessage(h, b, body != null), Map.of());
  }

  private static Fn setHeader(String name, String value) {
    return new Fn(e -> Outcome.proceed(Mutation.create().setHeader(name, value)), false, false);
  }

  private static Fn sleeping(long ms, boolean blocks) {
    return new Fn(
        e -> {
          Thread.sleep(ms);
          return Outcome.proceed(Mutation.create().setHeader("x-slow", "done"));
        },
        false,
        blocks);
  }

  @Test
  void laterStepsSeeEarlierMutationsAndWin() {
    List<String> seen = new ArrayList<>();
    Fn reader =
        new Fn(
            e -> {
              seen.add(e.request().headers().get("x-a"));
              return Outcome.proceed(Mutation.create().setHeader("x-a", "second"));
            },
            false,
            false);
    Exchange ex = exchange("{}");
    PipelineRunner.Result r =
        runner.runRequest(
            ex,
            List.of(
                step("a", FailureMode.FAIL_CLOSED, 100, setHeader("x-a", "first")),
                step("b", FailureMode.FAIL_CLOSED, 100, reader)),
            BodyState.PRESENT);
    assertThat(r).isInstanceOf(PipelineRunner.Proceed.class);
    assertThat(seen).containsExactly("first");
    assertThat(ex.request().headers().get("x-a")).isEqualTo("second");
  }

  @Test
  void preRoutingHeaderChangesAskEnvoyToRePickTheRoute() {
    PipelineRunner.Result changed =
        runner.runRequest(
            exchange("{}"),
            List.of(step("a", FailureMode.FAIL_CLOSED, 100, setHeader("x-model", "m"))),
            BodyState.PRESENT);
    assertThat(((PipelineRunner.Proceed) changed).clearRouteCache()).isTrue();
    Fn bodyOnly =
        new Fn(
            e -> Outcome.proceed(Mutation.create().replaceBody(new byte[] {'{', '}'})),
            true,
            false);
    PipelineRunner.Result unchanged =
        runner.runRequest(
            exchange("{}"),
            List.of(step("b", FailureMode.FAIL_CLOSED, 100, bodyOnly)),
            BodyState.PRESENT);
    assertThat(((PipelineRunner.Proceed) unchanged).clearRouteCache()).isFalse();
  }

  @Test
  void rejectionStopsThePipelineWithTheRecord() throws Exception {
    Fn deny = new Fn(e -> Outcome.reject(Block.of(403, "denied", "no")), false, false);
    Exchange ex = exchange("{}");
    PipelineRunner.Result r =
        runner.runRequest(
            ex,
            List.of(
                step("guard", FailureMode.FAIL_CLOSED, 100, deny),
                step("after", FailureMode.FAIL_CLOSED, 100, setHeader("x-after", "1"))),
            BodyState.PRESENT);
    PipelineRunner.Stop stop = (PipelineRunner.Stop) r;
    assertThat(stop.status()).isEqualTo(403);
    assertThat(ex.request().headers().get("x-after")).isNull();
    JsonNode err = HttpMessage.JSON.readTree(stop.body()).get("error");
    assertThat(err.get("processor").asText()).isEqualTo("guard");
    assertThat(err.get("code").asText()).isEqualTo("denied");
    assertThat(err.get("request_id").asText()).isEqualTo("req-1");
    assertThat(err.get("phase").asText()).isEqualTo("request");
    assertThat(stop.headers().get("content-type")).isEqualTo("application/json");
  }

  @Test
  void inlineTimeoutRejectsWhenFailClosedAndDiscardsTheMutation() {
    Exchange ex = exchange("{}");
    PipelineRunner.Result r =
        runner.runRequest(
            ex,
            List.of(step("slow", FailureMode.FAIL_CLOSED, 20, sleeping(60, false))),
            BodyState.PRESENT);
    assertThat(((PipelineRunner.Stop) r).status()).isEqualTo(504);
    assertThat(ex.request().headers().get("x-slow")).isNull();
  }

  @Test
  void blockingTimeoutIsEnforcedWithoutWaitingForTheProcessor() {
    Exchange ex = exchange("{}");
    long t0 = System.nanoTime();
    PipelineRunner.Result r =
        runner.runRequest(
            ex,
            List.of(
                step("slow", FailureMode.FAIL_OPEN, 30, sleeping(2000, true)),
                step("next", FailureMode.FAIL_CLOSED, 100, setHeader("x-next", "ran"))),
            BodyState.PRESENT);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(r).isInstanceOf(PipelineRunner.Proceed.class);
    assertThat(ms).isLessThan(1000);
    assertThat(ex.request().headers().get("x-slow")).isNull();
    assertThat(ex.request().headers().get("x-next")).isEqualTo("ran");
  }

  @Test
  void budgetExhaustionFailsEachRemainingStepByItsOwnMode() {
    Exchange ex = exchange("{}");
    PipelineRunner.Result r =
        runner.runRequest(
            ex,
            List.of(
                step("eats-budget", FailureMode.FAIL_OPEN, 1000, sleeping(450, false)),
                step("open", FailureMode.FAIL_OPEN, 100, setHeader("x-open", "1")),
                step("closed", FailureMode.FAIL_CLOSED, 100, setHeader("x-closed", "1"))),
            BodyState.PRESENT);
    PipelineRunner.Stop stop = (PipelineRunner.Stop) r;
    assertThat(stop.status()).isEqualTo(504);
    assertThat(stop.rejection().getProcessor()).isEqualTo("closed");
    assertThat(stop.rejection().getReason()).isEqualTo("pipeline_budget_exceeded");
  }

  @Test
  void errorsMapToStatusesByCause() {
    Fn backend =
        new Fn(
            e -> {
              throw new BackendException("down");
            },
            false,
            false);
    Fn bug =
        new Fn(
            e -> {
              throw new IllegalStateException("bug");
            },
            false,
            false);
    Fn json =
        new Fn(
            e -> {
              e.request().json();
              return Outcome.proceed();
            },
            true,
            false);
    assertThat(
            status(
                runner.runRequest(
                    exchange("{}"),
                    List.of(step("b", FailureMode.FAIL_CLOSED, 100, backend)),
                    BodyState.PRESENT)))
        .isEqualTo(502);
    assertThat(
            status(
                runner.runRequest(
                    exchange("{}"),
                    List.of(step("b", FailureMode.FAIL_CLOSED, 100, bug)),
                    BodyState.PRESENT)))
        .isEqualTo(500);
    assertThat(
            status(
                runner.runRequest(
                    exchange("not json"),
                    List.of(step("b", FailureMode.FAIL_CLOSED, 100, json)),
                    BodyState.PRESENT)))
        .isEqualTo(400);
    assertThat(
            status(
                runner.runRequest(
                    exchange("{\"a\":1,\"a\":2}"),
                    List.of(step("b", FailureMode.FAIL_CLOSED, 100, json)),
                    BodyState.PRESENT)))
        .isEqualTo(400);
    assertThat(
            runner.runRequest(
                exchange("not json"),
                List.of(step("b", FailureMode.FAIL_OPEN, 100, json)),
                BodyState.PRESENT))
        .isInstanceOf(PipelineRunner.Proceed.class);
  }

  @Test
  void bodyReadersAreSkippedWithoutABodyAndFailWhenEnvoyWithholdsIt() {
    Fn reader =
        new Fn(e -> Outcome.proceed(Mutation.create().setHeader("x-read", "1")), true, false);
    Exchange get = exchange(null);
    assertThat(
            runner.runRequest(
                get, List.of(step("r", FailureMode.FAIL_CLOSED, 100, reader)), BodyState.ABSENT))
        .isInstanceOf(PipelineRunner.Proceed.class);
    assertThat(get.request().headers().get("x-read")).isNull();
    assertThat(
            status(
                runner.runRequest(
                    exchange("{}"),
                    List.of(step("r", FailureMode.FAIL_CLOSED, 100, reader)),
                    BodyState.UNAVAILABLE)))
        .isEqualTo(500);
  }

  private static int status(PipelineRunner.Result r) {
    return ((PipelineRunner.Stop) r).status();
  }
}
