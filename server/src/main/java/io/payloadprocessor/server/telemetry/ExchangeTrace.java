package io.payloadprocessor.server.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.payloadprocessor.proto.v1.Rejection;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.Headers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The span of one exchange and the spans of its steps. {@link #NONE} (tracing off, or the exchange
 * not sampled) does nothing, so call sites need no checks.
 *
 * <p>Span kind: the exchange span is {@link SpanKind#SERVER}. The sidecar serves a remote call (the
 * ext_proc stream Envoy opens for the client's request) and its parent is remote (the client's span
 * from {@code traceparent}); SERVER is what pairs with that CLIENT parent in trace views and
 * service graphs. Step spans are {@link SpanKind#INTERNAL} children of it.
 *
 * <p>Ending: the exchange span ends once, when its stream closes ({@link #end}), on every path:
 * answered, rejected, cancelled or reset by Envoy, or ended without a response. A step span ends
 * once, when the runner settles the step; any still open when the exchange ends (the client went
 * away while the step ran) ends then as {@code cancelled}, and a later settlement is ignored.
 *
 * <p>Thread-safety: the stream calls the exchange methods from its sequential executor; the runner
 * starts and ends step spans on whichever thread drives the run. Spans are thread-safe; the set of
 * open step spans is guarded by this object's lock. Nothing here blocks.
 *
 * <p>Attributes (values derived from the request are cut at {@link #MAX_VALUE_CHARS} here whatever
 * the SDK's limit; the SDK's limit, {@value Tracing#DEFAULT_ATTRIBUTE_LENGTH} by default, cuts them
 * further): see docs/pipeline.md, "Tracing".
 */
public final class ExchangeTrace {
  /** No tracing: every method does nothing. */
  public static final ExchangeTrace NONE = new ExchangeTrace(null, null, null);

  /** Hard cap on a request-derived attribute value, whatever the SDK's limit says. */
  static final int MAX_VALUE_CHARS = 1024;

  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("payload_processor.outcome");
  static final AttributeKey<String> PHASE = AttributeKey.stringKey("payload_processor.phase");
  static final AttributeKey<String> STAGE = AttributeKey.stringKey("payload_processor.stage");
  static final AttributeKey<String> TYPE =
      AttributeKey.stringKey("payload_processor.processor.type");
  static final AttributeKey<String> FAILURE = AttributeKey.stringKey("payload_processor.failure");
  static final AttributeKey<Boolean> STREAM = AttributeKey.booleanKey("payload_processor.stream");
  static final AttributeKey<Long> STREAM_EVENTS =
      AttributeKey.longKey("payload_processor.stream.events");
  static final AttributeKey<String> REJECTION_PROCESSOR =
      AttributeKey.stringKey("payload_processor.rejection.processor");
  static final AttributeKey<String> REJECTION_PHASE =
      AttributeKey.stringKey("payload_processor.rejection.phase");
  static final AttributeKey<String> REJECTION_REASON =
      AttributeKey.stringKey("payload_processor.rejection.reason");
  static final AttributeKey<String> REJECTION_RULE =
      AttributeKey.stringKey("payload_processor.rejection.rule");
  static final AttributeKey<Long> REJECTION_STATUS =
      AttributeKey.longKey("payload_processor.rejection.status");
  static final AttributeKey<String> REQUEST_ID =
      AttributeKey.stringKey("payload_processor.request_id");
  static final AttributeKey<Boolean> CANCELLED =
      AttributeKey.booleanKey("payload_processor.cancelled");
  static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
  static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

  private final Tracer tracer;
  private final Context context;
  private final Span span;

  // Guarded by this.
  private List<StepSpan> open;
  private boolean ended;

  // Touched by the stream's executor only.
  private int answeredStatus;

  private ExchangeTrace(Tracer tracer, Context context, Span span) {
    this.tracer = tracer;
    this.context = context;
    this.span = span;
  }

  /** A trace for a started span; {@link #NONE} if the span is not recorded (not sampled). */
  static ExchangeTrace started(
      Tracer tracer, Context context, Span span, Headers requestHeaders, String requestId) {
    if (!span.isRecording()) {
      span.end();
      return NONE;
    }
    ExchangeTrace t = new ExchangeTrace(tracer, context, span);
    t.setRequest(requestHeaders, requestId);
    return t;
  }

  private void setRequest(Headers h, String requestId) {
    String method = h.get(":method");
    if (method != null) {
      span.setAttribute(METHOD, clip(method));
    }
    String path = GenAi.pathOf(h.get(":path"));
    if (path != null) {
      // The query is left out: it may carry credentials (?key=...).
      span.setAttribute(PATH, clip(path));
      String operation = GenAi.operation(path);
      if (operation != null) {
        span.setAttribute(GenAi.OPERATION, operation);
      }
    }
    if (requestId != null) {
      span.setAttribute(REQUEST_ID, clip(requestId));
    }
  }

  /** Whether spans are recorded for this exchange. */
  public boolean recording() {
    return span != null;
  }

  /** The span of the exchange (tests). */
  Span span() {
    return span;
  }

  // ------------------------------------------------------------------ steps (runner)

  /** Starts the span of one step; {@link StepSpan#NONE} when not recording or already ended. */
  public StepSpan startStep(Step step, Direction dir, boolean stream) {
    if (span == null) {
      return StepSpan.NONE;
    }
    synchronized (this) {
      if (ended) {
        return StepSpan.NONE;
      }
      Span s =
          tracer
              .spanBuilder(step.name())
              .setParent(context)
              .setSpanKind(SpanKind.INTERNAL)
              .setAttribute(PHASE, dir.label())
              .setAttribute(STAGE, step.stage().yamlName())
              .setAttribute(TYPE, step.type())
              .startSpan();
      if (stream) {
        s.setAttribute(STREAM, true);
      }
      StepSpan ss = new StepSpan(this, s);
      if (open == null) {
        open = new ArrayList<>(4);
      }
      open.add(ss);
      return ss;
    }
  }

  /** A step that did not run because the message has no body: a span with outcome {@code skip}. */
  public void skipped(Step step, Direction dir) {
    if (span != null) {
      startStep(step, dir, false).end("skip", null, null);
    }
  }

  /**
   * Metadata a step emitted: usage-metering's {@code usage} map gives the response model and the
   * token counts.
   */
  public void metadata(Map<String, Object> metadata) {
    if (span != null && !metadata.isEmpty()) {
      GenAi.usage(span, metadata.get("usage"));
    }
  }

  private synchronized void closed(StepSpan s) {
    if (open != null) {
      open.remove(s);
    }
  }

  // ------------------------------------------------------------------ exchange (stream)

  /**
   * The request as the request pipeline left it (body complete): its JSON {@code model} becomes
   * {@code gen_ai.request.model}.
   */
  public void requestBody(HttpMessage request) {
    if (span != null) {
      String model = GenAi.requestModel(request);
      if (model != null) {
        span.setAttribute(GenAi.REQUEST_MODEL, clip(model));
      }
    }
  }

  /** The server answered the client itself (a rejection, or a synthetic response). */
  public void answered(int status, Rejection rejection) {
    if (span != null) {
      answeredStatus = status;
      rejected(rejection);
    }
  }

  /** A rejection, answered or in-band (an event stream's error event). */
  public void rejected(Rejection r) {
    if (span != null && r != null) {
      span.setAttribute(REJECTION_PROCESSOR, r.getProcessor());
      span.setAttribute(REJECTION_PHASE, r.getPhase());
      span.setAttribute(REJECTION_REASON, r.getReason());
      if (!r.getRule().isEmpty()) {
        span.setAttribute(REJECTION_RULE, r.getRule());
      }
      span.setAttribute(REJECTION_STATUS, (long) r.getHttpStatus());
    }
  }

  /**
   * Ends the exchange span, and the spans of steps still running as {@code cancelled}. {@code
   * responseStatus} is the upstream's status (0: none) when the server did not answer itself;
   * {@code cancelled}: the stream ended while work was in flight.
   */
  public void end(int responseStatus, boolean cancelled) {
    if (span == null) {
      return;
    }
    List<StepSpan> stillOpen;
    synchronized (this) {
      if (ended) {
        return;
      }
      ended = true;
      stillOpen = open == null ? List.of() : List.copyOf(open);
      open = null;
    }
    for (StepSpan s : stillOpen) {
      s.end("cancelled", null, null);
    }
    int status = answeredStatus != 0 ? answeredStatus : responseStatus;
    if (status > 0) {
      span.setAttribute(STATUS, (long) status);
      if (status >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
    }
    if (cancelled) {
      span.setAttribute(CANCELLED, true);
    }
    span.end();
  }

  static String clip(String s) {
    return s.length() > MAX_VALUE_CHARS ? s.substring(0, MAX_VALUE_CHARS) : s;
  }

  /** The span of one step. Ends once; later calls are ignored. */
  public static final class StepSpan {
    /** Not recording. */
    public static final StepSpan NONE = new StepSpan(null, null);

    private final ExchangeTrace trace;
    private final Span span;
    private final AtomicBoolean ended = new AtomicBoolean();
    private long events;

    private StepSpan(ExchangeTrace trace, Span span) {
      this.trace = trace;
      this.span = span;
    }

    /** One more stream event through this step (stream steps). */
    public void event() {
      if (span != null) {
        events++;
      }
    }

    /**
     * Ends the span with its outcome ({@code continue}, {@code mutate}, {@code reject}, {@code
     * respond}, {@code skip}, {@code shed}, {@code failed_open}, {@code cancelled}). {@code
     * rejection}: the block when the outcome is {@code reject}; {@code failure}: the failure when
     * the step failed (timed out, threw, could not run), under either failure mode.
     */
    public void end(String outcome, Block rejection, Block failure) {
      if (span == null || !ended.compareAndSet(false, true)) {
        return;
      }
      span.setAttribute(OUTCOME, outcome);
      if (rejection != null) {
        span.setAttribute(REJECTION_REASON, rejection.reason());
        span.setAttribute(REJECTION_STATUS, (long) rejection.status());
        if (!rejection.rule().isEmpty()) {
          span.setAttribute(REJECTION_RULE, clip(rejection.rule()));
        }
      }
      if (failure != null) {
        span.setAttribute(FAILURE, failure.reason());
        span.setStatus(StatusCode.ERROR, failure.reason());
      }
      if (events > 0) {
        span.setAttribute(STREAM_EVENTS, events);
      }
      span.end();
      trace.closed(this);
    }
  }
}
