package io.payloadprocessor.server.grpc;

import com.google.protobuf.Struct;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.server.ServerContext;
import io.payloadprocessor.server.pipeline.PipelineRunner;
import io.payloadprocessor.server.pipeline.PipelineRunner.BodyState;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.server.pipeline.StreamRun;
import io.payloadprocessor.server.telemetry.ExchangeTrace;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Processor;
import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-stream state machine: one instance per ext_proc stream, i.e. per HTTP exchange.
 *
 * <p>Threads. gRPC delivers the stream's messages on its event loop (the server runs on a direct
 * executor); this class never blocks it. Every message and every pipeline completion is handled
 * through one sequential executor per stream, so the state below is touched by one thread at a time
 * without locks. A message that needs the pipeline starts a run ({@link PipelineRunner}): when all
 * its steps are inline the run is already complete and the answer leaves at once; otherwise the
 * stream is busy until the run completes, messages that arrive meanwhile wait in order, and the
 * completion (on whichever thread finished the last step) answers and resumes them. So answers
 * leave in order within each direction.
 *
 * <p>Per body mode, when the pipeline needs the whole body of a direction:
 *
 * <ul>
 *   <li>BUFFERED: answer the headers at once (empty); the one body message is the whole body; the
 *       body answer carries header changes, the new body and a matching content-length.
 *   <li>BUFFERED_PARTIAL: as BUFFERED when the message holds the whole body; a truncated body
 *       (Envoy's buffer limit hit) cannot be inspected and is answered 413 (request) / 500.
 *   <li>STREAMED: every chunk is answered at once, unchanged (Envoy forwards headers before the
 *       body, and holds trailers while any chunk awaits its answer, so nothing can be held back
 *       safely); a copy is kept and the pipeline runs when the body ends (last chunk or trailers).
 *       A rejection still stops the exchange (request: the client gets the error; response: the
 *       stream is reset); header and body changes cannot apply and are counted in {@code
 *       payload_processor_dropped_mutations_total}. Use BUFFERED or FULL_DUPLEX_STREAMED to change
 *       bodies.
 *   <li>FULL_DUPLEX_STREAMED: the headers answer is held until the body is complete (Envoy holds
 *       the headers meanwhile, with no timer), so it can carry header changes made from the body;
 *       then the body goes back in chunks of at most 64 KiB with end_of_stream on the last.
 *   <li>NONE: Envoy sends no body; steps that read it fail by their failure mode.
 * </ul>
 *
 * <p>Bodies are counted as they arrive: one over {@code --max-body-bytes} is refused (413 request,
 * 500 response) at the chunk that passes the limit, and all bodies held at once share a budget
 * ({@link io.payloadprocessor.server.BodyBudget}, 503 past it).
 *
 * <p>A body that arrives without its headers (Envoy's header mode SKIP) is processed as if empty
 * headers had come first: the pipeline runs on it and guards scan it.
 *
 * <p>A {@code text/event-stream} response whose body readers all work on streams is not buffered:
 * the response body is switched to STREAMED with {@code mode_override} (when Envoy allows it) and
 * each chunk passes through a {@link StreamRun}.
 *
 * <p>Tracing: the exchange's span ({@link ExchangeTrace}) starts with the exchange and ends when
 * the stream closes; the runner adds a span per step under it.
 */
final class ExchangeStream implements StreamObserver<ProcessingRequest> {
  private static final Logger log = LoggerFactory.getLogger(ExchangeStream.class);

  /** The key under which Envoy's ext_proc filter sends the attributes it evaluated. */
  private static final String ATTRIBUTES_KEY = "envoy.filters.http.ext_proc";

  private final ServerContext ctx;
  private final StreamObserver<ProcessingResponse> out;
  private final Map<String, String> streamMetadata;
  private final long startNanos = System.nanoTime();
  private final Executor serial = new SerialExecutor();

  // Everything below is touched only inside `serial`.
  private ArrayDeque<ProcessingRequest> waiting;
  private boolean busy;

  /** Envoy's evaluated request/response attributes of the message being handled, if any. */
  private Map<String, Object> pendingAttributes;

  private boolean halfClosed;
  private long messageStart;
  private CompletableFuture<?> running;
  private boolean started;
  private boolean observability;
  private BodySendMode requestMode = BodySendMode.NONE;
  private BodySendMode responseMode = BodySendMode.NONE;
  private List<Step> steps = List.of();
  private MutableExchange exchange;
  private ExchangeTrace trace = ExchangeTrace.NONE;
  private boolean traceStarted;
  private boolean finished;
  private boolean closed;
  private final Side request = new Side(Direction.REQUEST);
  private final Side response = new Side(Direction.RESPONSE);

  /** The state of one direction. */
  private static final class Side {
    final Direction dir;
    BodySendMode mode = BodySendMode.NONE;
    Headers original;

    /** Headers arrived (or were skipped and a body arrived): the side is set up. */
    boolean headersSeen;

    /** Whether Envoy sent the headers (false when they were SKIPped). */
    boolean headersSent;

    /** Collect the body and run the pipeline on it once complete. */
    boolean collect;

    boolean trailersSeen;

    /** Body bytes that arrived so far (collected or not). */
    long received;

    /** Bytes taken from the server's body budget for this side. */
    long held;

    final ByteArrayOutputStream body = new ByteArrayOutputStream(0);

    /** The body while it is a single chunk (not yet copied into {@link #body}). */
    byte[] firstChunk;

    StreamRun sse;

    Side(Direction dir) {
      this.dir = dir;
    }

    long size() {
      return firstChunk != null ? firstChunk.length : body.size();
    }

    byte[] bytes() {
      return firstChunk != null ? firstChunk : body.toByteArray();
    }
  }

  ExchangeStream(
      ServerContext ctx,
      StreamObserver<ProcessingResponse> out,
      Map<String, String> streamMetadata) {
    this.ctx = ctx;
    this.out = out;
    this.streamMetadata = streamMetadata;
    if (out instanceof ServerCallStreamObserver<ProcessingResponse> call) {
      // Envoy cancels every stream at the end of its exchange; answers after that are dropped.
      call.setOnCancelHandler(() -> serial.execute(this::cancelled));
    }
    ctx.metrics().streamsActive.inc();
    ctx.metrics().streamsTotal.inc();
  }

  @Override
  public void onNext(ProcessingRequest msg) {
    serial.execute(() -> accept(msg));
  }

  private void accept(ProcessingRequest msg) {
    if (busy) {
      if (waiting == null) {
        waiting = new ArrayDeque<>(4);
      }
      waiting.add(msg);
      return;
    }
    handle(msg);
  }

  /**
   * Handles the messages that waited while a run was in progress, until one starts another; then
   * finishes the call if the client half-closed meanwhile.
   */
  private void resume() {
    ProcessingRequest next;
    while (!busy && waiting != null && (next = waiting.poll()) != null) {
      handle(next);
    }
    if (!busy && halfClosed && !closed) {
      completeCall();
    }
  }

  private void handle(ProcessingRequest msg) {
    long t0 = System.nanoTime();
    ProcessingRequest.RequestCase phase = msg.getRequestCase();
    messageStart = t0;
    try {
      if (!started) {
        start(msg);
      }
      observability = msg.getObservabilityMode();
      if (finished || closed) {
        return; // after an immediate response Envoy ignores everything; so do we
      }
      Struct attributes = msg.getAttributesMap().get(ATTRIBUTES_KEY);
      if (attributes != null) {
        pendingAttributes = EnvoyMessages.toJava(attributes);
      }
      switch (phase) {
        case REQUEST_HEADERS -> onHeaders(request, msg.getRequestHeaders());
        case RESPONSE_HEADERS -> onHeaders(response, msg.getResponseHeaders());
        case REQUEST_BODY -> onBody(request, msg.getRequestBody());
        case RESPONSE_BODY -> onBody(response, msg.getResponseBody());
        case REQUEST_TRAILERS -> onTrailers(request, msg.getRequestTrailers());
        case RESPONSE_TRAILERS -> onTrailers(response, msg.getResponseTrailers());
        default -> log.debug("ignoring empty ProcessingRequest");
      }
    } catch (RuntimeException e) {
      internalError(phase, e);
    } finally {
      if (!busy) {
        ctx.metrics().phaseLatency(phase).observe((System.nanoTime() - t0) / 1e9);
      }
    }
  }

  private void internalError(ProcessingRequest.RequestCase phase, Throwable e) {
    ctx.metrics().errors.labelValues("internal").inc();
    log.error("internal error on {} (request {})", phase, requestId(), e);
    Direction dir =
        switch (phase) {
          case RESPONSE_HEADERS, RESPONSE_BODY, RESPONSE_TRAILERS -> Direction.RESPONSE;
          default -> Direction.REQUEST;
        };
    immediate(
        ctx.runner()
            .serverRejection(
                exchange(),
                dir,
                Block.of(500, "internal_error", "internal error in payload-processor")));
  }

  /**
   * Continues with {@code then} once {@code f} completes: at once when it already has (all steps
   * were inline), else later, through the stream's executor, holding back other messages meanwhile.
   */
  private <T> void await(
      CompletableFuture<T> f, ProcessingRequest.RequestCase phase, Consumer<T> then) {
    if (f.isDone() && !f.isCompletedExceptionally()) {
      then.accept(f.join());
      return;
    }
    busy = true;
    running = f;
    var unused =
        f.whenComplete(
            (value, error) ->
                serial.execute(
                    () -> {
                      busy = false;
                      running = null;
                      ctx.metrics()
                          .phaseLatency(phase)
                          .observe((System.nanoTime() - messageStart) / 1e9);
                      if (!closed && !finished) {
                        try {
                          if (error != null) {
                            internalError(
                                phase,
                                error instanceof CompletionException c ? c.getCause() : error);
                          } else {
                            then.accept(value);
                          }
                        } catch (RuntimeException e) {
                          internalError(phase, e);
                        }
                      }
                      resume();
                    }));
  }

  private void start(ProcessingRequest msg) {
    started = true;
    if (msg.hasProtocolConfig()) {
      requestMode = msg.getProtocolConfig().getRequestBodyMode();
      responseMode = msg.getProtocolConfig().getResponseBodyMode();
    }
    request.mode = requestMode;
    response.mode = responseMode;
    steps = ctx.pipeline().get().select(streamMetadata);
  }

  /**
   * A request id when Envoy sent none: random, not secure (UUID.randomUUID shares one SecureRandom
   * across threads, a contention point on the hot path; ids need not be secret).
   */
  private static String newRequestId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return new UUID(r.nextLong(), r.nextLong()).toString();
  }

  private String requestId() {
    return exchange == null ? "-" : exchange.requestId();
  }

  /** The exchange, created from whatever came first (request headers may be SKIPped). */
  private MutableExchange exchange() {
    if (exchange == null) {
      exchange =
          new MutableExchange(
              newRequestId(), new HttpMessage(new Headers(), null, false), streamMetadata);
      startTrace();
    }
    return exchange;
  }

  /** Starts the exchange's span once, from the request headers the exchange has (if any). */
  private void startTrace() {
    if (!traceStarted) {
      traceStarted = true;
      trace = ctx.tracing().startExchange(exchange.request().headers(), exchange.requestId());
    }
  }

  // ---------------------------------------------------------------- headers

  private void onHeaders(Side side, HttpHeaders h) {
    setUp(side, EnvoyMessages.headers(h.getHeaders()), !h.getEndOfStream(), true);
    Plan plan = plan(side);
    if (!plan.work) {
      send(EnvoyAnswers.continueHeaders(side.dir));
      return;
    }
    if (h.getEndOfStream() || !plan.readsBody) {
      runAndAnswerHeaders(side, BodyState.ABSENT);
      return;
    }
    if (side.dir == Direction.RESPONSE
        && plan.allStream
        && side.mode != BodySendMode.NONE
        && "text/event-stream".equals(message(side).mediaType())) {
      startSse(side);
      return;
    }
    switch (side.mode) {
      case NONE, UNRECOGNIZED -> runAndAnswerHeaders(side, BodyState.UNAVAILABLE);
      case FULL_DUPLEX_STREAMED -> side.collect = true; // the headers answer waits for the body
      default -> {
        side.collect = true;
        send(EnvoyAnswers.continueHeaders(side.dir));
      }
    }
  }

  /** Sets a direction up from its headers (or from none, when they were skipped). */
  private void setUp(Side side, Headers headers, boolean hasBody, boolean sent) {
    side.headersSeen = true;
    side.headersSent = sent;
    side.original = headers.snapshot();
    HttpMessage message = new HttpMessage(headers, null, hasBody);
    if (side.dir == Direction.REQUEST) {
      String id = io.payloadprocessor.logging.RequestIds.validOrNull(headers.get("x-request-id"));
      exchange =
          new MutableExchange(
              id == null || id.isEmpty() ? newRequestId() : id, message, streamMetadata);
      startTrace();
    } else {
      exchange().setResponse(message);
    }
    if (pendingAttributes != null) {
      exchange.putEnvoyAttributes(pendingAttributes);
      pendingAttributes = null;
    }
  }

  /** What the pipeline does with one direction. */
  private record Plan(boolean work, boolean readsBody, boolean allStream) {}

  private Plan plan(Side side) {
    boolean work = false;
    boolean readsBody = false;
    boolean allStream = true;
    for (Step s : steps) {
      Processor p = s.processor();
      boolean handles = side.dir == Direction.REQUEST ? p.handlesRequest() : p.handlesResponse();
      boolean reads = side.dir == Direction.REQUEST ? p.readsRequestBody() : p.readsResponseBody();
      // A response transform may read the request body: the request side must keep it then.
      if (!handles && !(reads && side.dir == Direction.REQUEST)) {
        continue;
      }
      work = true;
      if (reads) {
        readsBody = true;
        allStream &= p.streamsSse();
      }
    }
    return new Plan(work, readsBody, allStream);
  }

  /** Runs the header-only part now (body readers skipped or failed) and answers the headers. */
  private void runAndAnswerHeaders(Side side, BodyState body) {
    await(
        start(side, body),
        phaseOf(side, true),
        r -> {
          if (r instanceof PipelineRunner.Stop stop) {
            immediate(stop);
            return;
          }
          PipelineRunner.Proceed p = (PipelineRunner.Proceed) r;
          send(EnvoyAnswers.headers(side.dir, diff(side), p.clearRouteCache(), p.metadata(), null));
        });
  }

  private void startSse(Side side) {
    List<Step> streamSteps = new ArrayList<>();
    List<Step> headerSteps = new ArrayList<>();
    for (Step s : steps) {
      if (s.processor().handlesResponse()) {
        (s.processor().readsResponseBody() ? streamSteps : headerSteps).add(s);
      }
    }
    PipelineRunner runner = ctx.runner();
    await(
        runner.startResponse(exchange, headerSteps, BodyState.ABSENT, trace),
        ProcessingRequest.RequestCase.RESPONSE_HEADERS,
        first -> {
          if (first instanceof PipelineRunner.Stop stop) {
            immediate(stop);
            return;
          }
          await(
              runner.startSseHeaders(exchange, streamSteps, trace),
              ProcessingRequest.RequestCase.RESPONSE_HEADERS,
              second -> {
                if (second instanceof PipelineRunner.Stop stop) {
                  immediate(stop);
                  return;
                }
                Map<String, Object> metadata =
                    new LinkedHashMap<>(((PipelineRunner.Proceed) first).metadata());
                metadata.putAll(((PipelineRunner.Proceed) second).metadata());
                side.sse = runner.openStream(exchange, streamSteps, trace);
                ProcessingMode override = null;
                if (side.mode == BodySendMode.BUFFERED
                    || side.mode == BodySendMode.BUFFERED_PARTIAL) {
                  override = EnvoyAnswers.streamResponseBody(requestMode);
                }
                send(EnvoyAnswers.headers(side.dir, diff(side), false, metadata, override));
              });
        });
  }

  // ---------------------------------------------------------------- body

  private void onBody(Side side, HttpBody b) {
    if (!side.headersSeen) {
      bodyWithoutHeaders(side);
    }
    byte[] chunk = b.getBody().toByteArray();
    boolean eos = b.getEndOfStream();
    side.received += chunk.length;
    if (side.sse != null) {
      sseChunk(side, chunk, eos);
      return;
    }
    if (!side.collect) {
      passBody(side, chunk, eos);
      return;
    }
    if (side.received > ctx.maxBodyBytes()) {
      refuse(side, "exceeds the limit of " + ctx.maxBodyBytes() + " bytes");
      return;
    }
    if (!ctx.bodyBudget().tryAcquire(chunk.length)) {
      ctx.metrics().errors.labelValues("body_budget").inc();
      side.collect = false;
      immediate(
          ctx.runner()
              .serverRejection(
                  exchange(),
                  side.dir,
                  new Block(
                      503,
                      "overloaded",
                      "",
                      "the server holds too many bodies at once; retry",
                      true,
                      null)));
      return;
    }
    side.held += chunk.length;
    if (side.body.size() == 0 && side.firstChunk == null) {
      side.firstChunk = chunk; // most bodies are one message: keep it without copying
    } else {
      if (side.firstChunk != null) {
        side.body.writeBytes(side.firstChunk);
        side.firstChunk = null;
      }
      side.body.writeBytes(chunk);
    }
    switch (side.mode) {
      case BUFFERED_PARTIAL -> {
        if (eos || lengthMatches(side)) {
          complete(side, true, false);
        } else {
          refuse(
              side,
              "exceeds Envoy's buffer (BUFFERED_PARTIAL sent only part of it), so it cannot be"
                  + " inspected");
        }
      }
      case STREAMED -> {
        if (eos) {
          complete(side, true, false);
        } else {
          // Answer at once, unchanged: Envoy holds trailers while any chunk awaits its answer,
          // so holding chunks back would stall a body that ends with trailers.
          send(EnvoyAnswers.body(side.dir, null, null, false, Map.of()));
        }
      }
      case FULL_DUPLEX_STREAMED -> {
        if (eos) {
          complete(side, false, false);
        }
      }
      default -> complete(side, true, false); // BUFFERED: the one message is the whole body
    }
  }

  /**
   * A body arrived without headers (header mode SKIP): set the direction up with empty headers, so
   * that the steps that read the body run on it.
   */
  private void bodyWithoutHeaders(Side side) {
    setUp(side, new Headers(), true, false);
    Plan plan = plan(side);
    side.collect = plan.work && plan.readsBody;
  }

  private boolean lengthMatches(Side side) {
    String cl = side.original.get("content-length");
    try {
      return cl != null && Long.parseLong(cl.trim()) == side.size();
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private void passBody(Side side, byte[] chunk, boolean eos) {
    if (side.mode == BodySendMode.FULL_DUPLEX_STREAMED) {
      // Envoy keeps no copy in FULL_DUPLEX: what we do not send back is lost.
      sendAll(EnvoyAnswers.streamed(side.dir, chunk, eos, Map.of()));
    } else {
      send(EnvoyAnswers.body(side.dir, null, null, false, Map.of()));
    }
  }

  private void sseChunk(Side side, byte[] chunk, boolean eos) {
    StreamRun sse = side.sse;
    await(
        ctx.runner().streamChunk(sse, chunk, eos),
        phaseOf(side, false),
        processed -> {
          if (sse.blocked()) {
            trace.rejected(sse.rejection());
          }
          Map<String, Object> md = sse.drainMetadata();
          if (side.mode == BodySendMode.FULL_DUPLEX_STREAMED) {
            sendAll(EnvoyAnswers.streamed(side.dir, processed, eos, md));
            return;
          }
          // An unchanged chunk goes on as Envoy holds it: no copy of it in the answer.
          BodyMutation bm =
              Arrays.equals(processed, chunk) ? null : EnvoyAnswers.replace(processed);
          send(EnvoyAnswers.body(side.dir, bm, null, false, md));
        });
  }

  private void onTrailers(Side side, HttpTrailers t) {
    side.trailersSeen = true;
    Headers trailers = EnvoyMessages.headers(t.getTrailers());
    if (side.dir == Direction.REQUEST) {
      exchange().setRequestTrailers(trailers);
    } else {
      exchange().setResponseTrailers(trailers);
    }
    if (side.collect && side.sse == null) {
      // The body (if any) is complete: trailers come after the last body chunk.
      complete(side, false, true);
      return;
    }
    send(EnvoyAnswers.trailers(side.dir));
  }

  /**
   * The body is complete: run the pipeline and answer. {@code answerBodyMessage} is false for
   * FULL_DUPLEX (the answer is headers then streamed chunks) and when trailers ended the body;
   * {@code answerTrailers} sends the trailers answer after the rest.
   */
  private void complete(Side side, boolean answerBodyMessage, boolean answerTrailers) {
    side.collect = false;
    HttpMessage message = message(side);
    byte[] original = side.bytes();
    side.firstChunk = null;
    side.body.reset();
    message.replaceBodyFromWire(original);
    await(
        start(side, BodyState.PRESENT),
        phaseOf(side, false),
        r -> {
          if (side.dir == Direction.REQUEST) {
            trace.requestBody(message);
          }
          release(side);
          if (r instanceof PipelineRunner.Stop stop) {
            immediate(stop);
            return;
          }
          answerCompleted(side, (PipelineRunner.Proceed) r, original, answerBodyMessage);
          if (answerTrailers) {
            send(EnvoyAnswers.trailers(side.dir));
          }
        });
  }

  private void answerCompleted(
      Side side, PipelineRunner.Proceed p, byte[] original, boolean answerBodyMessage) {
    HttpMessage message = message(side);
    byte[] body = message.rawBody();
    boolean bodyChanged = body != original;
    if (side.mode == BodySendMode.FULL_DUPLEX_STREAMED) {
      if (bodyChanged) {
        message.headers().remove("content-length");
      }
      if (side.headersSent) {
        send(EnvoyAnswers.headers(side.dir, diff(side), p.clearRouteCache(), p.metadata(), null));
      } else if (!EnvoyMessages.isEmpty(diff(side))) {
        dropped(side); // no headers message to carry the changes
      }
      sendAll(
          EnvoyAnswers.streamed(
              side.dir, body, !side.trailersSeen, side.headersSent ? Map.of() : p.metadata()));
      return;
    }
    if (side.mode == BodySendMode.STREAMED) {
      // Every chunk already went on unchanged: only a rejection can still take effect.
      if (bodyChanged || !EnvoyMessages.isEmpty(diff(side))) {
        dropped(side);
      }
      if (answerBodyMessage) {
        send(EnvoyAnswers.body(side.dir, null, null, false, p.metadata()));
      }
      return;
    }
    if (!answerBodyMessage) {
      return;
    }
    if (bodyChanged && side.original.contains("content-length")) {
      // With BUFFERED and headers SEND, content-length is ours to keep right (else Envoy 500s).
      message.headers().set("content-length", Integer.toString(body.length));
    }
    BodyMutation bm = bodyChanged ? EnvoyAnswers.replace(body) : null;
    send(EnvoyAnswers.body(side.dir, bm, diff(side), p.clearRouteCache(), p.metadata()));
  }

  private void dropped(Side side) {
    ctx.metrics().droppedMutations.labelValues(side.dir.label()).inc();
    log.debug(
        "{} changes dropped: body mode STREAMED (or skipped headers) forwards data before the"
            + " pipeline can run (use BUFFERED or FULL_DUPLEX_STREAMED to change bodies or headers)",
        side.dir.label());
  }

  /**
   * Refuses a body the server will not inspect, over the limit or truncated by Envoy: 413 for a
   * request, 500 for a response (the upstream's fault, not the client's), reason {@code
   * <direction>_body_too_large}; {@code why} completes "the request body ...".
   */
  private void refuse(Side side, String why) {
    String reason = "body_too_large";
    side.collect = false;
    release(side);
    ctx.metrics().errors.labelValues(reason).inc();
    immediate(
        ctx.runner()
            .serverRejection(
                exchange(),
                side.dir,
                Block.of(
                    side.dir == Direction.REQUEST ? 413 : 500,
                    side.dir.label() + "_" + reason,
                    "the " + side.dir.label() + " body " + why)));
  }

  private void release(Side side) {
    ctx.bodyBudget().release(side.held);
    side.held = 0;
    side.firstChunk = null;
    side.body.reset();
  }

  // ---------------------------------------------------------------- helpers

  private HttpMessage message(Side side) {
    return side.dir == Direction.REQUEST
        ? exchange().mutableRequest()
        : exchange().mutableResponse();
  }

  private CompletableFuture<PipelineRunner.Result> start(Side side, BodyState body) {
    return side.dir == Direction.REQUEST
        ? ctx.runner().startRequest(exchange(), steps, body, trace)
        : ctx.runner().startResponse(exchange(), steps, body, trace);
  }

  private static ProcessingRequest.RequestCase phaseOf(Side side, boolean headers) {
    if (side.dir == Direction.REQUEST) {
      return headers
          ? ProcessingRequest.RequestCase.REQUEST_HEADERS
          : ProcessingRequest.RequestCase.REQUEST_BODY;
    }
    return headers
        ? ProcessingRequest.RequestCase.RESPONSE_HEADERS
        : ProcessingRequest.RequestCase.RESPONSE_BODY;
  }

  private HeaderMutation diff(Side side) {
    return EnvoyMessages.diff(side.original, message(side).headers());
  }

  private void immediate(PipelineRunner.Stop stop) {
    finished = true;
    trace.answered(stop.status(), stop.rejection());
    release(request);
    release(response);
    send(EnvoyAnswers.immediate(stop));
  }

  private void sendAll(List<ProcessingResponse> rs) {
    for (ProcessingResponse r : rs) {
      send(r);
    }
  }

  private void send(ProcessingResponse r) {
    if (observability || closed) {
      return; // Envoy ignores every answer in observability mode; do not even send them
    }
    out.onNext(r);
  }

  // ---------------------------------------------------------------- end of stream

  @Override
  public void onError(Throwable t) {
    // Envoy resets the stream at the end of every exchange: CANCELLED is the normal ending.
    Status s = Status.fromThrowable(t);
    if (s.getCode() != Status.Code.CANCELLED) {
      ctx.metrics().errors.labelValues("stream_error").inc();
      serial.execute(() -> log.warn("ext_proc stream ended with {} (request {})", s, requestId()));
    }
    serial.execute(this::cancelled);
  }

  @Override
  public void onCompleted() {
    // Envoy's graceful close (and load drivers such as h2load) half-close and wait for OK, after
    // the answers to what they sent.
    serial.execute(this::completeCall);
  }

  private void completeCall() {
    halfClosed = true;
    if (busy) {
      return; // finished when the run in progress completes (see resume)
    }
    close();
    try {
      out.onCompleted();
    } catch (RuntimeException e) {
      log.debug("stream already closed", e);
    }
  }

  /** The stream ended under us (Envoy's reset): stop work in flight, answer nothing more. */
  private void cancelled() {
    if (running != null) {
      running.cancel(false);
    }
    close();
  }

  private void close() {
    if (!closed) {
      closed = true;
      release(request);
      release(response);
      ctx.metrics().streamsActive.dec();
      trace.end(exchange == null ? 0 : exchange.responseStatus(), running != null);
      if (log.isDebugEnabled()) {
        log.debug(
            "exchange {} done in {} us", requestId(), (System.nanoTime() - startNanos) / 1000);
      }
    }
  }
}
