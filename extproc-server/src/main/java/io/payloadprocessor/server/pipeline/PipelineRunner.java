package io.payloadprocessor.server.pipeline;

import io.payloadprocessor.proto.v1.Rejection;
import io.payloadprocessor.server.ServerMetrics;
import io.payloadprocessor.spi.BackendException;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.HttpMessage;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.Rejections;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the steps of a pipeline over one direction of an exchange, in order, with each step's
 * timeout and failure mode and a whole-pipeline budget.
 *
 * <ul>
 *   <li>Each step sees the message as mutated by the steps before it; its mutation is applied
 *       before the next step runs. A mutation from a step that failed or timed out is discarded.
 *   <li>A rejection or a synthetic response stops the pipeline.
 *   <li>FailClosed: an error rejects (504 timeout, 502 backend failure, 500 otherwise; a body the
 *       step cannot read keeps its own status, 400/415). FailOpen: the step is skipped.
 *   <li>When the budget runs out, every remaining step fails by its own failure mode, so the server
 *       always answers before Envoy's message timeout.
 *   <li>Steps that read the body are skipped, not failed, when the message has no body.
 * </ul>
 */
public final class PipelineRunner {
  private static final Logger log = LoggerFactory.getLogger(PipelineRunner.class);

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
      int status,
      io.payloadprocessor.spi.Headers headers,
      byte[] body,
      Map<String, Object> metadata,
      Rejection rejection)
      implements Result {}

  private final ExecutorService blockingPool;
  private final Duration budget;
  private final ServerMetrics metrics;
  private final boolean logFailures;

  public PipelineRunner(ExecutorService blockingPool, Duration budget, ServerMetrics metrics) {
    this(blockingPool, budget, metrics, true);
  }

  /** {@code logFailures=false} for synthetic traffic (warm-up), whose failures are expected. */
  public PipelineRunner(
      ExecutorService blockingPool, Duration budget, ServerMetrics metrics, boolean logFailures) {
    this.blockingPool = blockingPool;
    this.budget = budget;
    this.metrics = metrics;
    this.logFailures = logFailures;
  }

  public Duration budget() {
    return budget;
  }

  /** Runs the request parts of {@code steps}, mutating the exchange's request in place. */
  public Result runRequest(Exchange exchange, List<Step> steps, BodyState body) {
    return run(exchange, steps, Direction.REQUEST, body);
  }

  /** Runs the response parts of {@code steps}, mutating the exchange's response in place. */
  public Result runResponse(Exchange exchange, List<Step> steps, BodyState body) {
    return run(exchange, steps, Direction.RESPONSE, body);
  }

  private Result run(Exchange exchange, List<Step> steps, Direction dir, BodyState body) {
    long deadline = System.nanoTime() + budget.toNanos();
    HttpMessage message =
        dir == Direction.REQUEST ? exchange.mutableRequest() : exchange.mutableResponse();
    Map<String, Object> metadata = new LinkedHashMap<>();
    boolean clearRouteCache = false;
    for (Step step : steps) {
      Processor p = step.processor();
      boolean handles = dir == Direction.REQUEST ? p.handlesRequest() : p.handlesResponse();
      if (!handles) {
        continue;
      }
      boolean readsBody = dir == Direction.REQUEST ? p.readsRequestBody() : p.readsResponseBody();
      if (readsBody && body == BodyState.ABSENT && !p.runsWithoutBody()) {
        metrics.processorOutcomes.labelValues(step.name(), dir.label(), "skipped").inc();
        continue;
      }
      Outcome outcome;
      if (readsBody && body == BodyState.UNAVAILABLE) {
        outcome =
            failure(
                exchange,
                step,
                dir,
                Block.of(
                    500,
                    "body_not_sent",
                    "processor '"
                        + step.name()
                        + "' reads the "
                        + dir.label()
                        + " body but Envoy's processing mode does not send it (body mode NONE)"),
                null);
      } else {
        outcome = invoke(exchange, step, dir, deadline);
      }
      if (outcome == null) {
        continue; // failed open
      }
      if (outcome instanceof Outcome.Continue c) {
        Mutation m = c.mutation();
        m.applyTo(message);
        metadata.putAll(m.metadata());
        // PreRouting header changes are what routing looks at: ask Envoy to re-pick the route.
        clearRouteCache |=
            m.isClearRouteCache()
                || (dir == Direction.REQUEST
                    && step.stage() == Stage.PRE_ROUTING
                    && (!m.setHeaders().isEmpty() || !m.removeHeaders().isEmpty()));
      } else if (outcome instanceof Outcome.Reject r) {
        return stop(exchange, step.name(), dir, r.block(), metadata);
      } else if (outcome instanceof Outcome.Respond s) {
        metadata.putAll(s.mutation().metadata());
        return new Stop(s.status(), s.headers(), s.body(), metadata, null);
      }
    }
    return new Proceed(metadata, clearRouteCache);
  }

  /** Invokes one step under its deadline; returns null when it failed open. */
  private Outcome invoke(Exchange exchange, Step step, Direction dir, long pipelineDeadline) {
    long now = System.nanoTime();
    long remaining = pipelineDeadline - now;
    long timeout = Math.min(step.timeout().toNanos(), remaining);
    boolean budgetBound = remaining < step.timeout().toNanos();
    if (timeout <= 0) {
      return timedOut(exchange, step, dir, true);
    }
    Processor p = step.processor();
    try {
      Outcome outcome;
      if (p.execution() != Execution.INLINE) {
        Future<Outcome> f =
            blockingPool.submit(
                () -> dir == Direction.REQUEST ? p.onRequest(exchange) : p.onResponse(exchange));
        try {
          outcome = f.get(timeout, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          f.cancel(true);
          return timedOut(exchange, step, dir, budgetBound);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception ex ? ex : new RuntimeException(e.getCause());
        }
      } else {
        outcome = dir == Direction.REQUEST ? p.onRequest(exchange) : p.onResponse(exchange);
        if (System.nanoTime() - now > timeout) {
          // Inline steps cannot be pre-empted; a late result is discarded, as if it never came.
          return timedOut(exchange, step, dir, budgetBound);
        }
      }
      if (outcome == null) {
        throw new IllegalStateException("processor returned no outcome");
      }
      record(
          step,
          dir,
          now,
          outcome instanceof Outcome.Reject
              ? "reject"
              : outcome instanceof Outcome.Respond ? "respond" : "continue");
      return outcome;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failure(
          exchange, step, dir, Block.of(500, "interrupted", "server is shutting down"), e);
    } catch (BodyException e) {
      record(step, dir, now, "error");
      return failure(
          exchange,
          step,
          dir,
          new Block(e.status(), e.reason(), "", e.getMessage(), false, null),
          e);
    } catch (BackendException e) {
      record(step, dir, now, "error");
      return failure(
          exchange,
          step,
          dir,
          new Block(
              502,
              "backend_unavailable",
              "",
              "processor '" + step.name() + "' failed: " + clip(e.getMessage()),
              true,
              null),
          e);
    } catch (Exception | LinkageError e) {
      record(step, dir, now, "error");
      return failure(
          exchange,
          step,
          dir,
          Block.of(
              500,
              "processor_error",
              "processor '"
                  + step.name()
                  + "' failed: "
                  + clip(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())),
          e);
    }
  }

  private Outcome timedOut(Exchange exchange, Step step, Direction dir, boolean budgetBound) {
    metrics.processorOutcomes.labelValues(step.name(), dir.label(), "timeout").inc();
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
    return failure(
        exchange,
        step,
        dir,
        new Block(504, budgetBound ? "pipeline_budget_exceeded" : "timeout", "", msg, true, null),
        null);
  }

  /** Applies the failure mode: null (skip) for FailOpen, a rejection for FailClosed. */
  private Outcome failure(Exchange exchange, Step step, Direction dir, Block block, Throwable e) {
    if (step.failureMode() == FailureMode.FAIL_OPEN) {
      metrics.processorOutcomes.labelValues(step.name(), dir.label(), "failed_open").inc();
      if (!logFailures) {
        return null;
      }
      log.warn(
          "processor '{}' failed open on {} (request {}): {}",
          step.name(),
          dir.label(),
          exchange.requestId(),
          block.message());
      return null;
    }
    if (logFailures && e != null && !(e instanceof BodyException)) {
      log.warn(
          "processor '{}' failed closed on {} (request {}): {}",
          step.name(),
          dir.label(),
          exchange.requestId(),
          block.message(),
          log.isDebugEnabled() ? e : null);
    }
    return Outcome.reject(block);
  }

  private Stop stop(
      Exchange exchange, String processor, Direction dir, Block block, Map<String, Object> md) {
    Rejection r = Rejections.of(block, processor, dir, exchange.requestId());
    io.payloadprocessor.server.logging.RejectionLog.audit(r);
    metrics.rejections.labelValues(processor, "block", block.reason()).inc();
    md.put("rejection", Rejections.asMap(r));
    String path = exchange.request().headers().get(":path");
    io.payloadprocessor.spi.Headers h = new io.payloadprocessor.spi.Headers();
    h.set("content-type", "application/json");
    return new Stop(block.status(), h, Rejections.httpBody(r, path), md, r);
  }

  /** A rejection by the server itself (body over limit, incomplete body, internal error). */
  public Stop serverRejection(Exchange exchange, Direction dir, Block block) {
    return stop(exchange, Rejections.SERVER, dir, block, new LinkedHashMap<>());
  }

  private void record(Step step, Direction dir, long startNanos, String outcome) {
    metrics
        .processorLatency
        .labelValues(step.name(), dir.label())
        .observe((System.nanoTime() - startNanos) / 1e9);
    metrics.processorOutcomes.labelValues(step.name(), dir.label(), outcome).inc();
  }

  private static String clip(String s) {
    if (s == null) {
      return "";
    }
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
