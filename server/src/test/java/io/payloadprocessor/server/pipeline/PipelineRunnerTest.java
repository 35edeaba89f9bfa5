package io.payloadprocessor.server.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.server.ServerMetrics;
import io.payloadprocessor.server.pipeline.PipelineRunner.BodyState;
import io.payloadprocessor.spi.BackendException;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

  private static MutableExchange exchange(String body) {
    Headers h = new Headers().set(":method", "POST").set(":path", "/v1/chat/completions");
    h.set("x-client", "1");
    byte[] b = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
    return new MutableExchange("req-1", new HttpMessage(h, b, body != null), Map.of());
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
    MutableExchange ex = exchange("{}");
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
    MutableExchange ex = exchange("{}");
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
    MutableExchange ex = exchange("{}");
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
    MutableExchange ex = exchange("{}");
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
    MutableExchange ex = exchange("{}");
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
    MutableExchange get = exchange(null);
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

  /** An async step: answers (or never answers) through a future it exposes. */
  private static final class AsyncStep implements Processor {
    final CompletableFuture<Outcome> future = new CompletableFuture<>();
    final AtomicInteger calls = new AtomicInteger();
    final List<String> sawHeader = new CopyOnWriteArrayList<>();
    private final String header;
    private final boolean concurrent;

    AsyncStep(String header, boolean concurrent) {
      this.header = header;
      this.concurrent = concurrent;
    }

    @Override
    public boolean readsRequestBody() {
      return false;
    }

    @Override
    public Execution execution() {
      return Execution.ASYNC;
    }

    @Override
    public boolean mayRunConcurrently() {
      return concurrent;
    }

    @Override
    public Outcome onRequest(Exchange exchange) {
      throw new AssertionError("the runner must call onRequestAsync");
    }

    @Override
    public CompletionStage<Outcome> onRequestAsync(Exchange exchange) {
      calls.incrementAndGet();
      sawHeader.add(String.valueOf(exchange.request().headers().get(header)));
      // A re-run after an earlier step's change gets a fresh answer equal to the first one.
      return calls.get() == 1 ? future : future.thenApply(o -> o);
    }
  }

  @Test
  void cpuStepIsSettledAtItsDeadlineAndItsThreadInterrupted() throws Exception {
    CountDownLatch interrupted = new CountDownLatch(1);
    Fn spin =
        new Fn(
            e -> {
              while (!Thread.currentThread().isInterrupted()) {
                Thread.onSpinWait();
              }
              interrupted.countDown();
              return Outcome.proceed();
            },
            false,
            true);
    long t0 = System.nanoTime();
    PipelineRunner.Result r =
        runner.runRequest(
            exchange("{}"),
            List.of(step("spin", FailureMode.FAIL_CLOSED, 100, spin)),
            BodyState.PRESENT);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(((PipelineRunner.Stop) r).rejection().getReason()).isEqualTo("timeout");
    assertThat(ms).isBetween(90L, 190L); // the deadline, not whenever the step gives up
    assertThat(interrupted.await(2, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void asyncStepParksNoThreadAndIsCancelledAtItsDeadline() {
    AsyncStep never = new AsyncStep("x", false);
    CompletableFuture<PipelineRunner.Result> f =
        runner.startRequest(
            exchange("{}"),
            List.of(
                step("remote", FailureMode.FAIL_OPEN, 80, never),
                step("next", FailureMode.FAIL_CLOSED, 100, setHeader("x-next", "1"))),
            BodyState.PRESENT);
    assertThat(f).isNotDone(); // returned at once: nothing waits on the calling thread
    PipelineRunner.Result r = f.join();
    assertThat(r).isInstanceOf(PipelineRunner.Proceed.class);
    assertThat(never.future).isCancelled();
  }

  @Test
  void cancellingTheRunCancelsTheStepItWaitsFor() {
    AsyncStep never = new AsyncStep("x", false);
    CompletableFuture<PipelineRunner.Result> f =
        runner.startRequest(
            exchange("{}"),
            List.of(step("remote", FailureMode.FAIL_CLOSED, 5000, never)),
            BodyState.PRESENT);
    f.cancel(false);
    assertThat(never.future).isCancelled();
  }

  @Test
  void concurrentStepsAllStartAtOnceAndTheFirstRejectionInOrderWins() {
    AsyncStep first = new AsyncStep("x", true);
    AsyncStep second = new AsyncStep("x", true);
    CompletableFuture<PipelineRunner.Result> f =
        runner.startRequest(
            exchange("{}"),
            List.of(
                step("first", FailureMode.FAIL_CLOSED, 2000, first),
                step("second", FailureMode.FAIL_CLOSED, 2000, second)),
            BodyState.PRESENT);
    assertThat(second.calls).hasValue(1); // started before the first answered
    second.future.complete(Outcome.reject(Block.of(403, "second_says_no", "no")));
    assertThat(f).isNotDone(); // the first, earlier in order, may still reject
    first.future.complete(Outcome.reject(Block.of(403, "first_says_no", "no")));
    assertThat(((PipelineRunner.Stop) f.join()).rejection().getProcessor()).isEqualTo("first");
  }

  @Test
  void aConcurrentStepWhoseInputChangedRunsAgainOnTheChangedMessage() {
    AsyncStep first = new AsyncStep("x-flag", true);
    AsyncStep second = new AsyncStep("x-flag", true);
    MutableExchange ex = exchange("{}");
    CompletableFuture<PipelineRunner.Result> f =
        runner.startRequest(
            ex,
            List.of(
                step("first", FailureMode.FAIL_CLOSED, 2000, first),
                step("second", FailureMode.FAIL_CLOSED, 2000, second)),
            BodyState.PRESENT);
    second.future.complete(Outcome.proceed(Mutation.create().setHeader("x-second", "1")));
    first.future.complete(Outcome.proceed(Mutation.create().setHeader("x-flag", "set")));
    assertThat(f.join()).isInstanceOf(PipelineRunner.Proceed.class);
    assertThat(second.calls).hasValue(2);
    assertThat(second.sawHeader).containsExactly("null", "set");
    assertThat(ex.request().headers().get("x-second")).isEqualTo("1");
  }

  @Test
  void aConcurrentStepIsNotRunAgainWhenEarlierOnesOnlyAddMetadata() {
    AsyncStep first = new AsyncStep("x", true);
    AsyncStep second = new AsyncStep("x", true);
    CompletableFuture<PipelineRunner.Result> f =
        runner.startRequest(
            exchange("{}"),
            List.of(
                step("first", FailureMode.FAIL_CLOSED, 2000, first),
                step("second", FailureMode.FAIL_CLOSED, 2000, second)),
            BodyState.PRESENT);
    first.future.complete(Outcome.proceed(Mutation.create().metadata("k", "v")));
    second.future.complete(Outcome.proceed());
    assertThat(((PipelineRunner.Proceed) f.join()).metadata()).containsEntry("k", "v");
    assertThat(second.calls).hasValue(1);
  }

  @Test
  void optionalFailOpenStepsAreShedWhileThePoolIsOverloaded() throws Exception {
    try (StepScheduler busy = new StepScheduler(1, 16, 16 * 1024, Duration.ofMillis(10))) {
      PipelineRunner r =
          new PipelineRunner(
              busy, Duration.ofSeconds(2), new ServerMetrics(new PrometheusRegistry()));
      CountDownLatch release = new CountDownLatch(1);
      busy.submit(
          () -> {
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      busy.submit(() -> {}); // waits in the queue behind the blocked task
      Thread.sleep(30);
      assertThat(busy.overloaded()).isTrue();
      Step optional =
          new Step(
              "extra",
              "doc",
              Stage.PRE_ROUTING,
              new TargetRef("gateway.networking.k8s.io", "Gateway", "gw", null),
              FailureMode.FAIL_OPEN,
              Duration.ofMillis(500),
              "InProcess",
              setHeader("x-extra", "1"),
              true);
      MutableExchange ex = exchange("{}");
      PipelineRunner.Result result =
          r.runRequest(
              ex,
              List.of(
                  optional,
                  step("required", FailureMode.FAIL_CLOSED, 100, setHeader("x-req", "1"))),
              BodyState.PRESENT);
      release.countDown();
      assertThat(((PipelineRunner.Proceed) result).metadata())
          .containsEntry("shed", List.of("extra"));
      assertThat(ex.request().headers().get("x-extra")).isNull();
      assertThat(ex.request().headers().get("x-req")).isEqualTo("1");
    }
  }

  @Test
  void aHeaderValueOverTheCapFailsTheStep() {
    String big = "a".repeat(PipelineRunner.DEFAULT_MAX_HEADER_VALUE_BYTES + 1);
    MutableExchange ex = exchange("{}");
    PipelineRunner.Result r =
        runner.runRequest(
            ex,
            List.of(step("copy", FailureMode.FAIL_CLOSED, 100, setHeader("x-big", big))),
            BodyState.PRESENT);
    assertThat(((PipelineRunner.Stop) r).rejection().getReason())
        .isEqualTo("header_value_too_large");
    assertThat(ex.request().headers().get("x-big")).isNull();
    String ok = "a".repeat(PipelineRunner.DEFAULT_MAX_HEADER_VALUE_BYTES);
    assertThat(
            runner.runRequest(
                exchange("{}"),
                List.of(step("copy", FailureMode.FAIL_CLOSED, 100, setHeader("x-big", ok))),
                BodyState.PRESENT))
        .isInstanceOf(PipelineRunner.Proceed.class);
  }

  @Test
  void inlineStepsReadLargeBodiesOffTheCallingThread() {
    List<String> threads = new CopyOnWriteArrayList<>();
    Fn reader =
        new Fn(
            e -> {
              threads.add(Thread.currentThread().getName());
              return Outcome.proceed();
            },
            true,
            false);
    List<Step> steps = List.of(step("scan", FailureMode.FAIL_CLOSED, 1000, reader));
    runner.runRequest(exchange("{\"a\":1}"), steps, BodyState.PRESENT);
    runner.runRequest(
        exchange("{\"a\":\"" + "x".repeat(StepScheduler.DEFAULT_INLINE_BODY_LIMIT) + "\"}"),
        steps,
        BodyState.PRESENT);
    assertThat(threads.get(0)).isEqualTo(Thread.currentThread().getName());
    assertThat(threads.get(1)).startsWith("processor-cpu-");
  }

  @Test
  void sseHeadersFollowTheFailureModeToo() {
    Processor broken =
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
          public Outcome onSseHeaders(Exchange exchange) {
            throw new IllegalStateException("broken");
          }
        };
    MutableExchange ex = exchange("{}");
    ex.setResponse(new HttpMessage(new Headers().set(":status", "200"), null, true));
    PipelineRunner.Result closed =
        runner.startSseHeaders(ex, List.of(step("s", FailureMode.FAIL_CLOSED, 100, broken))).join();
    assertThat(((PipelineRunner.Stop) closed).status()).isEqualTo(500);
    PipelineRunner.Result open =
        runner.startSseHeaders(ex, List.of(step("s", FailureMode.FAIL_OPEN, 100, broken))).join();
    assertThat(open).isInstanceOf(PipelineRunner.Proceed.class);
  }

  private static int status(PipelineRunner.Result r) {
    return ((PipelineRunner.Stop) r).status();
  }
}
