package io.payloadprocessor.envoysim;

import static io.payloadprocessor.envoysim.Protos.bodyOf;
import static io.payloadprocessor.envoysim.Protos.cases;
import static io.payloadprocessor.envoysim.Protos.mode;
import static io.payloadprocessor.envoysim.Protos.mutation;
import static io.payloadprocessor.envoysim.Protos.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest.RequestCase;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Body pacing per mode, trailers, CONTINUE_AND_REPLACE and mode_override. */
class EnvoySimBodyModesTest {
  private static final HttpRequest CHUNKED =
      HttpRequest.builder().body("aaabbbccc").chunkOffsets(3, 6).build();

  private static EnvoyFilterConfig requestBody(BodySendMode m) {
    return Protos.cfg().processingMode(mode(m, BodySendMode.NONE, HeaderSendMode.SKIP)).build();
  }

  private static List<ProcessingRequest> bodies(FakeExtProc server) {
    return server.received.stream().filter(ProcessingRequest::hasRequestBody).toList();
  }

  /** Upper-cases each request body chunk and tries a header mutation (ignored when STREAMED). */
  private static final FakeExtProc.Script UPPERCASE =
      (r, call) -> {
        if (r.hasRequestBody()) {
          call.reply(
              Protos.requestBody(
                  Protos.body(bodyOf(r).toUpperCase(Locale.ROOT)).toBuilder()
                      .setHeaderMutation(mutation(set("x-from-body", "1")))
                      .build()));
        } else {
          call.reply(FakeExtProc.continueFor(r));
        }
      };

  @Test
  void streamedSendsOneMessagePerChunkAndReplacesEachInFifoOrder() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(UPPERCASE)) {
      HttpOutcome o =
          server.sim(requestBody(BodySendMode.STREAMED)).exchange(CHUNKED, Upstream.ok());

      assertThat(bodies(server)).extracting(Protos::bodyOf).containsExactly("aaa", "bbb", "ccc");
      assertThat(bodies(server))
          .extracting(r -> r.getRequestBody().getEndOfStream())
          .containsExactly(false, false, true);
      assertThat(o.upstreamRequest().bodyString()).as(o.toString()).isEqualTo("AAABBBCCC");
      assertThat(o.upstreamRequest().header("x-from-body")).isNull();
    }
  }

  @Test
  void streamedRemovesContentLengthButServerStillSeesIt() throws Exception {
    HttpRequest req = HttpRequest.builder().body("hello").build();
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      HttpOutcome o = server.sim(requestBody(BodySendMode.STREAMED)).exchange(req, Upstream.ok());

      assertThat(Protos.header(server.received.get(0).getRequestHeaders(), "content-length"))
          .isEqualTo("5");
      assertThat(o.upstreamRequest().header("content-length")).isNull();
      assertThat(o.upstreamRequest().bodyString()).isEqualTo("hello");
    }
  }

  @Test
  void streamedClearBodyDropsThatChunkOnly() throws Exception {
    FakeExtProc.Script dropSecond =
        (r, call) -> {
          if (r.hasRequestBody() && bodyOf(r).equals("bbb")) {
            call.reply(
                Protos.requestBody(
                    CommonResponse.newBuilder()
                        .setBodyMutation(BodyMutation.newBuilder().setClearBody(true))
                        .build()));
          } else {
            call.reply(FakeExtProc.continueFor(r));
          }
        };
    try (FakeExtProc server = FakeExtProc.start(dropSecond)) {
      HttpOutcome o =
          server.sim(requestBody(BodySendMode.STREAMED)).exchange(CHUNKED, Upstream.ok());

      assertThat(o.upstreamRequest().bodyString()).as(o.toString()).isEqualTo("aaaccc");
    }
  }

  @Test
  void serverClosingOkMidStreamReleasesOutstandingChunksUnmodified() throws Exception {
    FakeExtProc.Script closeAfterFirst =
        (r, call) -> {
          if (r.hasRequestBody() && bodyOf(r).equals("aaa")) {
            call.reply(Protos.requestBody(Protos.body("AAA")));
          } else if (r.hasRequestBody()) {
            call.finish();
          } else {
            call.reply(FakeExtProc.continueFor(r));
          }
        };
    try (FakeExtProc server = FakeExtProc.start(closeAfterFirst)) {
      HttpOutcome o =
          server.sim(requestBody(BodySendMode.STREAMED)).exchange(CHUNKED, Upstream.ok());

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(o.upstreamRequest().bodyString()).isEqualTo("AAAbbbccc");
      assertThat(o.processorCloseStatus()).isEqualTo("OK");
    }
  }

  @Test
  void responseContentLengthMismatchInBufferedModeGives500() throws Exception {
    FakeExtProc.Script rewrite =
        (r, call) ->
            call.reply(
                r.hasResponseBody()
                    ? Protos.responseBody(Protos.body("much longer body"))
                    : FakeExtProc.continueFor(r));
    try (FakeExtProc server = FakeExtProc.start(rewrite)) {
      EnvoyFilterConfig config =
          Protos.cfg()
              .processingMode(mode(BodySendMode.NONE, BodySendMode.BUFFERED, HeaderSendMode.SKIP))
              .build();
      HttpOutcome o =
          server
              .sim(config)
              .exchange(CHUNKED, Upstream.fixed(UpstreamResponse.ok("text/plain", "short")));

      assertThat(o.status()).as(o.toString()).isEqualTo(500);
      assertThat(o.upstreamReached()).isTrue();
      assertThat(o.localReply()).isTrue();
    }
  }

  @Test
  void wholeBodyArrivedBeforeHeadersResponseIsSentAsOneMessage() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(UPPERCASE)) {
      HttpOutcome o =
          server
              .sim(requestBody(BodySendMode.STREAMED))
              .exchange(
                  CHUNKED,
                  Upstream.ok(),
                  ClientBehaviour.builder()
                      .requestBodyArrival(ClientBehaviour.BodyArrival.BEFORE_HEADERS_RESPONSE)
                      .build());

      assertThat(bodies(server)).extracting(Protos::bodyOf).containsExactly("aaabbbccc");
      assertThat(bodies(server).get(0).getRequestBody().getEndOfStream()).isTrue();
      assertThat(o.upstreamRequest().bodyString()).isEqualTo("AAABBBCCC");
    }
  }

  @Test
  void bufferedSendsTheWholeChunkedBodyInOneMessage() throws Exception {
    HttpRequest req =
        HttpRequest.builder().body("z".repeat(4000)).chunkOffsets(1000, 2000, 3000).build();
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      HttpOutcome o = server.sim(requestBody(BodySendMode.BUFFERED)).exchange(req, Upstream.ok());

      assertThat(bodies(server)).hasSize(1);
      assertThat(bodies(server).get(0).getRequestBody().getBody().size()).isEqualTo(4000);
      assertThat(bodies(server).get(0).getRequestBody().getEndOfStream()).isTrue();
      assertThat(o.upstreamRequest().body()).hasSize(4000);
    }
  }

  @Test
  void getWithBufferedModeSendsNoBodyMessage() throws Exception {
    HttpRequest get = HttpRequest.builder().header(":method", "GET").build();
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      HttpOutcome o = server.sim(requestBody(BodySendMode.BUFFERED)).exchange(get, Upstream.ok());

      assertThat(o.status()).isEqualTo(200);
      assertThat(cases(server.received))
          .containsExactly(RequestCase.REQUEST_HEADERS, RequestCase.RESPONSE_HEADERS);
      assertThat(server.received.get(0).getRequestHeaders().getEndOfStream()).isTrue();
    }
  }

  @Test
  void emptyDataFrameIsSentAsEmptyBodyWithEndOfStream() throws Exception {
    HttpRequest empty = HttpRequest.builder().body("").build();
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      server.sim(requestBody(BodySendMode.BUFFERED)).exchange(empty, Upstream.ok());

      assertThat(server.received.get(0).getRequestHeaders().getEndOfStream()).isFalse();
      assertThat(bodies(server)).hasSize(1);
      assertThat(bodies(server).get(0).getRequestBody().getBody().isEmpty()).isTrue();
      assertThat(bodies(server).get(0).getRequestBody().getEndOfStream()).isTrue();
    }
  }

  @Test
  void bufferedBodyWithTrailersIsNotEndOfStreamThenTrailersAreSentAndMutated() throws Exception {
    HttpRequest withTrailers = HttpRequest.builder().body("abc").trailer("x-checksum", "1").build();
    FakeExtProc.Script script =
        (r, call) -> {
          if (r.hasRequestTrailers()) {
            call.reply(
                ProcessingResponse.newBuilder()
                    .setRequestTrailers(
                        TrailersResponse.newBuilder()
                            .setHeaderMutation(mutation(set("x-checksum", "2"))))
                    .build());
          } else {
            call.reply(FakeExtProc.continueFor(r));
          }
        };
    try (FakeExtProc server = FakeExtProc.start(script)) {
      EnvoyFilterConfig config =
          Protos.cfg()
              .processingMode(mode(BodySendMode.BUFFERED, BodySendMode.NONE, HeaderSendMode.SEND))
              .build();
      HttpOutcome o = server.sim(config).exchange(withTrailers, Upstream.ok());

      assertThat(cases(server.received))
          .startsWith(
              RequestCase.REQUEST_HEADERS, RequestCase.REQUEST_BODY, RequestCase.REQUEST_TRAILERS);
      assertThat(bodies(server).get(0).getRequestBody().getEndOfStream()).isFalse();
      assertThat(o.upstreamRequest().trailers()).containsExactly(Header.of("x-checksum", "2"));
      // The upstream sent no trailers: no response_trailers message.
      assertThat(cases(server.received)).doesNotContain(RequestCase.RESPONSE_TRAILERS);
    }
  }

  @Test
  void trailersAreNotSentWithTrailerModeSkipButStillForwarded() throws Exception {
    HttpRequest withTrailers = HttpRequest.builder().body("abc").trailer("x-checksum", "1").build();
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      HttpOutcome o =
          server.sim(requestBody(BodySendMode.BUFFERED)).exchange(withTrailers, Upstream.ok());

      assertThat(cases(server.received)).doesNotContain(RequestCase.REQUEST_TRAILERS);
      assertThat(o.upstreamRequest().trailers()).containsExactly(Header.of("x-checksum", "1"));
    }
  }

  @Test
  void fullDuplexSendsChunksBeforeTheHeadersResponseAndStreamsTheAnswerBack() throws Exception {
    // Answers nothing until the whole body arrived: Envoy must not wait for the headers response.
    FakeExtProc.Script waitForBody =
        (r, call) -> {
          if (r.hasRequestBody() && r.getRequestBody().getEndOfStream()) {
            call.reply(
                ProcessingResponse.newBuilder()
                    .setRequestHeaders(HeadersResponse.getDefaultInstance())
                    .build());
            StringBuilder all = new StringBuilder();
            call.received.stream()
                .filter(ProcessingRequest::hasRequestBody)
                .forEach(b -> all.append(bodyOf(b)));
            String up = all.toString().toUpperCase(Locale.ROOT);
            call.reply(streamed(up.substring(0, 4), false));
            call.reply(streamed(up.substring(4), true));
          } else if (r.hasResponseHeaders()) {
            call.reply(FakeExtProc.continueFor(r));
          }
        };
    ProcessingMode fd =
        mode(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE, HeaderSendMode.SEND);
    try (FakeExtProc server = FakeExtProc.start(waitForBody)) {
      HttpOutcome o =
          server.sim(Protos.cfg().processingMode(fd).build()).exchange(CHUNKED, Upstream.ok());

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(cases(server.received))
          .startsWith(
              RequestCase.REQUEST_HEADERS,
              RequestCase.REQUEST_BODY,
              RequestCase.REQUEST_BODY,
              RequestCase.REQUEST_BODY);
      assertThat(o.upstreamRequest().bodyString()).isEqualTo("AAABBBCCC");
      assertThat(o.upstreamRequest().header("content-length")).isNull();
    }
  }

  @Test
  void fullDuplexHasNoMessageTimerAndTheRouteTimeoutBoundsAStuckServer() throws Exception {
    ProcessingMode fd =
        mode(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE, HeaderSendMode.SEND);
    try (FakeExtProc server = FakeExtProc.start((r, call) -> {})) {
      HttpOutcome o =
          server
              .sim(
                  EnvoyFilterConfig.builder()
                      .processingMode(fd)
                      .messageTimeout(java.time.Duration.ofMillis(50))
                      .routeTimeout(java.time.Duration.ofMillis(600))
                      .build())
              .exchange(CHUNKED, Upstream.ok());

      assertThat(o.messageTimeouts()).as(o.toString()).isZero();
      assertThat(o.status()).isEqualTo(504);
      assertThat(o.details()).isEqualTo("route_timeout");
      assertThat(o.elapsed()).isLessThan(java.time.Duration.ofSeconds(5));
    }
  }

  @Test
  void fullDuplexBodyResponseWithPlainBodyMutationIsSpurious() throws Exception {
    FakeExtProc.Script plain =
        (r, call) ->
            call.reply(
                r.hasRequestBody()
                    ? Protos.requestBody(Protos.body("X"))
                    : FakeExtProc.continueFor(r));
    ProcessingMode fd =
        mode(BodySendMode.FULL_DUPLEX_STREAMED, BodySendMode.NONE, HeaderSendMode.SEND);
    try (FakeExtProc server = FakeExtProc.start(plain)) {
      HttpOutcome o =
          server.sim(Protos.cfg().processingMode(fd).build()).exchange(CHUNKED, Upstream.ok());

      assertThat(o.spuriousMessages()).as(o.toString()).isEqualTo(1);
      assertThat(o.status()).isEqualTo(200);
    }
  }

  @Test
  void passThroughProcessorEchoesFullDuplexInBothDirections() throws Exception {
    ProcessingMode fd =
        mode(
            BodySendMode.FULL_DUPLEX_STREAMED,
            BodySendMode.FULL_DUPLEX_STREAMED,
            HeaderSendMode.SEND);
    UpstreamResponse sse =
        UpstreamResponse.builder()
            .header("content-type", "text/event-stream")
            .body("data: 1\n\ndata: 2\n\n")
            .chunkOffsets(9)
            .build();
    try (FakeExtProc server = FakeExtProc.serving(new PassThroughProcessor())) {
      HttpOutcome o =
          server
              .sim(Protos.cfg().processingMode(fd).build())
              .exchange(
                  HttpRequest.builder()
                      .body("q".repeat(100_000))
                      .chunkOffsets(70_000)
                      .trailer("t", "1")
                      .build(),
                  Upstream.fixed(sse));

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(o.upstreamRequest().body()).hasSize(100_000);
      assertThat(o.upstreamRequest().trailers()).containsExactly(Header.of("t", "1"));
      assertThat(o.clientBody()).isEqualTo("data: 1\n\ndata: 2\n\n");
    }
  }

  @Test
  void fullDuplexWithoutTrailerModeSendIsAConfigError() {
    assertThatThrownBy(
            () ->
                Protos.cfg()
                    .processingMode(
                        mode(
                            BodySendMode.FULL_DUPLEX_STREAMED,
                            BodySendMode.NONE,
                            HeaderSendMode.SKIP))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("request_trailer_mode has to be set to SEND");
  }

  @Test
  void sendBodyWithoutWaitingSendsStreamedChunksBeforeTheHeadersResponse() throws Exception {
    FakeExtProc.Script holdHeaders =
        (r, call) -> {
          if (r.hasRequestBody() && r.getRequestBody().getEndOfStream()) {
            for (ProcessingRequest seen : call.received) {
              call.reply(FakeExtProc.continueFor(seen));
            }
          } else if (!r.hasRequestHeaders() && !r.hasRequestBody()) {
            call.reply(FakeExtProc.continueFor(r));
          }
        };
    try (FakeExtProc server = FakeExtProc.start(holdHeaders)) {
      EnvoyFilterConfig config =
          requestBody(BodySendMode.STREAMED).toBuilder()
              .sendBodyWithoutWaitingForHeaderResponse(true)
              .build();
      HttpOutcome o = server.sim(config).exchange(CHUNKED, Upstream.ok());

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(o.upstreamRequest().bodyString()).isEqualTo("aaabbbccc");
      assertThat(
              server
                  .received
                  .get(0)
                  .getProtocolConfig()
                  .getSendBodyWithoutWaitingForHeaderResponse())
          .isTrue();
    }
  }

  @Test
  void continueAndReplaceTurnsGetIntoPost() throws Exception {
    CommonResponse replace =
        CommonResponse.newBuilder()
            .setStatus(CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE)
            .setHeaderMutation(
                mutation(set(":method", "POST"), set("content-type", "application/json")))
            .setBodyMutation(
                BodyMutation.newBuilder().setBody(ByteString.copyFromUtf8("{\"x\":1}")))
            .build();
    try (FakeExtProc server =
        FakeExtProc.start(
            (r, call) ->
                call.reply(
                    r.hasRequestHeaders()
                        ? Protos.requestHeaders(replace)
                        : FakeExtProc.continueFor(r)))) {
      HttpOutcome o =
          server
              .sim(requestBody(BodySendMode.BUFFERED))
              .exchange(HttpRequest.builder().header(":method", "GET").build(), Upstream.ok());

      assertThat(o.upstreamRequest().header(":method")).as(o.toString()).isEqualTo("POST");
      assertThat(o.upstreamRequest().bodyString()).isEqualTo("{\"x\":1}");
      assertThat(o.upstreamRequest().header("content-length")).isNull();
      assertThat(o.rejectedHeaderMutations()).isZero();
    }
  }

  @Test
  void continueAndReplaceDrainsTheRestOfTheBodyAndStopsBodyProcessing() throws Exception {
    CommonResponse replace =
        CommonResponse.newBuilder()
            .setStatus(CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE)
            .setBodyMutation(BodyMutation.newBuilder().setBody(ByteString.copyFromUtf8("new")))
            .build();
    try (FakeExtProc server =
        FakeExtProc.start(
            (r, call) ->
                call.reply(
                    r.hasRequestHeaders()
                        ? Protos.requestHeaders(replace)
                        : FakeExtProc.continueFor(r)))) {
      HttpOutcome o =
          server
              .sim(requestBody(BodySendMode.STREAMED))
              .exchange(
                  HttpRequest.builder().body("old-body").autoContentLength(true).build(),
                  Upstream.ok());

      assertThat(o.upstreamRequest().bodyString()).as(o.toString()).isEqualTo("new");
      assertThat(o.upstreamRequest().header("content-length")).isNull();
      assertThat(bodies(server)).isEmpty();
    }
  }

  @Test
  void headersResponseWithContinueIgnoresItsBodyMutation() throws Exception {
    try (FakeExtProc server =
        FakeExtProc.start(
            (r, call) ->
                call.reply(
                    r.hasRequestHeaders()
                        ? Protos.requestHeaders(Protos.body("ignored"))
                        : FakeExtProc.continueFor(r)))) {
      HttpOutcome o =
          server
              .sim(Protos.cfg().build())
              .exchange(HttpRequest.builder().body("kept").build(), Upstream.ok());

      assertThat(o.upstreamRequest().bodyString()).isEqualTo("kept");
    }
  }

  private static final UpstreamResponse SSE =
      UpstreamResponse.builder()
          .header("content-type", "text/event-stream")
          .body("data: 1\n\ndata: 2\n\n")
          .chunkOffsets(9)
          .build();

  private static final FakeExtProc.Script SWITCH_TO_STREAMED =
      (r, call) -> {
        ProcessingResponse base = FakeExtProc.continueFor(r);
        if (r.hasResponseHeaders()) {
          base =
              base.toBuilder()
                  .setModeOverride(
                      ProcessingMode.newBuilder().setResponseBodyMode(BodySendMode.STREAMED))
                  .build();
        }
        call.reply(base);
      };

  @Test
  void modeOverrideSwitchesTheResponseBodyToStreamed() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(SWITCH_TO_STREAMED)) {
      HttpOutcome o =
          server
              .sim(Protos.cfg().allowModeOverride(true).build())
              .exchange(CHUNKED, Upstream.fixed(SSE));

      assertThat(server.received.stream().filter(ProcessingRequest::hasResponseBody)).hasSize(2);
      assertThat(o.clientBody()).isEqualTo("data: 1\n\ndata: 2\n\n");
    }
  }

  @Test
  void modeOverrideIsIgnoredWithoutAllowModeOverride() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(SWITCH_TO_STREAMED)) {
      server.sim(Protos.cfg().build()).exchange(CHUNKED, Upstream.fixed(SSE));

      assertThat(server.received.stream().filter(ProcessingRequest::hasResponseBody)).isEmpty();
    }
  }

  @Test
  void modeOverrideOutsideAllowedOverrideModesIsDropped() throws Exception {
    ProcessingMode onlyBuffered =
        ProcessingMode.newBuilder().setResponseBodyMode(BodySendMode.BUFFERED).build();
    try (FakeExtProc server = FakeExtProc.start(SWITCH_TO_STREAMED)) {
      server
          .sim(
              Protos.cfg()
                  .allowModeOverride(true)
                  .allowedOverrideModes(List.of(onlyBuffered))
                  .build())
          .exchange(CHUNKED, Upstream.fixed(SSE));

      assertThat(server.received.stream().filter(ProcessingRequest::hasResponseBody)).isEmpty();
    }
  }

  @Test
  void modeOverrideOmittingABodyModeMeansNone() throws Exception {
    // Filter config buffers the request body; the override only mentions the response.
    FakeExtProc.Script override =
        (r, call) -> {
          ProcessingResponse base = FakeExtProc.continueFor(r);
          if (r.hasRequestHeaders()) {
            base =
                base.toBuilder()
                    .setModeOverride(
                        ProcessingMode.newBuilder().setResponseBodyMode(BodySendMode.BUFFERED))
                    .build();
          }
          call.reply(base);
        };
    try (FakeExtProc server = FakeExtProc.start(override)) {
      HttpOutcome o =
          server
              .sim(requestBody(BodySendMode.BUFFERED).toBuilder().allowModeOverride(true).build())
              .exchange(CHUNKED, Upstream.fixed(SSE));

      assertThat(cases(server.received))
          .containsExactly(
              RequestCase.REQUEST_HEADERS, RequestCase.RESPONSE_HEADERS, RequestCase.RESPONSE_BODY);
      assertThat(o.upstreamRequest().bodyString()).isEqualTo("aaabbbccc");
    }
  }

  private static ProcessingResponse streamed(String body, boolean end) {
    return ProcessingResponse.newBuilder()
        .setRequestBody(
            BodyResponse.newBuilder()
                .setResponse(
                    CommonResponse.newBuilder()
                        .setBodyMutation(
                            BodyMutation.newBuilder()
                                .setStreamedResponse(
                                    StreamedBodyResponse.newBuilder()
                                        .setBody(ByteString.copyFromUtf8(body))
                                        .setEndOfStream(end)))))
        .build();
  }
}
