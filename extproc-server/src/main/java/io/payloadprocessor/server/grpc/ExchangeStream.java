package io.payloadprocessor.server.grpc;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.payloadprocessor.server.ServerContext;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.PipelineRunner;
import io.payloadprocessor.server.pipeline.PipelineRunner.BodyState;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.HttpMessage;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.Rejections;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-stream state machine: one instance per ext_proc stream, i.e. per HTTP exchange. gRPC
 * delivers its messages one at a time, and the pipeline runs inside that callback, so answers leave
 * in order within each direction without locks.
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
 * <p>A {@code text/event-stream} response whose body readers all work on streams is not buffered:
 * the response body is switched to STREAMED with {@code mode_override} (when Envoy allows it) and
 * each chunk passes through the {@link SseRelay}.
 */
final class ExchangeStream implements StreamObserver<ProcessingRequest> {
  private static final Logger log = LoggerFactory.getLogger(ExchangeStream.class);
  static final int MAX_STREAMED_CHUNK = 64 * 1024;

  private final ServerContext ctx;
  private final StreamObserver<ProcessingResponse> out;
  private final Map<String, String> streamMetadata;
  private final long startNanos = System.nanoTime();

  private boolean started;
  private boolean observability;
  private BodySendMode requestMode = BodySendMode.NONE;
  private BodySendMode responseMode = BodySendMode.NONE;
  private List<Step> steps = List.of();
  private Exchange exchange;
  private boolean finished;
  private final Side request = new Side(Direction.REQUEST);
  private final Side response = new Side(Direction.RESPONSE);

  /** The state of one direction. */
  private static final class Side {
    final Direction dir;
    BodySendMode mode = BodySendMode.NONE;
    Headers original;

    /** Collect the body and run the pipeline on it once complete. */
    boolean collect;

    /** Nothing more to do: answer every message unchanged. */
    boolean passThrough;

    /** FULL_DUPLEX: the headers answer waits for the body. */
    boolean headersDeferred;

    boolean trailersSeen;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();

    /** The body while it is a single chunk (not yet copied into {@link #body}). */
    byte[] firstChunk;

    long size() {
      return firstChunk != null ? firstChunk.length : body.size();
    }

    byte[] bytes() {
      return firstChunk != null ? firstChunk : body.toByteArray();
    }

    SseRelay sse;

    Side(Direction dir) {
      this.dir = dir;
    }
  }

  ExchangeStream(
      ServerContext ctx,
      StreamObserver<ProcessingResponse> out,
      Map<String, String> streamMetadata) {
    this.ctx = ctx;
    this.out = out;
    this.streamMetadata = streamMetadata;
    ctx.metrics().streamsActive.inc();
    ctx.metrics().streamsTotal.inc();
  }

  @Override
  public void onNext(ProcessingRequest msg) {
    long t0 = System.nanoTime();
    ProcessingRequest.RequestCase phase = msg.getRequestCase();
    try {
      if (!started) {
        start(msg);
      }
      observability = msg.getObservabilityMode();
      if (finished) {
        return; // after an immediate response Envoy ignores everything; so do we
      }
      switch (msg.getRequestCase()) {
        case REQUEST_HEADERS -> onHeaders(request, msg.getRequestHeaders());
        case RESPONSE_HEADERS -> onHeaders(response, msg.getResponseHeaders());
        case REQUEST_BODY -> onBody(request, msg.getRequestBody());
        case RESPONSE_BODY -> onBody(response, msg.getResponseBody());
        case REQUEST_TRAILERS -> onTrailers(request);
        case RESPONSE_TRAILERS -> onTrailers(response);
        default -> log.debug("ignoring empty ProcessingRequest");
      }
    } catch (RuntimeException e) {
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
    } finally {
      ctx.metrics().phaseLatency(phase).observe((System.nanoTime() - t0) / 1e9);
    }
  }

  private void start(ProcessingRequest msg) {
    started = true;
    if (msg.hasProtocolConfig()) {
      requestMode = msg.getProtocolConfig().getRequestBodyMode();
      responseMode = msg.getProtocolConfig().getResponseBodyMode();
    }
    request.mode = requestMode;
    response.mode = responseMode;
    Pipeline pipeline = ctx.pipeline().get();
    steps = pipeline.select(streamMetadata);
  }

  /**
   * A request id when Envoy sent none: random, not secure (UUID.randomUUID shares one SecureRandom
   * across threads, a contention point on the hot path; ids need not be secret).
   */
  private static String newRequestId() {
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    return new UUID(r.nextLong(), r.nextLong()).toString();
  }

  private String requestId() {
    return exchange == null ? "-" : exchange.requestId();
  }

  /** The exchange, created from whatever came first (request headers may be SKIPped). */
  private Exchange exchange() {
    if (exchange == null) {
      Headers empty = new Headers();
      exchange = new Exchange(newRequestId(), new HttpMessage(empty, null, false), Map.of());
    }
    return exchange;
  }

  // ---------------------------------------------------------------- headers

  private void onHeaders(Side side, HttpHeaders h) {
    Headers headers = EnvoyMessages.headers(h.getHeaders());
    side.original = headers.copy();
    HttpMessage message = new HttpMessage(headers, null, !h.getEndOfStream());
    if (side.dir == Direction.REQUEST) {
      String id = io.payloadprocessor.logging.RequestIds.validOrNull(headers.get("x-request-id"));
      exchange =
          new Exchange(id == null || id.isEmpty() ? newRequestId() : id, message, streamMetadata);
    } else {
      exchange().setResponse(message);
    }
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
    if (!work) {
      side.passThrough = true;
      answerHeaders(side, HeaderMutation.getDefaultInstance(), false, Map.of(), null);
      return;
    }
    if (h.getEndOfStream() || !readsBody) {
      side.passThrough = true;
      runAndAnswerHeaders(side, BodyState.ABSENT);
      return;
    }
    if (side.dir == Direction.RESPONSE
        && allStream
        && side.mode != BodySendMode.NONE
        && "text/event-stream".equals(message.mediaType())) {
      startSse(side);
      return;
    }
    switch (side.mode) {
      case NONE, UNRECOGNIZED -> {
        side.passThrough = true;
        runAndAnswerHeaders(side, BodyState.UNAVAILABLE);
      }
      case FULL_DUPLEX_STREAMED -> {
        side.collect = true;
        side.headersDeferred = true;
      }
      default -> {
        side.collect = true;
        answerHeaders(side, HeaderMutation.getDefaultInstance(), false, Map.of(), null);
      }
    }
  }

  /** Runs the header-only part now (body readers skipped) and answers the headers message. */
  private void runAndAnswerHeaders(Side side, BodyState body) {
    PipelineRunner.Result r = run(side, body);
    if (r instanceof PipelineRunner.Stop stop) {
      immediate(stop);
      return;
    }
    PipelineRunner.Proceed p = (PipelineRunner.Proceed) r;
    answerHeaders(side, diff(side), p.clearRouteCache(), p.metadata(), null);
  }

  private void startSse(Side side) {
    List<Step> streamSteps = new ArrayList<>();
    List<Step> headerSteps = new ArrayList<>();
    for (Step s : steps) {
      if (!s.processor().handlesResponse()) {
        continue;
      }
      (s.processor().readsResponseBody() ? streamSteps : headerSteps).add(s);
    }
    PipelineRunner.Result r = ctx.runner().runResponse(exchange, headerSteps, BodyState.ABSENT);
    if (r instanceof PipelineRunner.Stop stop) {
      immediate(stop);
      return;
    }
    PipelineRunner.Proceed proceed = (PipelineRunner.Proceed) r;
    Map<String, Object> metadata = new java.util.LinkedHashMap<>(proceed.metadata());
    for (Step s : streamSteps) {
      try {
        if (s.processor().onSseHeaders(exchange) instanceof Outcome.Continue c) {
          c.mutation().applyTo(exchange.mutableResponse());
          metadata.putAll(c.mutation().metadata());
        }
      } catch (Exception e) {
        // Only header decoration happens here; the stream itself is still guarded.
        log.warn("processor '{}' failed on the stream's headers: {}", s.name(), e.toString());
      }
    }
    side.sse = new SseRelay(exchange, ctx.metrics(), streamSteps);
    ProcessingMode override = null;
    if (side.mode == BodySendMode.BUFFERED || side.mode == BodySendMode.BUFFERED_PARTIAL) {
      // Envoy takes both body modes from an override; the request is over, so its mode is moot.
      override =
          ProcessingMode.newBuilder()
              .setRequestBodyMode(requestMode)
              .setResponseBodyMode(BodySendMode.STREAMED)
              .build();
    }
    answerHeaders(side, diff(side), false, metadata, override);
  }

  // ---------------------------------------------------------------- body

  private void onBody(Side side, HttpBody b) {
    byte[] chunk = b.getBody().toByteArray();
    boolean eos = b.getEndOfStream();
    if (side.sse != null) {
      sseChunk(side, chunk, eos);
      return;
    }
    if (!side.collect) {
      passBody(side, b);
      return;
    }
    if (side.size() + (long) chunk.length > ctx.maxBodyBytes()) {
      tooLarge(side);
      return;
    }
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
      case BUFFERED -> complete(side, true);
      case BUFFERED_PARTIAL -> {
        if (eos || lengthMatches(side)) {
          complete(side, true);
        } else {
          incomplete(side);
        }
      }
      case STREAMED -> {
        if (eos) {
          complete(side, true);
        } else {
          // Answer at once, unchanged: Envoy holds trailers while any chunk awaits its answer,
          // so holding chunks back would stall a body that ends with trailers.
          sendBody(side, null, null, Map.of());
        }
      }
      case FULL_DUPLEX_STREAMED -> {
        if (eos) {
          complete(side, false);
        }
      }
      default -> complete(side, true);
    }
  }

  private boolean lengthMatches(Side side) {
    String cl = side.original.get("content-length");
    try {
      return cl != null && Long.parseLong(cl.trim()) == side.size();
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private void passBody(Side side, HttpBody b) {
    if (side.mode == BodySendMode.FULL_DUPLEX_STREAMED) {
      // Envoy keeps no copy in FULL_DUPLEX: what we do not send back is lost.
      streamBack(side, b.getBody().toByteArray(), b.getEndOfStream(), Map.of());
    } else {
      sendBody(side, null, null, Map.of());
    }
  }

  private void sseChunk(Side side, byte[] chunk, boolean eos) {
    byte[] processed = side.sse.onChunk(chunk, eos);
    Map<String, Object> md = side.sse.drainMetadata();
    if (side.mode == BodySendMode.FULL_DUPLEX_STREAMED) {
      streamBack(side, processed, eos, md);
      return;
    }
    BodyMutation mutation =
        processed.length == 0
            ? BodyMutation.newBuilder().setClearBody(true).build()
            : BodyMutation.newBuilder().setBody(ByteString.copyFrom(processed)).build();
    sendBody(side, mutation, null, md);
  }

  private void onTrailers(Side side) {
    side.trailersSeen = true;
    if (side.collect && side.sse == null) {
      // The body (if any) is complete: trailers come after the last body chunk.
      complete(side, false);
      if (finished) {
        return;
      }
    }
    ProcessingResponse.Builder r = ProcessingResponse.newBuilder();
    if (side.dir == Direction.REQUEST) {
      r.setRequestTrailers(TrailersResponse.getDefaultInstance());
    } else {
      r.setResponseTrailers(TrailersResponse.getDefaultInstance());
    }
    send(r.build());
  }

  /**
   * The body is complete: run the pipeline and answer. {@code answerBodyMessage} is false for
   * FULL_DUPLEX, where the answer is headers then streamed chunks.
   */
  private void complete(Side side, boolean answerBodyMessage) {
    if (!side.collect) {
      return;
    }
    side.collect = false;
    side.passThrough = true;
    HttpMessage message = message(side);
    byte[] original = side.bytes();
    message.replaceBodyFromWire(original);
    PipelineRunner.Result r = run(side, BodyState.PRESENT);
    if (r instanceof PipelineRunner.Stop stop) {
      immediate(stop);
      return;
    }
    PipelineRunner.Proceed p = (PipelineRunner.Proceed) r;
    byte[] body = message.rawBody();
    boolean bodyChanged = body != original;
    if (side.mode == BodySendMode.FULL_DUPLEX_STREAMED) {
      if (bodyChanged) {
        message.headers().remove("content-length");
      }
      answerHeaders(side, diff(side), p.clearRouteCache(), p.metadata(), null);
      streamBack(side, body, !side.trailersSeen, Map.of());
      return;
    }
    if (side.mode == BodySendMode.STREAMED) {
      // Every chunk already went on unchanged: only a rejection can still take effect.
      if (bodyChanged || !EnvoyMessages.isEmpty(diff(side))) {
        ctx.metrics().droppedMutations.labelValues(side.dir.label()).inc();
        log.debug(
            "{} changes dropped: body mode STREAMED forwards data before the pipeline can run"
                + " (use BUFFERED or FULL_DUPLEX_STREAMED to change bodies or headers)",
            side.dir.label());
      }
      if (answerBodyMessage) {
        sendBody(side, null, null, p.metadata());
      }
      return;
    }
    if (!answerBodyMessage) {
      return;
    }
    BodyMutation bm = null;
    if (bodyChanged) {
      bm =
          body.length == 0
              ? BodyMutation.newBuilder().setClearBody(true).build()
              : BodyMutation.newBuilder().setBody(ByteString.copyFrom(body)).build();
    }
    if (bodyChanged && side.original.contains("content-length")) {
      // With BUFFERED and headers SEND, content-length is ours to keep right (else Envoy 500s).
      message.headers().set("content-length", Integer.toString(body.length));
    }
    HeaderMutation hm = diff(side);
    sendBody(side, bm, hm, p.metadata(), p.clearRouteCache());
  }

  private void incomplete(Side side) {
    side.collect = false;
    int status = side.dir == Direction.REQUEST ? 413 : 500;
    immediate(
        ctx.runner()
            .serverRejection(
                exchange(),
                side.dir,
                Block.of(
                    status,
                    side.dir == Direction.REQUEST
                        ? "request_body_too_large"
                        : "response_body_too_large",
                    "the "
                        + side.dir.label()
                        + " body exceeds Envoy's buffer (BUFFERED_PARTIAL sent only part of it), so"
                        + " it cannot be inspected")));
  }

  private void tooLarge(Side side) {
    side.collect = false;
    ctx.metrics().errors.labelValues("body_too_large").inc();
    boolean req = side.dir == Direction.REQUEST;
    immediate(
        ctx.runner()
            .serverRejection(
                exchange(),
                side.dir,
                Block.of(
                    req ? 413 : 500,
                    req ? "request_body_too_large" : "response_body_too_large",
                    "the "
                        + side.dir.label()
                        + " body exceeds the limit of "
                        + ctx.maxBodyBytes()
                        + " bytes")));
  }

  /**
   * FULL_DUPLEX answer: the bytes in chunks of at most 64 KiB, end_of_stream on the last when
   * {@code eosOnLast}; metadata rides on the first chunk.
   */
  private void streamBack(Side side, byte[] body, boolean eosOnLast, Map<String, Object> md) {
    int off = 0;
    Map<String, Object> metadata = md;
    do {
      int n = Math.min(MAX_STREAMED_CHUNK, body.length - off);
      boolean last = off + n >= body.length;
      CommonResponse cr =
          CommonResponse.newBuilder()
              .setBodyMutation(
                  BodyMutation.newBuilder()
                      .setStreamedResponse(
                          StreamedBodyResponse.newBuilder()
                              .setBody(ByteString.copyFrom(body, off, n))
                              .setEndOfStream(last && eosOnLast)))
              .build();
      send(withMetadata(bodyResponse(side.dir, cr).toBuilder(), metadata).build());
      metadata = Map.of();
      off += n;
    } while (off < body.length);
  }

  // ---------------------------------------------------------------- helpers

  private HttpMessage message(Side side) {
    return side.dir == Direction.REQUEST
        ? exchange().mutableRequest()
        : exchange().mutableResponse();
  }

  private PipelineRunner.Result run(Side side, BodyState body) {
    return side.dir == Direction.REQUEST
        ? ctx.runner().runRequest(exchange(), steps, body)
        : ctx.runner().runResponse(exchange(), steps, body);
  }

  private HeaderMutation diff(Side side) {
    return EnvoyMessages.diff(side.original, message(side).headers());
  }

  private void answerHeaders(
      Side side,
      HeaderMutation hm,
      boolean clearRouteCache,
      Map<String, Object> metadata,
      ProcessingMode override) {
    side.headersDeferred = false;
    CommonResponse.Builder cr = CommonResponse.newBuilder();
    if (!EnvoyMessages.isEmpty(hm)) {
      cr.setHeaderMutation(hm);
      // Envoy honours clear_route_cache only on the request side with a header mutation.
      cr.setClearRouteCache(clearRouteCache && side.dir == Direction.REQUEST);
    }
    HeadersResponse h = HeadersResponse.newBuilder().setResponse(cr).build();
    ProcessingResponse.Builder r = ProcessingResponse.newBuilder();
    if (side.dir == Direction.REQUEST) {
      r.setRequestHeaders(h);
    } else {
      r.setResponseHeaders(h);
    }
    if (override != null) {
      r.setModeOverride(override);
    }
    send(withMetadata(r, metadata).build());
  }

  private void sendBody(Side side, BodyMutation bm, HeaderMutation hm, Map<String, Object> md) {
    sendBody(side, bm, hm, md, false);
  }

  private void sendBody(
      Side side,
      BodyMutation bm,
      HeaderMutation hm,
      Map<String, Object> md,
      boolean clearRouteCache) {
    CommonResponse.Builder cr = CommonResponse.newBuilder();
    if (bm != null) {
      cr.setBodyMutation(bm);
    }
    if (hm != null && !EnvoyMessages.isEmpty(hm)) {
      cr.setHeaderMutation(hm);
      cr.setClearRouteCache(clearRouteCache && side.dir == Direction.REQUEST);
    }
    send(withMetadata(bodyResponse(side.dir, cr.build()).toBuilder(), md).build());
  }

  private static ProcessingResponse bodyResponse(Direction dir, CommonResponse cr) {
    BodyResponse b = BodyResponse.newBuilder().setResponse(cr).build();
    ProcessingResponse.Builder r = ProcessingResponse.newBuilder();
    if (dir == Direction.REQUEST) {
      r.setRequestBody(b);
    } else {
      r.setResponseBody(b);
    }
    return r.build();
  }

  private static ProcessingResponse.Builder withMetadata(
      ProcessingResponse.Builder r, Map<String, Object> md) {
    if (!md.isEmpty()) {
      r.setDynamicMetadata(
          EnvoyMessages.struct(
              Map.of(Rejections.METADATA_NAMESPACE, EnvoyMessages.value(md).getStructValue())));
    }
    return r;
  }

  private void immediate(PipelineRunner.Stop stop) {
    finished = true;
    String details =
        stop.rejection() == null
            ? "payload_processor_response"
            : "payload_processor_" + stop.rejection().getReason();
    ProcessingResponse.Builder r =
        ProcessingResponse.newBuilder()
            .setImmediateResponse(
                EnvoyMessages.immediate(stop.status(), stop.headers(), stop.body(), details));
    send(withMetadata(r, stop.metadata()).build());
  }

  private void send(ProcessingResponse r) {
    if (observability) {
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
      log.warn("ext_proc stream ended with {} (request {})", s, requestId());
    }
    close();
  }

  @Override
  public void onCompleted() {
    // Envoy's graceful close (and load drivers such as h2load) half-close and wait for OK.
    close();
    try {
      out.onCompleted();
    } catch (RuntimeException e) {
      log.debug("stream already closed", e);
    }
  }

  private boolean closed;

  private void close() {
    if (!closed) {
      closed = true;
      ctx.metrics().streamsActive.dec();
      log.debug("exchange {} done in {} us", requestId(), (System.nanoTime() - startNanos) / 1000);
    }
  }
}
