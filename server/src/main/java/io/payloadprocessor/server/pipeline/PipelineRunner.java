package io.payloadprocessor.server.pipeline;

import io.payloadprocessor.modules.common.RateLimitedLog;
import io.payloadprocessor.proto.v1.Rejection;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.server.ServerMetrics;
import io.payloadprocessor.server.pipeline.StepScheduler.TimedTask;
import io.payloadprocessor.server.telemetry.ExchangeTrace;
import io.payloadprocessor.server.telemetry.ExchangeTrace.StepSpan;
import io.payloadprocessor.spi.BackendException;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the steps of a pipeline over one direction of an exchange, in order, with each step's
 * timeout and failure mode and a whole-pipeline budget. The only code that invokes a processor: for
 * requests, responses, the headers of a streamed response and (through {@link StreamRun}) its
 * events.
 *
 * <ul>
 *   <li>Each step sees the message as mutated by the steps before it; its mutation is applied
 *       before the next step runs. A mutation from a step that failed or timed out is discarded.
 *   <li>A rejection or a synthetic response stops the pipeline.
 *   <li>FailClosed: an error rejects (504 timeout, 502 backend failure, 503 overload, 500
 *       otherwise; a body the step cannot read keeps its own status, 400/415). FailOpen: the step
 *       is skipped.
 *   <li>When the budget runs out, every remaining step fails by its own failure mode, so the server
 *       always answers before Envoy's message timeout.
 *   <li>Steps that read the body are skipped, not failed, when the message has no body.
 * </ul>
 *
 * <p>Execution model ({@link Execution}): inline steps run on the calling thread (the gRPC event
 * loop), unless the body they read is larger than the scheduler's inline limit; CPU steps run on
 * the scheduler's bounded pool; async steps return a future and park no thread. A step's timeout is
 * a timer: when it fires, the step is settled by its failure mode at once and its work is cancelled
 * (pool thread interrupted, future cancelled); a late result is dropped. Inline steps are not
 * pre-empted (they are cheap by contract and bounded by their input): one that overruns is settled
 * as a timeout when it returns. Neighbouring steps that {@linkplain Processor#mayRunConcurrently()
 * may run concurrently} start together; their results are taken in pipeline order and a step whose
 * input an earlier one changed runs again, so the result equals the sequential one. Under overload
 * (the pool's queueing delay past {@link StepScheduler#shedAfter()}), optional FailOpen steps are
 * shed: counted, and named in the metadata key {@code shed}.
 *
 * <p>A run is driven by whichever thread completes the step it waits for; the returned future
 * completes on that thread. Callers that must serialise their own state hop back themselves.
 */
public final class PipelineRunner {
  private static final Logger log = LoggerFactory.getLogger(PipelineRunner.class);

  /**
   * Step failures are logged once per interval per processor, direction and reason, with a count:
   * an outage of a backend must not log one line per exchange.
   */
  private static final RateLimitedLog warnings = new RateLimitedLog(log);

  /** Default cap on one header value a step sets (Envoy's whole header map defaults to 60 KiB). */
  public static final int DEFAULT_MAX_HEADER_VALUE_BYTES = 8 * 1024;

  /** Whether and how the body of the direction being processed is available. */
  public enum BodyState {
    /** The body is in the message. */
    PRESENT,
    /** The message has no body (e.g. GET): body-reading steps are skipped. */
    ABSENT,
    /** The message has a body but Envoy does not send it (body mode NONE): body readers fail. */
    UNAVAILABLE
  }

  /** The result of one run. */
  public sealed interface Result permits Proceed, Stop {}

  /** Continue the exchange with the (already applied) mutations. */
  public record Proceed(Map<String, Object> metadata, boolean clearRouteCache) implements Result {}

  /**
   * Answer the client now. {@code rejection} is null for a synthetic, non-error response (e.g. a
   * cache hit).
   */
  public record Stop(
      int status, Headers headers, byte[] body, Map<String, Object> metadata, Rejection rejection)
      implements Result {}

  /** Which processor method a run calls. */
  private enum Call {
    REQUEST(Direction.REQUEST),
    RESPONSE(Direction.RESPONSE),
    SSE_HEADERS(Direction.RESPONSE);

    final Direction dir;

    Call(Direction dir) {
      this.dir = dir;
    }

    boolean handles(Processor p) {
      return dir == Direction.REQUEST ? p.handlesRequest() : p.handlesResponse();
    }

    boolean readsBody(Processor p) {
      return this != SSE_HEADERS
          && (dir == Direction.REQUEST ? p.readsRequestBody() : p.readsResponseBody());
    }

    Outcome sync(Processor p, Exchange e) throws Exception {
      return switch (this) {
        case REQUEST -> p.onRequest(e);
        case RESPONSE -> p.onResponse(e);
        case SSE_HEADERS -> p.onSseHeaders(e);
      };
    }

    CompletionStage<Outcome> async(Processor p, Exchange e) {
      return switch (this) {
        case REQUEST -> p.onRequestAsync(e);
        case RESPONSE -> p.onResponseAsync(e);
        case SSE_HEADERS -> Processor.completed(() -> p.onSseHeaders(e));
      };
    }
  }

  /** How one attempt at a step ended, before the failure mode is applied. */
  private enum Ending {
    DONE,
    ERROR,
    TIMEOUT,
    SHED,
    OVERLOADED,
    BODY_NOT_SENT
  }

  private record Raw(
      Ending ending, Outcome outcome, Throwable error, boolean budgetBound, long startNanos) {
    static Raw done(Outcome o, long start) {
      return new Raw(Ending.DONE, o, null, false, start);
    }

    static Raw error(Throwable t, long start) {
      return new Raw(Ending.ERROR, null, t, false, start);
    }

    static Raw timeout(boolean budgetBound, long start) {
      return new Raw(Ending.TIMEOUT, null, null, budgetBound, start);
    }

    static Raw of(Ending e, long start) {
      return new Raw(e, null, null, false, start);
    }
  }

  private final StepScheduler scheduler;
  private final Duration budget;
  private final ServerMetrics metrics;
  private final boolean logFailures;
  private final int maxHeaderValueBytes;

  public PipelineRunner(StepScheduler scheduler, Duration budget, ServerMetrics metrics) {
    this(scheduler, budget, metrics, true, DEFAULT_MAX_HEADER_VALUE_BYTES);
  }

  /**
   * {@code logFailures=false} for synthetic traffic (warm-up), whose failures are expected; {@code
   * maxHeaderValueBytes} caps each header value a step sets (a step setting a longer one fails by
   * its failure mode).
   */
  public PipelineRunner(
      StepScheduler scheduler,
      Duration budget,
      ServerMetrics metrics,
      boolean logFailures,
      int maxHeaderValueBytes) {
    this.scheduler = scheduler;
    this.budget = budget;
    this.metrics = metrics;
    this.logFailures = logFailures;
    this.maxHeaderValueBytes = maxHeaderValueBytes;
  }

  public Duration budget() {
    return budget;
  }

  public StepScheduler scheduler() {
    return scheduler;
  }

  ServerMetrics metrics() {
    return metrics;
  }

  /** Starts the request parts of {@code steps}, mutating the exchange's request in place. */
  public CompletableFuture<Result> startRequest(
      MutableExchange exchange, List<Step> steps, BodyState body) {
    return startRequest(exchange, steps, body, ExchangeTrace.NONE);
  }

  /** {@link #startRequest}, with a span per step under the exchange's trace. */
  public CompletableFuture<Result> startRequest(
      MutableExchange exchange, List<Step> steps, BodyState body, ExchangeTrace trace) {
    return new Run(exchange, steps, Call.REQUEST, body, trace).start();
  }

  /** Starts the response parts of {@code steps}, mutating the exchange's response in place. */
  public CompletableFuture<Result> startResponse(
      MutableExchange exchange, List<Step> steps, BodyState body) {
    return startResponse(exchange, steps, body, ExchangeTrace.NONE);
  }

  /** {@link #startResponse}, with a span per step under the exchange's trace. */
  public CompletableFuture<Result> startResponse(
      MutableExchange exchange, List<Step> steps, BodyState body, ExchangeTrace trace) {
    return new Run(exchange, steps, Call.RESPONSE, body, trace).start();
  }

  /**
   * Runs {@link Processor#onSseHeaders} of the stream steps of an event-stream response, before its
   * first event, with the same timeout, failure-mode and rejection rules.
   */
  public CompletableFuture<Result> startSseHeaders(
      MutableExchange exchange, List<Step> streamSteps) {
    return startSseHeaders(exchange, streamSteps, ExchangeTrace.NONE);
  }

  /** {@link #startSseHeaders}, with a span per step under the exchange's trace. */
  public CompletableFuture<Result> startSseHeaders(
      MutableExchange exchange, List<Step> streamSteps, ExchangeTrace trace) {
    return new Run(exchange, streamSteps, Call.SSE_HEADERS, BodyState.ABSENT, trace).start();
  }

  /** {@link #startRequest}, waiting for the result: for callers that may block (batch). */
  public Result runRequest(MutableExchange exchange, List<Step> steps, BodyState body) {
    return runRequest(exchange, steps, body, ExchangeTrace.NONE);
  }

  /** {@link #runRequest}, with a span per step under {@code trace}. */
  public Result runRequest(
      MutableExchange exchange, List<Step> steps, BodyState body, ExchangeTrace trace) {
    return startRequest(exchange, steps, body, trace).join();
  }

  /** {@link #startResponse}, waiting for the result: for callers that may block (batch). */
  public Result runResponse(MutableExchange exchange, List<Step> steps, BodyState body) {
    return runResponse(exchange, steps, body, ExchangeTrace.NONE);
  }

  /** {@link #runResponse}, with a span per step under {@code trace}. */
  public Result runResponse(
      MutableExchange exchange, List<Step> steps, BodyState body, ExchangeTrace trace) {
    return startResponse(exchange, steps, body, trace).join();
  }

  /** Opens the per-exchange state that runs an event-stream response through its stream steps. */
  public StreamRun openStream(Exchange exchange, List<Step> streamSteps) {
    return openStream(exchange, streamSteps, ExchangeTrace.NONE);
  }

  /** {@link #openStream}, with a span per stream step (for the whole stream) under the trace. */
  public StreamRun openStream(Exchange exchange, List<Step> streamSteps, ExchangeTrace trace) {
    return new StreamRun(this, exchange, streamSteps, trace);
  }

  /**
   * Runs one upstream chunk through a stream: on the calling thread when it is small, else on the
   * CPU pool. Completes with the bytes to send downstream in its place.
   */
  public CompletableFuture<byte[]> streamChunk(StreamRun stream, byte[] chunk, boolean eos) {
    if (chunk.length <= scheduler.inlineBodyLimit()) {
      return CompletableFuture.completedFuture(stream.onChunk(chunk, eos));
    }
    CompletableFuture<byte[]> f = new CompletableFuture<>();
    TimedTask task =
        scheduler.submit(
            () -> {
              try {
                f.complete(stream.onChunk(chunk, eos));
              } catch (RuntimeException | Error e) {
                f.completeExceptionally(e);
              }
            });
    if (task == null) {
      // The pool is saturated; the chunk is bounded by the gRPC message limit, so do it here.
      return CompletableFuture.completedFuture(stream.onChunk(chunk, eos));
    }
    return f;
  }

  /** A rejection by the server itself (body over limit, incomplete body, internal error). */
  public Stop serverRejection(Exchange exchange, Direction dir, Block block) {
    return stop(exchange, Rejections.SERVER, dir, block, new LinkedHashMap<>());
  }

  // ------------------------------------------------------------------ one run

  /** One step started, and how to cancel it. */
  private record Attempt(int index, Step step, CompletableFuture<Raw> raw, Runnable cancel) {}

  private final class Run {
    private final MutableExchange exchange;
    private final List<Step> steps;
    private final Call call;
    private final BodyState body;
    private final HttpMessage message;
    private final long deadline;
    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private final ArrayDeque<Attempt> inflight = new ArrayDeque<>(2);
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private final ExchangeTrace trace;

    /** The open span of each step, by index; null when the exchange is not traced. */
    private final StepSpan[] spans;

    /** The failure the last settled step failed with (either failure mode), or null. */
    private Block failedWith;

    private boolean clearRouteCache;
    private List<String> shed;
    private int next;

    Run(
        MutableExchange exchange,
        List<Step> steps,
        Call call,
        BodyState body,
        ExchangeTrace trace) {
      this.exchange = exchange;
      this.steps = steps;
      this.call = call;
      this.body = body;
      this.trace = trace;
      this.spans = trace.recording() ? new StepSpan[steps.size()] : null;
      this.message =
          call.dir == Direction.REQUEST ? exchange.mutableRequest() : exchange.mutableResponse();
      this.deadline = System.nanoTime() + budget.toNanos();
    }

    /** The attempt the run waits for (read by a cancelling thread). */
    private volatile Attempt waitingOn;

    CompletableFuture<Result> start() {
      drive();
      if (!result.isDone()) {
        // The caller gave up (Envoy reset the stream): stop what the run waits for.
        var unusedOnCancel =
            result.whenComplete(
                (r, t) -> {
                  Attempt w = waitingOn;
                  if (t instanceof CancellationException && w != null) {
                    w.cancel().run();
                  }
                });
      }
      return result;
    }

    /** Takes results in order until one is not ready (then resumes when it is) or the end. */
    private void drive() {
      try {
        while (true) {
          if (result.isDone()) {
            cancelInflight(); // cancelled by the caller
            return;
          }
          if (inflight.isEmpty()) {
            while (next < steps.size() && !applies(steps.get(next), true)) {
              next++;
            }
            if (next >= steps.size()) {
              if (shed != null) {
                metadata.put("shed", List.copyOf(shed));
              }
              result.complete(new Proceed(metadata, clearRouteCache));
              return;
            }
            startFrom(next);
          }
          Attempt head = inflight.peekFirst();
          if (!head.raw().isDone()) {
            waitingOn = head;
            var unusedWake = head.raw().whenComplete((r, t) -> drive());
            return;
          }
          inflight.pollFirst();
          for (int i = next; i < head.index(); i++) {
            applies(steps.get(i), true); // count the skipped steps the group passed over
          }
          next = head.index() + 1;
          Raw raw = head.raw().join();
          Outcome outcome = settle(head.step(), raw);
          if (spans != null) {
            traceSettled(head.index(), raw, outcome);
          }
          if (outcome instanceof Outcome.Continue c) {
            Mutation m = c.mutation();
            message.apply(m);
            metadata.putAll(m.metadata());
            // PreRouting header changes are what routing looks at: ask Envoy to re-pick the route.
            clearRouteCache |=
                m.isClearRouteCache()
                    || (call == Call.REQUEST
                        && head.step().stage() == Stage.PRE_ROUTING
                        && changesHeaders(m));
            if (!inflight.isEmpty() && changesMessage(m)) {
              cancelInflight(); // they saw the message before this change: run them again
            }
          } else if (outcome instanceof Outcome.Reject r) {
            cancelInflight();
            result.complete(stop(exchange, head.step().name(), call.dir, r.block(), metadata));
            return;
          } else if (outcome instanceof Outcome.Respond s) {
            cancelInflight();
            metadata.putAll(s.mutation().metadata());
            result.complete(new Stop(s.status(), s.headers(), s.body(), metadata, null));
            return;
          }
        }
      } catch (RuntimeException | Error e) {
        cancelInflight();
        result.completeExceptionally(e);
      }
    }

    /**
     * Whether the step takes part in this run; counts it as skipped when it reads a missing body.
     */
    private boolean applies(Step step, boolean count) {
      Processor p = step.processor();
      if (!call.handles(p)) {
        return false;
      }
      if (call.readsBody(p) && body == BodyState.ABSENT && !p.runsWithoutBody()) {
        if (count) {
          metrics.step(step.name(), call.dir).outcome("skipped");
          trace.skipped(step, call.dir);
        }
        return false;
      }
      return true;
    }

    private boolean concurrent(Step step) {
      Processor p = step.processor();
      return call != Call.SSE_HEADERS
          && p.execution() == Execution.ASYNC
          && p.mayRunConcurrently()
          && !(call.readsBody(p) && body == BodyState.UNAVAILABLE);
    }

    /** Starts step {@code i}, and with it the concurrent-capable steps that follow it. */
    private void startFrom(int i) {
      Step first = steps.get(i);
      inflight.add(attempt(i, first));
      if (!concurrent(first)) {
        return;
      }
      for (int j = i + 1; j < steps.size(); j++) {
        Step s = steps.get(j);
        if (!applies(s, false)) {
          continue;
        }
        if (!concurrent(s)) {
          return;
        }
        inflight.add(attempt(j, s));
      }
    }

    private void cancelInflight() {
      Attempt a;
      while ((a = inflight.pollFirst()) != null) {
        a.cancel().run();
        endSpan(a.index(), "cancelled", null, null);
      }
    }

    /** Ends the span of a settled step with what became of it. */
    private void traceSettled(int index, Raw raw, Outcome outcome) {
      if (outcome instanceof Outcome.Continue c) {
        trace.metadata(c.mutation().metadata());
        endSpan(index, changesMessage(c.mutation()) ? "mutate" : "continue", null, null);
      } else if (outcome instanceof Outcome.Reject r) {
        endSpan(index, "reject", r.block(), failedWith);
      } else if (outcome instanceof Outcome.Respond) {
        endSpan(index, "respond", null, null);
      } else {
        endSpan(index, raw.ending() == Ending.SHED ? "shed" : "failed_open", null, failedWith);
      }
    }

    private void endSpan(int index, String outcome, Block rejection, Block failure) {
      if (spans != null && spans[index] != null) {
        spans[index].end(outcome, rejection, failure);
        spans[index] = null;
      }
    }

    /** Starts one step under its deadline. */
    private Attempt attempt(int index, Step step) {
      if (spans != null) {
        spans[index] = trace.startStep(step, call.dir, false);
      }
      long now = System.nanoTime();
      Processor p = step.processor();
      if (call.readsBody(p) && body == BodyState.UNAVAILABLE) {
        return done(index, step, Raw.of(Ending.BODY_NOT_SENT, now));
      }
      long remaining = deadline - now;
      long stepTimeout = step.timeout().toNanos();
      boolean budgetBound = remaining < stepTimeout;
      long timeout = Math.min(stepTimeout, remaining);
      if (timeout <= 0) {
        return done(index, step, Raw.timeout(true, now));
      }
      if (step.optional()
          && step.failureMode() == FailureMode.FAIL_OPEN
          && scheduler.overloaded()) {
        return done(index, step, Raw.of(Ending.SHED, now));
      }
      Execution execution = p.execution();
      if (execution == Execution.INLINE && readsLargeBody(p)) {
        execution = Execution.CPU;
      }
      switch (execution) {
        case CPU -> {
          CompletableFuture<Raw> f = new CompletableFuture<>();
          AtomicReference<Raw> deadline = new AtomicReference<>();
          TimedTask task =
              scheduler.submit(
                  () -> {
                    Raw r = callSync(p, now);
                    Raw late = deadline.get();
                    f.complete(late != null ? late : r);
                  });
          if (task == null) {
            return done(index, step, Raw.of(Ending.OVERLOADED, now));
          }
          arm(f, deadline, timeout, budgetBound, now, task::cancel);
          return new Attempt(index, step, f, task::cancel);
        }
        case ASYNC -> {
          CompletableFuture<Raw> f = new CompletableFuture<>();
          // Set by the deadline before it cancels the work, so that the cancellation settles the
          // step as the timeout it is, and nothing continues before the work is cancelled.
          AtomicReference<Raw> deadline = new AtomicReference<>();
          CompletableFuture<CompletableFuture<Outcome>> started = new CompletableFuture<>();
          Runnable startIt =
              () -> {
                try {
                  CompletableFuture<Outcome> source = call.async(p, exchange).toCompletableFuture();
                  started.complete(source);
                  var unusedRelay =
                      source.whenComplete(
                          (o, t) -> {
                            Raw late = deadline.get();
                            f.complete(
                                late != null
                                    ? late
                                    : t == null ? Raw.done(o, now) : Raw.error(unwrap(t), now));
                          });
                } catch (RuntimeException | LinkageError | StackOverflowError e) {
                  started.complete(null);
                  f.complete(Raw.error(e, now));
                }
              };
          if (readsLargeBody(p)) {
            // Starting may mean parsing the body: a large one is parsed off the event loop.
            if (scheduler.submit(startIt) == null) {
              return done(index, step, Raw.of(Ending.OVERLOADED, now));
            }
          } else {
            startIt.run();
          }
          Runnable cancel =
              () -> {
                var unused =
                    started.thenAccept(
                        source -> {
                          if (source != null) {
                            source.cancel(true);
                          }
                        });
              };
          if (!f.isDone()) {
            arm(f, deadline, timeout, budgetBound, now, cancel);
          }
          return new Attempt(index, step, f, cancel);
        }
        default -> {
          Raw r = callSync(p, now);
          if (System.nanoTime() - now > timeout) {
            // Inline steps cannot be pre-empted; a late result is discarded, as if it never came.
            r = Raw.timeout(budgetBound, now);
          }
          return done(index, step, r);
        }
      }
    }

    private boolean readsLargeBody(Processor p) {
      return body == BodyState.PRESENT
          && call.readsBody(p)
          && message.rawBody().length > scheduler.inlineBodyLimit();
    }

    private Raw callSync(Processor p, long start) {
      try {
        return Raw.done(call.sync(p, exchange), start);
      } catch (Exception | LinkageError | StackOverflowError e) {
        return Raw.error(e, start);
      }
    }

    private Attempt done(int index, Step step, Raw raw) {
      return new Attempt(index, step, CompletableFuture.completedFuture(raw), () -> {});
    }

    /**
     * At the deadline: record the timeout, cancel what the attempt is still doing, then settle it
     * as the timeout (the work's own completion, which the cancellation may cause, settles it the
     * same way), so the run never continues with the work still going.
     */
    private void arm(
        CompletableFuture<Raw> f,
        AtomicReference<Raw> deadline,
        long timeout,
        boolean budgetBound,
        long start,
        Runnable cancel) {
      ScheduledFuture<?> timer =
          scheduler.schedule(
              () -> {
                Raw timedOut = Raw.timeout(budgetBound, start);
                if (!f.isDone() && deadline.compareAndSet(null, timedOut)) {
                  cancel.run();
                  f.complete(timedOut);
                }
              },
              timeout);
      var unusedTimer = f.whenComplete((r, t) -> timer.cancel(false));
    }

    /** {@link #failure}, remembering the failure for the step's span. */
    private Outcome fail(Step step, Block block, Throwable e) {
      failedWith = block;
      return failure(exchange, step, call.dir, block, e);
    }

    /** Applies the failure mode and records metrics; null when the step is skipped. */
    private Outcome settle(Step step, Raw raw) {
      failedWith = null;
      Direction dir = call.dir;
      switch (raw.ending()) {
        case DONE -> {
          Outcome o = raw.outcome();
          if (o == null) {
            return settle(
                step,
                Raw.error(
                    new IllegalStateException("processor returned no outcome"), raw.startNanos()));
          }
          if (o instanceof Outcome.Continue c) {
            String bad = oversizedHeader(c.mutation());
            if (bad != null) {
              record(step, dir, raw.startNanos(), "error");
              return fail(
                  step,
                  Block.of(
                      500,
                      "header_value_too_large",
                      "processor '"
                          + step.name()
                          + "' set header '"
                          + bad
                          + "' to a value over "
                          + maxHeaderValueBytes
                          + " bytes"),
                  null);
            }
          }
          record(
              step,
              dir,
              raw.startNanos(),
              o instanceof Outcome.Reject
                  ? "reject"
                  : o instanceof Outcome.Respond ? "respond" : "continue");
          return o;
        }
        case TIMEOUT -> {
          metrics.step(step.name(), dir).outcome("timeout");
          return fail(step, timeoutBlock(step, raw.budgetBound()), null);
        }
        case SHED -> {
          metrics.step(step.name(), dir).outcome("shed");
          metrics.shed.labelValues(step.name()).inc();
          if (shed == null) {
            shed = new ArrayList<>(2);
          }
          shed.add(step.name());
          return null;
        }
        case OVERLOADED -> {
          metrics.step(step.name(), dir).outcome("overloaded");
          return fail(
              step,
              new Block(
                  503,
                  "overloaded",
                  "",
                  "processor '" + step.name() + "' did not run: the server is overloaded",
                  true,
                  null),
              null);
        }
        case BODY_NOT_SENT -> {
          return fail(
              step,
              Block.of(
                  500,
                  "body_not_sent",
                  "processor '"
                      + step.name()
                      + "' reads the "
                      + dir.label()
                      + " body but Envoy's processing mode does not send it (body mode NONE)"),
              null);
        }
        default -> {
          record(step, dir, raw.startNanos(), "error");
          return fail(step, blockFor(step, raw.error()), raw.error());
        }
      }
    }
  }

  private String oversizedHeader(Mutation m) {
    for (Map.Entry<String, String> e : m.setHeaders().entrySet()) {
      String v = e.getValue();
      // A UTF-16 length over the cap is over it in UTF-8 too; count bytes only near the limit.
      if (v != null
          && (v.length() > maxHeaderValueBytes
              || (v.length() * 3 > maxHeaderValueBytes
                  && v.getBytes(StandardCharsets.UTF_8).length > maxHeaderValueBytes))) {
        return e.getKey();
      }
    }
    return null;
  }

  private static boolean changesHeaders(Mutation m) {
    return !m.setHeaders().isEmpty() || !m.removeHeaders().isEmpty();
  }

  private static boolean changesMessage(Mutation m) {
    return changesHeaders(m) || m.body() != null || m.json() != null;
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The block a step's error becomes under FailClosed. */
  Block blockFor(Step step, Throwable e) {
    if (e instanceof BodyException b) {
      return new Block(b.status(), b.reason(), "", b.getMessage(), false, null);
    }
    if (e instanceof BackendException) {
      return new Block(
          502,
          "backend_unavailable",
          "",
          "processor '" + step.name() + "' failed: " + clip(e.getMessage()),
          true,
          null);
    }
    if (e instanceof CancellationException || e instanceof InterruptedException) {
      return Block.of(500, "interrupted", "processor '" + step.name() + "' was cancelled");
    }
    return Block.of(
        500,
        "processor_error",
        "processor '"
            + step.name()
            + "' failed: "
            + clip(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
  }

  /** The block of a step that timed out (its own timeout, or the pipeline's budget). */
  private Block timeoutBlock(Step step, boolean budgetBound) {
    String msg =
        budgetBound
            ? "processor '"
                + step.name()
                + "' did not run: the pipeline budget of "
                + budget.toMillis()
                + "ms ran out"
            : "processor '"
                + step.name()
                + "' did not finish within its timeout of "
                + step.timeout().toMillis()
                + "ms";
    return new Block(
        504, budgetBound ? "pipeline_budget_exceeded" : "timeout", "", msg, true, null);
  }

  /** Applies the failure mode: null (skip) for FailOpen, a rejection for FailClosed. */
  Outcome failure(Exchange exchange, Step step, Direction dir, Block block, Throwable e) {
    if (step.failureMode() == FailureMode.FAIL_OPEN) {
      metrics.step(step.name(), dir).outcome("failed_open");
      if (logFailures) {
        warnings.warn(
            step.name() + "/" + dir.label() + "/" + block.reason(),
            "processor '{}' failed open on {} (request {}): {}",
            step.name(),
            dir.label(),
            exchange.requestId(),
            block.message());
      }
      return null;
    }
    if (logFailures && e != null && !(e instanceof BodyException)) {
      warnings.warn(
          step.name() + "/" + dir.label() + "/" + block.reason(),
          "processor '{}' failed closed on {} (request {}): {}",
          step.name(),
          dir.label(),
          exchange.requestId(),
          block.message(),
          log.isDebugEnabled() ? e : null);
    }
    return Outcome.reject(block);
  }

  Stop stop(
      Exchange exchange, String processor, Direction dir, Block block, Map<String, Object> md) {
    Rejection r = rejection(exchange, processor, dir, block);
    md.put("rejection", Rejections.asMap(r));
    String path = exchange.request().headers().get(":path");
    Headers h = new Headers();
    h.set("content-type", "application/json");
    return new Stop(block.status(), h, Rejections.httpBody(r, path), md, r);
  }

  /** The rejection record of a block, counted. */
  Rejection rejection(Exchange exchange, String processor, Direction dir, Block block) {
    Rejection r = Rejections.of(block, processor, dir, exchange.requestId());
    metrics.rejections.labelValues(processor, "block", block.reason()).inc();
    io.payloadprocessor.server.logging.RejectionLog.audit(r);
    return r;
  }

  void record(Step step, Direction dir, long startNanos, String outcome) {
    ServerMetrics.StepPoints points = metrics.step(step.name(), dir);
    points.latency(startNanos);
    points.outcome(outcome);
  }

  void recordLatency(Step step, Direction dir, long startNanos) {
    metrics.step(step.name(), dir).latency(startNanos);
  }

  private static String clip(String s) {
    if (s == null) {
      return "";
    }
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
