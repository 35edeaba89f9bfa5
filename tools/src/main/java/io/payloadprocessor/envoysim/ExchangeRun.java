package io.payloadprocessor.envoysim;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.grpc.Channel;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated HTTP exchange through Envoy's ext_proc filter. Single-threaded like Envoy's worker:
 * gRPC callbacks only enqueue events; this class's loop (on the caller's thread) handles them, the
 * message timers and the arrival of body pieces, and mirrors Envoy v1.34 rule by rule (see the
 * shared reference). The parts follow Envoy's sources: this class is the filter ({@code
 * ext_proc.cc}); {@link ProcessorState} is one direction's state ({@code processor_state.cc});
 * {@link ExtProcClientStream} is the gRPC stream ({@code client_impl.cc}); {@link EnvoyDebugLog} is
 * what the debug log would show.
 */
final class ExchangeRun {
  private final EnvoyFilterConfig config;
  private final HttpRequest request;
  private final Upstream upstream;
  private final ClientBehaviour behaviour;
  private final MutationRules rules;
  private final MutationRules immediateRules;
  private final EnvoyDebugLog trace;
  private final long startNanos = System.nanoTime();

  private final ProcessorState req;
  private ProcessorState resp;

  private final ExtProcClientStream client;
  private boolean processingComplete;

  private boolean done;
  private boolean upstreamReached;
  private ForwardedMessage upstreamRequest;
  private boolean resetAfterResponseHeaders;
  private boolean clientDisconnected;
  private boolean localReply;
  private String details = "via_upstream";
  private List<Header> localReplyHeaders;
  private byte[] localReplyBody;
  private int requestChunksSent;

  private final Map<String, Struct> emittedMetadata = new LinkedHashMap<>();
  private final Map<String, Struct> appliedMetadata = new LinkedHashMap<>();
  private final AtomicLong rejectedMutations = new AtomicLong();
  private long spurious;
  private long timeouts;

  ExchangeRun(
      Channel channel,
      EnvoyFilterConfig config,
      HttpRequest request,
      Upstream upstream,
      ClientBehaviour behaviour,
      boolean tracing) {
    this.trace = new EnvoyDebugLog(tracing, startNanos);
    this.client = new ExtProcClientStream(channel, config, trace);
    this.config = config;
    this.request = request;
    this.upstream = upstream;
    this.behaviour = behaviour;
    this.rules = MutationRules.forFilter(config);
    this.immediateRules = MutationRules.forImmediateResponse(config);
    this.req = new ProcessorState(config, true, behaviour.requestBodyArrival());
  }

  HttpOutcome run() {
    long routeDeadline = startNanos + config.routeTimeout().toNanos();
    List<byte[]> chunks = request.chunks();
    for (int i = 0; i < chunks.size(); i++) {
      boolean last = i == chunks.size() - 1;
      req.inputs.add(
          new ProcessorState.DataInput(chunks.get(i), last && request.trailers() == null));
    }
    if (request.trailers() != null) {
      req.inputs.add(new ProcessorState.TrailersInput(request.trailers()));
    }
    try {
      onHeaders(
          req,
          connectionManagerHeaders(request.headers()),
          request.body() == null && request.trailers() == null);
      if (behaviour.disconnectAfterRequestChunks() == 0) {
        clientDisconnect();
      }
      while (!done) {
        if (pumpInputs()) {
          continue;
        }
        long now = System.nanoTime();
        long next = routeDeadline;
        for (ProcessorState d : dirs()) {
          if (d.timerDeadline != 0) {
            next = Math.min(next, d.timerDeadline);
          }
        }
        ExtProcClientStream.Event ev;
        try {
          ev = client.poll(Math.max(0, next - now));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          trace.note("interrupted");
          break;
        }
        if (ev != null) {
          handle(ev);
        }
        fireExpiredTimers(routeDeadline);
      }
    } finally {
      client.finish();
    }
    return outcome();
  }

  /**
   * What the HTTP connection manager adds before any filter runs: {@code x-forwarded-proto} (the
   * scheme) and {@code x-request-id} (a UUID) when absent.
   */
  private static List<Header> connectionManagerHeaders(List<Header> headers) {
    HeaderList h = new HeaderList(headers);
    if (!h.contains("x-forwarded-proto")) {
      String scheme = h.first(":scheme");
      h.add("x-forwarded-proto", (scheme == null ? "http" : scheme).getBytes(US_ASCII));
    }
    if (!h.contains("x-request-id")) {
      h.add("x-request-id", java.util.UUID.randomUUID().toString().getBytes(US_ASCII));
    }
    return h.snapshot();
  }

  /** Fires expired message timers, then the route timeout; checked after every event. */
  private void fireExpiredTimers(long routeDeadline) {
    long now = System.nanoTime();
    for (ProcessorState d : dirs()) {
      if (!done && d.timerDeadline != 0 && now - d.timerDeadline >= 0) {
        d.timerDeadline = 0;
        onMessageTimeout(d);
      }
    }
    if (!done && now - routeDeadline >= 0) {
      trace.note("route timeout (" + config.routeTimeout().toMillis() + " ms) reached");
      processingComplete = true;
      sendLocalReply(504, "upstream request timeout".getBytes(US_ASCII), null, "route_timeout");
    }
  }

  private static final java.nio.charset.Charset US_ASCII =
      java.nio.charset.StandardCharsets.US_ASCII;

  private List<ProcessorState> dirs() {
    return resp == null ? List.of(req) : List.of(req, resp);
  }

  // ---------------------------------------------------------------- inputs (body pacing)

  /** Delivers the body pieces and trailers that may arrive now; returns true if any did. */
  private boolean pumpInputs() {
    boolean progressed = false;
    for (ProcessorState d : dirs()) {
      while (!done && !d.inputs.isEmpty() && mayArrive(d)) {
        ProcessorState.Input in = d.inputs.poll();
        progressed = true;
        if (in instanceof ProcessorState.DataInput data) {
          onData(d, data.data(), data.endStream());
          if (d.request) {
            requestChunksSent++;
            if (requestChunksSent == behaviour.disconnectAfterRequestChunks() && !done) {
              clientDisconnect();
            }
          }
        } else if (in instanceof ProcessorState.TrailersInput t) {
          onTrailers(d, t.trailers());
        }
      }
    }
    if (!done && req.outEnded && !upstreamReached) {
      callUpstream();
      progressed = true;
    }
    return progressed;
  }

  private boolean mayArrive(ProcessorState d) {
    if (d.arrival == ClientBehaviour.BodyArrival.BEFORE_HEADERS_RESPONSE) {
      return true;
    }
    return !d.awaitingHeaders
        || processingComplete
        || config.observabilityMode()
        || d.sendsBodyWithoutWaiting();
  }

  private void clientDisconnect() {
    trace.note("downstream client disconnected");
    clientDisconnected = true;
    details = "downstream_remote_disconnect";
    done = true;
  }

  private void callUpstream() {
    upstreamReached = true;
    upstreamRequest = new ForwardedMessage(req.outHeaders, req.outBody, req.outTrailers);
    trace.note("upstream received the request");
    UpstreamResponse r = upstream.respond(upstreamRequest);
    resp = new ProcessorState(config, false, behaviour.responseBodyArrival());
    List<byte[]> chunks = r.chunks();
    for (int i = 0; i < chunks.size(); i++) {
      boolean last = i == chunks.size() - 1;
      resp.inputs.add(new ProcessorState.DataInput(chunks.get(i), last && r.trailers() == null));
    }
    if (r.trailers() != null) {
      resp.inputs.add(new ProcessorState.TrailersInput(r.trailers()));
    }
    ProcessingMode o = pendingResponseOverride;
    if (o != null) {
      applyMode(
          resp, o.getResponseHeaderMode(), o.getResponseBodyMode(), o.getResponseTrailerMode());
    }
    onHeaders(resp, r.headers(), r.body() == null && r.trailers() == null);
  }

  // ---------------------------------------------------------------- filter callbacks

  /** Filter::decodeHeaders / encodeHeaders. */
  private void onHeaders(ProcessorState d, List<Header> headers, boolean endStream) {
    d.headers = new HeaderList(headers);
    d.noBody = endStream;
    if (config.observabilityMode()) {
      if (d.sendHeaders && openStream()) {
        client.send(headersRequest(d, endStream));
      }
      continueHeaders(d);
      return;
    }
    if (endStream) {
      d.completeBodyAvailable = true;
    }
    boolean stopped = false;
    if (d.sendHeaders && openStream()) {
      client.send(headersRequest(d, endStream));
      d.awaitingHeaders = true;
      d.startTimer();
      stopped = true;
    }
    if (!processingComplete && d.shouldRemoveContentLength()) {
      d.headers.remove("content-length");
    }
    if (!stopped) {
      continueHeaders(d);
    }
  }

  /** Filter::onData. */
  private void onData(ProcessorState d, byte[] data, boolean endStream) {
    if (endStream) {
      d.dataEndStreamSeen = true;
    }
    if (config.observabilityMode()) {
      if (d.bodyMode == BodySendMode.STREAMED && openStream()) {
        client.send(bodyRequest(d, data, endStream));
      }
      forwardData(d, data, endStream);
      return;
    }
    if (endStream) {
      d.completeBodyAvailable = true;
    }
    if (d.bodyReplaced) {
      forwardData(d, new byte[0], endStream);
      return;
    }
    if (processingComplete) {
      forwardData(d, data, endStream);
      return;
    }
    if (d.awaitingHeaders && !d.sendsBodyWithoutWaiting()) {
      // Header processing still in progress: hold the data (watermark, never 413 here).
      appendBuffered(d, data);
      return;
    }
    switch (d.bodyMode) {
      case BUFFERED -> {
        appendBuffered(d, data);
        if (overLimit(d)) {
          return;
        }
        if (endStream && openStream()) {
          sendBufferedBody(d, true);
        }
      }
      case STREAMED -> {
        if (openStream()) {
          sendStreamedChunk(d, data, endStream);
        } else {
          forwardData(d, data, endStream);
        }
      }
      case BUFFERED_PARTIAL -> {
        if (d.partialBodyProcessed) {
          forwardData(d, data, endStream);
        } else if (d.awaitingPartialBody) {
          d.partialQueue.add(new ProcessorState.Chunk(data, endStream));
        } else {
          d.partialQueue.add(new ProcessorState.Chunk(data, endStream));
          if ((endStream || queueBytes(d) >= config.bufferLimitBytes()) && openStream()) {
            sendPartialBody(d);
          }
        }
      }
      case FULL_DUPLEX_STREAMED -> {
        if (openStream()) {
          // Envoy keeps no copy in full-duplex mode.
          client.send(bodyRequest(d, data, endStream));
        } else {
          forwardData(d, data, endStream);
        }
      }
      default -> forwardData(d, data, endStream);
    }
  }

  /** Filter::onTrailers. */
  private void onTrailers(ProcessorState d, List<Header> trailers) {
    d.trailers = new HeaderList(trailers);
    if (processingComplete) {
      d.trailersAvailable = true;
      forwardTrailers(d);
      return;
    }
    if (config.observabilityMode()) {
      if (d.sendTrailers && openStream()) {
        client.send(trailersRequest(d));
      }
      d.trailersAvailable = true;
      forwardTrailers(d);
      return;
    }
    boolean bodyDelivered = d.completeBodyAvailable;
    d.completeBodyAvailable = true;
    d.trailersAvailable = true;
    if (d.bodyMode == BodySendMode.FULL_DUPLEX_STREAMED && !d.bodyReplaced && d.sendTrailers) {
      if (openStream()) {
        client.send(trailersRequest(d));
        d.awaitingTrailers = true;
      } else {
        forwardTrailers(d);
      }
      return;
    }
    if (d.anyCallOutstanding()) {
      return; // held until the outstanding call completes
    }
    if (!bodyDelivered
        && ((d.buffered != null && d.bodyMode == BodySendMode.BUFFERED)
            || (!d.partialQueue.isEmpty() && d.bodyMode == BodySendMode.BUFFERED_PARTIAL))) {
      if (!openStream()) {
        resume(d);
        return;
      }
      if (d.bodyMode == BodySendMode.BUFFERED) {
        if (overLimit(d)) {
          return;
        }
        sendBufferedBody(d, false);
      } else {
        sendPartialBody(d);
      }
      return;
    }
    if (!d.sendTrailers || !openStream()) {
      resume(d);
      return;
    }
    client.send(trailersRequest(d));
    d.awaitingTrailers = true;
    d.startTimer();
  }

  // ---------------------------------------------------------------- sending

  private void sendBufferedBody(ProcessorState d, boolean endStream) {
    byte[] body = d.buffered == null ? new byte[0] : d.buffered.toByteArray();
    client.send(bodyRequest(d, body, endStream));
    d.awaitingBufferedBody = true;
    d.startTimer();
  }

  private void sendStreamedChunk(ProcessorState d, byte[] data, boolean endStream) {
    client.send(bodyRequest(d, data, endStream));
    d.queue.add(new ProcessorState.Chunk(data, endStream));
    d.startTimer();
  }

  private void sendPartialBody(ProcessorState d) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    boolean end = false;
    for (ProcessorState.Chunk c : d.partialQueue) {
      all.writeBytes(c.data());
      end = c.endStream();
    }
    d.partialChunksSent = d.partialQueue.size();
    client.send(bodyRequest(d, all.toByteArray(), end));
    d.awaitingPartialBody = true;
    d.startTimer();
  }

  private ProcessingRequest.Builder base(boolean observability) {
    ProcessingRequest.Builder b = ProcessingRequest.newBuilder();
    b.setMetadataContext(Metadata.getDefaultInstance());
    if (observability) {
      b.setObservabilityMode(true);
    }
    return b;
  }

  private ProcessingRequest.Builder headersRequest(ProcessorState d, boolean endStream) {
    HttpHeaders h =
        HttpHeaders.newBuilder()
            .setHeaders(toProto(d.headers.snapshot()))
            .setEndOfStream(endStream)
            .build();
    ProcessingRequest.Builder b = base(config.observabilityMode());
    return d.request ? b.setRequestHeaders(h) : b.setResponseHeaders(h);
  }

  private ProcessingRequest.Builder bodyRequest(ProcessorState d, byte[] data, boolean endStream) {
    HttpBody body =
        HttpBody.newBuilder().setBody(ByteString.copyFrom(data)).setEndOfStream(endStream).build();
    ProcessingRequest.Builder b = base(config.observabilityMode());
    return d.request ? b.setRequestBody(body) : b.setResponseBody(body);
  }

  private ProcessingRequest.Builder trailersRequest(ProcessorState d) {
    HttpTrailers t = HttpTrailers.newBuilder().setTrailers(toProto(d.trailers.snapshot())).build();
    ProcessingRequest.Builder b = base(config.observabilityMode());
    return d.request ? b.setRequestTrailers(t) : b.setResponseTrailers(t);
  }

  private static HeaderMap toProto(List<Header> headers) {
    HeaderMap.Builder b = HeaderMap.newBuilder();
    for (Header h : headers) {
      // Values only in raw_value; `value` left empty, as Envoy does.
      b.addHeaders(
          HeaderValue.newBuilder()
              .setKey(h.name())
              .setRawValue(ByteString.copyFrom(h.rawValueUnsafe())));
    }
    return b.build();
  }

  /** Opens the stream lazily; false when processing is complete (continue without it). */
  private boolean openStream() {
    if (processingComplete) {
      return false;
    }
    client.open();
    return true;
  }

  // ---------------------------------------------------------------- timers

  private void onMessageTimeout(ProcessorState d) {
    timeouts++;
    trace.note(
        "message timeout on " + d.name() + " (" + config.messageTimeout().toMillis() + " ms)");
    processingComplete = true;
    client.close();
    if (config.failureModeAllow()) {
      clearAsyncState();
    } else {
      sendLocalReply(504, null, null, "ext_proc_error_per-message_timeout_exceeded");
    }
  }

  // ---------------------------------------------------------------- events

  private void handle(ExtProcClientStream.Event ev) {
    if (ev instanceof ExtProcClientStream.GrpcMessage m) {
      onReceiveMessage(m.response());
    } else if (ev instanceof ExtProcClientStream.GrpcError e) {
      onGrpcError(e.status());
    } else {
      client.closedWith("OK");
      trace.note("<- server closed the stream with OK");
      onGrpcClose();
    }
  }

  private void onGrpcError(Status status) {
    if (client.isClosed()) {
      return; // our own cancel, or after Envoy dropped the stream
    }
    client.closedWith(status.getCode().name());
    trace.note("<- gRPC error " + status.getCode() + " " + status.getDescription());
    if (processingComplete || config.observabilityMode()) {
      return;
    }
    if (config.failureModeAllow()) {
      onGrpcClose();
      return;
    }
    processingComplete = true;
    client.close();
    String msg = status.getDescription() == null ? "" : status.getDescription();
    sendLocalReply(
        500,
        null,
        null,
        ("ext_proc_error_gRPC_error_" + status.getCode().value() + "{" + msg + "}")
            .replaceAll("\\s", "_"));
  }

  private void onGrpcClose() {
    if (processingComplete) {
      client.close();
      return;
    }
    processingComplete = true;
    client.close();
    clearAsyncState();
  }

  /** Releases whatever each direction holds, unmodified (ProcessorState::clearAsyncState). */
  private void clearAsyncState() {
    for (ProcessorState d : dirs()) {
      d.awaitingHeaders = false;
      d.awaitingBufferedBody = false;
      d.awaitingPartialBody = false;
      d.awaitingTrailers = false;
      d.timerDeadline = 0;
      if (done) {
        return;
      }
      resume(d);
    }
  }

  private void onReceiveMessage(ProcessingResponse r) {
    if (client.isClosed()) {
      if (trace.enabled()) {
        trace.note("<- (ignored, stream closed) " + EnvoyDebugLog.summarize(r));
      }
      return;
    }
    if (trace.enabled()) {
      trace.note("<- " + EnvoyDebugLog.summarize(r));
    }
    if (config.observabilityMode()) {
      return; // every response ignored
    }
    if (processingComplete) {
      return;
    }
    if (r.hasOverrideMessageTimeout()) {
      onNewTimeout(r.getOverrideMessageTimeout());
      return;
    }
    maybeOverrideMode(r);
    ProcessorState target;
    switch (r.getResponseCase()) {
      case REQUEST_HEADERS, REQUEST_BODY, REQUEST_TRAILERS -> target = req;
      case RESPONSE_HEADERS, RESPONSE_BODY, RESPONSE_TRAILERS -> target = resp;
      case IMMEDIATE_RESPONSE -> {
        applyMetadata(r);
        processingComplete = true;
        client.close();
        ImmediateResponse ir = r.getImmediateResponse();
        int code = ir.hasStatus() ? ir.getStatus().getCodeValue() : 200;
        if (code < 200) {
          code = 200;
        }
        sendLocalReply(
            code,
            ir.getBody().toByteArray(),
            ir.hasHeaders() ? ir.getHeaders() : null,
            ir.getDetails().replaceAll("\\s", "_"));
        return;
      }
      default -> {
        spurious("no response oneof set");
        return;
      }
    }
    applyMetadata(r);
    if (target == null) {
      spurious("response-direction message before the response started");
      return;
    }
    try {
      boolean ok =
          switch (r.getResponseCase()) {
            case REQUEST_HEADERS, RESPONSE_HEADERS ->
                handleHeadersResponse(
                    target,
                    r.getResponseCase() == ProcessingResponse.ResponseCase.REQUEST_HEADERS
                        ? r.getRequestHeaders()
                        : r.getResponseHeaders());
            case REQUEST_BODY, RESPONSE_BODY ->
                handleBodyResponse(
                    target,
                    r.getResponseCase() == ProcessingResponse.ResponseCase.REQUEST_BODY
                        ? r.getRequestBody()
                        : r.getResponseBody());
            default ->
                handleTrailersResponse(
                    target,
                    r.getResponseCase() == ProcessingResponse.ResponseCase.REQUEST_TRAILERS
                        ? r.getRequestTrailers()
                        : r.getResponseTrailers());
          };
      if (!ok) {
        spurious(r.getResponseCase() + " while " + target.name() + " did not expect it");
      }
    } catch (MutationRules.MutationFailure e) {
      trace.note("processing error: " + e.getMessage());
      processingComplete = true;
      client.close();
      sendLocalReply(500, null, null, e.getMessage().replaceAll("\\s", "_"));
    }
  }

  private void spurious(String why) {
    spurious++;
    trace.note("spurious message (" + why + "): processing abandoned, continuing unmodified");
    client.close();
    processingComplete = true;
    clearAsyncState();
  }

  private void onNewTimeout(com.google.protobuf.Duration d) {
    long ms = d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
    if (ms < 1 || ms > config.maxMessageTimeout().toMillis()) {
      trace.note(
          "override_message_timeout "
              + ms
              + " ms ignored (max "
              + config.maxMessageTimeout().toMillis()
              + " ms)");
      return;
    }
    boolean restarted = false;
    for (ProcessorState dir : dirs()) {
      if (dir.timerDeadline != 0 && !dir.newTimeoutReceived) {
        dir.timerDeadline = System.nanoTime() + ms * 1_000_000;
        dir.newTimeoutReceived = true;
        restarted = true;
      }
    }
    trace.note(
        restarted
            ? "message timer restarted with " + ms + " ms"
            : "override_message_timeout ignored");
  }

  private void maybeOverrideMode(ProcessingResponse r) {
    if (!r.hasModeOverride()
        || !config.allowModeOverride()
        || config.sendBodyWithoutWaitingForHeaderResponse()
        || !(req.awaitingHeaders || (resp != null && resp.awaitingHeaders))) {
      if (r.hasModeOverride()) {
        trace.note("mode_override ignored");
      }
      return;
    }
    ProcessingMode o = r.getModeOverride();
    ProcessingMode base = config.processingMode();
    if (base.getRequestBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED
        || base.getResponseBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED
        || o.getRequestBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED
        || o.getResponseBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED) {
      trace.note("mode_override ignored (FULL_DUPLEX_STREAMED)");
      return;
    }
    if (!config.allowedOverrideModes().isEmpty()
        && config.allowedOverrideModes().stream().noneMatch(a -> sameIgnoringRequestHeader(a, o))) {
      trace.note("mode_override not in allowed_override_modes: dropped");
      return;
    }
    trace.note("mode_override applied");
    applyMode(req, o.getRequestHeaderMode(), o.getRequestBodyMode(), o.getRequestTrailerMode());
    if (resp != null) {
      applyMode(
          resp, o.getResponseHeaderMode(), o.getResponseBodyMode(), o.getResponseTrailerMode());
    } else {
      pendingResponseOverride = o;
    }
  }

  private ProcessingMode pendingResponseOverride;

  private static boolean sameIgnoringRequestHeader(ProcessingMode a, ProcessingMode b) {
    return a.getRequestBodyMode() == b.getRequestBodyMode()
        && a.getRequestTrailerMode() == b.getRequestTrailerMode()
        && a.getResponseHeaderMode() == b.getResponseHeaderMode()
        && a.getResponseBodyMode() == b.getResponseBodyMode()
        && a.getResponseTrailerMode() == b.getResponseTrailerMode();
  }

  private static void applyMode(
      ProcessorState d, HeaderSendMode headers, BodySendMode body, HeaderSendMode trailers) {
    if (headers != HeaderSendMode.DEFAULT) {
      d.sendHeaders = headers != HeaderSendMode.SKIP;
    }
    if (trailers != HeaderSendMode.DEFAULT) {
      d.sendTrailers = trailers == HeaderSendMode.SEND;
    }
    d.bodyMode = body;
  }

  private void applyMetadata(ProcessingResponse r) {
    if (!r.hasDynamicMetadata()) {
      return;
    }
    for (Map.Entry<String, Value> e : r.getDynamicMetadata().getFieldsMap().entrySet()) {
      if (!e.getValue().hasStructValue()) {
        continue; // values must be structs
      }
      Struct s = e.getValue().getStructValue();
      emittedMetadata.merge(
          e.getKey(), s, (a, b) -> a.toBuilder().putAllFields(b.getFieldsMap()).build());
      if (config.receivingNamespaces().contains(e.getKey())) {
        appliedMetadata.merge(
            e.getKey(), s, (a, b) -> a.toBuilder().putAllFields(b.getFieldsMap()).build());
      }
    }
  }

  // ---------------------------------------------------------------- response handling

  /** ProcessorState::handleHeadersResponse; false if spurious. */
  private boolean handleHeadersResponse(ProcessorState d, HeadersResponse hr)
      throws MutationRules.MutationFailure {
    if (!d.awaitingHeaders) {
      return false;
    }
    CommonResponse common = hr.getResponse();
    boolean replace = common.getStatus() == CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE;
    if (common.hasHeaderMutation()) {
      rules.apply(common.getHeaderMutation(), d.headers, replace, rejectedMutations);
    }
    d.awaitingHeaders = false;
    d.finishCall();
    if (replace) {
      if (common.hasBodyMutation()) {
        d.headers.remove("content-length");
        d.bodyReplaced = true;
        byte[] old = d.buffered == null ? new byte[0] : d.buffered.toByteArray();
        byte[] replaced = applyBodyMutation(common.getBodyMutation(), old);
        d.buffered = null;
        if (replaced.length > 0 || old.length > 0) {
          d.buffered = new ByteArrayOutputStream();
          d.buffered.writeBytes(replaced);
        }
        if (d.noBody && replaced.length > 0) {
          // A body added to a headers-only message: the headers no longer end the stream.
          d.noBody = false;
          d.dataEndStreamSeen = true;
        }
      }
      d.queue.clear();
      d.partialQueue.clear();
      d.bodyMode = BodySendMode.NONE;
      d.sendTrailers = false;
      resume(d);
      return true;
    }
    if (d.noBody) {
      resume(d);
      return true;
    }
    if (d.bodyMode == BodySendMode.FULL_DUPLEX_STREAMED) {
      d.duplexHeadersAnswered = true;
      continueHeaders(d);
      return true;
    }
    if (d.completeBodyAvailable && d.bodyMode != BodySendMode.NONE) {
      if (!d.bodyCallOutstanding()) {
        if (d.buffered != null) {
          if (d.bodyMode == BodySendMode.BUFFERED && overLimit(d)) {
            return true;
          }
          // The whole body arrived before the headers response: one message, whatever the mode.
          sendBufferedBody(d, true);
        } else if (d.trailersAvailable && d.sendTrailers) {
          client.send(trailersRequest(d));
          d.awaitingTrailers = true;
          d.startTimer();
        } else {
          resume(d);
        }
      }
      return true;
    }
    switch (d.bodyMode) {
      case BUFFERED -> {
        return true; // headers held until the body response
      }
      case STREAMED -> {
        if (d.buffered != null) {
          byte[] held = d.buffered.toByteArray();
          d.buffered = null;
          sendStreamedChunk(d, held, false);
        }
        continueHeaders(d);
        return true;
      }
      case BUFFERED_PARTIAL -> {
        if (d.buffered != null) {
          d.partialQueue.add(new ProcessorState.Chunk(d.buffered.toByteArray(), false));
          d.buffered = null;
          if (queueBytes(d) >= config.bufferLimitBytes()) {
            sendPartialBody(d);
          }
        }
        return true;
      }
      default -> {
        // NONE
      }
    }
    if (d.sendTrailers && d.trailersAvailable) {
      client.send(trailersRequest(d));
      d.awaitingTrailers = true;
      d.startTimer();
      return true;
    }
    resume(d);
    return true;
  }

  /** ProcessorState::handleBodyResponse; false if spurious. */
  private boolean handleBodyResponse(ProcessorState d, BodyResponse br)
      throws MutationRules.MutationFailure {
    CommonResponse common = br.getResponse();
    if (d.bodyMode == BodySendMode.FULL_DUPLEX_STREAMED && !d.bodyReplaced) {
      if (!d.duplexHeadersAnswered && d.sendHeaders) {
        return false;
      }
      if (common.hasBodyMutation()) {
        BodyMutation bm = common.getBodyMutation();
        if (!bm.hasStreamedResponse()) {
          return false;
        }
        forwardData(
            d,
            bm.getStreamedResponse().getBody().toByteArray(),
            bm.getStreamedResponse().getEndOfStream() && !d.trailersAvailable);
      }
      return true;
    }
    if (d.awaitingHeaders) {
      return false;
    }
    if (d.awaitingBufferedBody) {
      if (common.hasHeaderMutation() && !d.headersForwarded) {
        rules.apply(common.getHeaderMutation(), d.headers, false, rejectedMutations);
      }
      if (common.hasBodyMutation()) {
        String cl = d.headersForwarded ? null : d.headers.first("content-length");
        byte[] newBody =
            applyBodyMutation(
                common.getBodyMutation(),
                d.buffered == null ? new byte[0] : d.buffered.toByteArray());
        if (cl != null) {
          try {
            long declared = Long.parseLong(cl.trim());
            long mutated = common.getBodyMutation().getBody().size();
            if (declared != mutated) {
              throw new MutationRules.MutationFailure(
                  "mismatch between content length and the length of the mutated body");
            }
          } catch (NumberFormatException e) {
            // not a number: Envoy skips the check
          }
        }
        d.buffered = new ByteArrayOutputStream();
        d.buffered.writeBytes(newBody);
      }
      d.awaitingBufferedBody = false;
      d.finishCall();
      afterBodyCall(d);
      return true;
    }
    if (d.awaitingPartialBody) {
      if (common.hasHeaderMutation() && !d.headersForwarded) {
        rules.apply(common.getHeaderMutation(), d.headers, false, rejectedMutations);
      }
      ByteArrayOutputStream sent = new ByteArrayOutputStream();
      boolean end = false;
      for (int i = 0; i < d.partialChunksSent; i++) {
        ProcessorState.Chunk c = d.partialQueue.poll();
        sent.writeBytes(c.data());
        end = c.endStream();
      }
      byte[] out = sent.toByteArray();
      if (common.hasBodyMutation()) {
        out = applyBodyMutation(common.getBodyMutation(), out);
      }
      d.awaitingPartialBody = false;
      d.partialBodyProcessed = true;
      d.finishCall();
      continueHeaders(d);
      forwardData(d, out, end);
      while (!d.partialQueue.isEmpty()) {
        ProcessorState.Chunk c = d.partialQueue.poll();
        forwardData(d, c.data(), c.endStream());
      }
      afterBodyCall(d);
      return true;
    }
    if (!d.queue.isEmpty()) {
      // STREAMED: FIFO, one response per chunk; header_mutation ignored.
      ProcessorState.Chunk c = d.queue.poll();
      byte[] out = c.data();
      if (common.hasBodyMutation()) {
        out = applyBodyMutation(common.getBodyMutation(), out);
      }
      d.finishCall();
      forwardData(d, out, c.endStream());
      if (d.queue.isEmpty()) {
        afterBodyCall(d);
      }
      return true;
    }
    return false;
  }

  /** After the last outstanding body call: send held trailers, or release everything. */
  private void afterBodyCall(ProcessorState d) {
    if (d.sendTrailers && d.trailersAvailable && !d.awaitingTrailers && openStream()) {
      client.send(trailersRequest(d));
      d.awaitingTrailers = true;
      d.startTimer();
      return;
    }
    resume(d);
  }

  private boolean handleTrailersResponse(ProcessorState d, TrailersResponse tr)
      throws MutationRules.MutationFailure {
    if (!d.awaitingTrailers) {
      return false;
    }
    if (tr.hasHeaderMutation()) {
      rules.apply(tr.getHeaderMutation(), d.trailers, false, rejectedMutations);
    }
    d.awaitingTrailers = false;
    d.finishCall();
    resume(d);
    return true;
  }

  private static byte[] applyBodyMutation(BodyMutation m, byte[] current) {
    return switch (m.getMutationCase()) {
      case BODY -> m.getBody().toByteArray();
      case CLEAR_BODY -> m.getClearBody() ? new byte[0] : current;
      default -> current;
    };
  }

  // ---------------------------------------------------------------- forwarding

  private void appendBuffered(ProcessorState d, byte[] data) {
    if (d.buffered == null) {
      d.buffered = new ByteArrayOutputStream();
    }
    d.buffered.writeBytes(data);
  }

  private long queueBytes(ProcessorState d) {
    long n = 0;
    for (ProcessorState.Chunk c : d.partialQueue) {
      n += c.data().length;
    }
    return n;
  }

  /** BUFFERED body over the buffer limit: 413 on requests, 500 on responses. */
  private boolean overLimit(ProcessorState d) {
    if (d.buffered == null || d.buffered.size() <= config.bufferLimitBytes()) {
      return false;
    }
    trace.note(d.name() + " body over the buffer limit (" + config.bufferLimitBytes() + " bytes)");
    if (d.request) {
      sendLocalReply(
          413, "Payload Too Large".getBytes(US_ASCII), null, "request_payload_too_large");
    } else {
      sendLocalReply(
          500, "Internal Server Error".getBytes(US_ASCII), null, "response_payload_too_large");
    }
    return true;
  }

  /** Releases held headers, body and trailers of d (nothing outstanding any more). */
  private void resume(ProcessorState d) {
    if (done || (d.anyCallOutstanding() && !processingComplete)) {
      return;
    }
    continueHeaders(d);
    for (Deque<ProcessorState.Chunk> q : List.of(d.queue, d.partialQueue)) {
      if (!q.isEmpty()) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        boolean end = false;
        for (ProcessorState.Chunk c : q) {
          all.writeBytes(c.data());
          end = c.endStream();
        }
        q.clear();
        forwardData(d, all.toByteArray(), end);
      }
    }
    if (d.buffered != null) {
      byte[] b = d.buffered.toByteArray();
      d.buffered = null;
      forwardData(d, b, d.dataEndStreamSeen && !d.trailersAvailable);
    } else if (d.dataEndStreamSeen
        && !d.outEnded
        && !d.trailersAvailable
        && d.bodyMode == BodySendMode.FULL_DUPLEX_STREAMED
        && processingComplete) {
      // Full-duplex data sent to a server that went away is lost; end the stream.
      forwardData(d, new byte[0], true);
    }
    if (d.trailersAvailable && d.outTrailers == null) {
      forwardTrailers(d);
    }
  }

  private void continueHeaders(ProcessorState d) {
    if (d.headersForwarded || done) {
      return;
    }
    d.headersForwarded = true;
    d.outHeaders = d.headers.snapshot();
    if (!d.request) {
      trace.note("response headers went downstream (:status " + d.headers.first(":status") + ")");
    }
    if (d.noBody) {
      endOutput(d);
      return;
    }
    d.outBody.addAll(d.pendingOutBody);
    d.pendingOutBody.clear();
    if (d.pendingOutEnd) {
      endOutput(d);
    }
  }

  private void forwardData(ProcessorState d, byte[] data, boolean endStream) {
    if (done) {
      return;
    }
    if (!d.headersForwarded) {
      if (data.length > 0) {
        d.pendingOutBody.add(data);
      }
      d.pendingOutEnd |= endStream;
      return;
    }
    if (data.length > 0) {
      d.outBody.add(data);
    }
    if (endStream) {
      endOutput(d);
    }
  }

  private void forwardTrailers(ProcessorState d) {
    if (done || d.outTrailers != null) {
      return;
    }
    continueHeaders(d);
    d.outTrailers = d.trailers.snapshot();
    endOutput(d);
  }

  private void endOutput(ProcessorState d) {
    if (d.outEnded) {
      return;
    }
    d.outEnded = true;
    if (!d.request) {
      trace.note("response complete downstream");
      done = true;
    }
  }

  /** Envoy's local reply; a stream reset if response headers already went downstream. */
  private void sendLocalReply(int status, byte[] body, HeaderMutation mutation, String details) {
    if (done) {
      return;
    }
    done = true;
    this.details = details;
    if (resp != null && resp.headersForwarded) {
      trace.note("local reply " + status + " impossible after response headers: stream reset");
      resetAfterResponseHeaders = true;
      return;
    }
    localReply = true;
    byte[] b = body == null ? new byte[0] : body;
    HeaderList h = new HeaderList(List.of(Header.of(":status", Integer.toString(status))));
    if (b.length > 0) {
      h.add("content-length", Integer.toString(b.length).getBytes(US_ASCII));
      h.add("content-type", "text/plain".getBytes(US_ASCII));
    }
    if (mutation != null) {
      try {
        immediateRules.apply(mutation, h, false, rejectedMutations);
      } catch (MutationRules.MutationFailure e) {
        trace.note("immediate response header mutation failed (only logged): " + e.getMessage());
      }
    }
    localReplyHeaders = h.snapshot();
    localReplyBody = b;
    trace.note("local reply " + status + " (" + details + ")");
  }

  // ---------------------------------------------------------------- outcome and trace

  private HttpOutcome outcome() {
    ForwardedMessage downstream;
    if (localReply) {
      downstream = new ForwardedMessage(localReplyHeaders, List.of(localReplyBody), null);
    } else if (resp != null && resp.headersForwarded) {
      downstream = new ForwardedMessage(resp.outHeaders, resp.outBody, resp.outTrailers);
    } else {
      downstream = new ForwardedMessage(List.of(), List.of(), null);
    }
    return new HttpOutcome(
        upstreamReached,
        upstreamRequest,
        downstream,
        resetAfterResponseHeaders,
        clientDisconnected,
        localReply,
        details,
        emittedMetadata,
        appliedMetadata,
        rejectedMutations.get(),
        spurious,
        timeouts,
        client.closeStatus(),
        Duration.ofNanos(System.nanoTime() - startNanos),
        trace.text());
  }
}
