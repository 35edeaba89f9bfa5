package io.payloadprocessor.envoysim;

import static io.payloadprocessor.envoysim.Protos.body;
import static io.payloadprocessor.envoysim.Protos.headersOnly;
import static io.payloadprocessor.envoysim.Protos.mode;
import static io.payloadprocessor.envoysim.Protos.requestBody;
import static io.payloadprocessor.envoysim.Protos.requestHeaders;
import static io.payloadprocessor.envoysim.Protos.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.Status;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** One test per row of the reference's "What the HTTP client sees" table. */
class EnvoySimStatusTableTest {
  private static final HttpRequest POST =
      HttpRequest.builder().header("content-type", "application/json").body("{\"a\":1}").build();
  private static final Upstream UPSTREAM =
      Upstream.fixed(UpstreamResponse.ok("application/json", "{\"ok\":true}"));

  @Test
  void serverClosingWithOkContinuesUnmodifiedAndSendsNothingMore() throws Exception {
    try (FakeExtProc server = FakeExtProc.start((r, call) -> call.finish())) {
      HttpOutcome o = server.sim(Protos.cfg().build()).exchange(POST, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(o.upstreamReached()).isTrue();
      assertThat(o.upstreamRequest().bodyString()).isEqualTo("{\"a\":1}");
      assertThat(o.clientBody()).isEqualTo("{\"ok\":true}");
      assertThat(o.processorCloseStatus()).isEqualTo("OK");
      // Response headers would be SEND, but nothing more is sent after the OK close.
      assertThat(server.received).hasSize(1);
    }
  }

  @Test
  void internalErrorGives500() throws Exception {
    try (FakeExtProc server = FakeExtProc.start((r, call) -> call.fail(Status.INTERNAL))) {
      HttpOutcome o = server.sim(Protos.cfg().build()).exchange(POST, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(500);
      assertThat(o.localReply()).isTrue();
      assertThat(o.upstreamReached()).isFalse();
      assertThat(o.details()).startsWith("ext_proc_error_gRPC_error_13");
    }
  }

  @Test
  void internalErrorWithFailureModeAllowContinues() throws Exception {
    try (FakeExtProc server = FakeExtProc.start((r, call) -> call.fail(Status.INTERNAL))) {
      HttpOutcome o =
          server.sim(Protos.cfg().failureModeAllow(true).build()).exchange(POST, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(o.upstreamRequest().bodyString()).isEqualTo("{\"a\":1}");
    }
  }

  @Test
  void unreachableServerGives500() throws Exception {
    FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll());
    server.close(); // nothing listens any more on that port; channel shut down too
    io.grpc.ManagedChannel dead =
        io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", 1)
            .usePlaintext()
            .build();
    try {
      HttpOutcome o = new EnvoySim(dead, Protos.cfg().build()).exchange(POST, UPSTREAM);
      assertThat(o.status()).as(o.toString()).isEqualTo(500);
      assertThat(o.details()).contains("gRPC_error_14");
    } finally {
      dead.shutdownNow();
    }
  }

  @Test
  void messageTimeoutGives504() throws Exception {
    try (FakeExtProc server = FakeExtProc.start((r, call) -> {})) {
      EnvoyFilterConfig config = Protos.cfg().messageTimeout(Duration.ofMillis(100)).build();
      HttpOutcome o = server.sim(config).exchange(POST, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(504);
      assertThat(o.details()).isEqualTo("ext_proc_error_per-message_timeout_exceeded");
      assertThat(o.messageTimeouts()).isEqualTo(1);
      assertThat(o.elapsed()).isLessThan(Duration.ofSeconds(3));
      assertThat(server.awaitEnding("CANCELLED")).isTrue();
    }
  }

  @Test
  void messageTimeoutWithFailureModeAllowContinues() throws Exception {
    try (FakeExtProc server = FakeExtProc.start((r, call) -> {})) {
      EnvoyFilterConfig config =
          Protos.cfg().messageTimeout(Duration.ofMillis(100)).failureModeAllow(true).build();
      HttpOutcome o = server.sim(config).exchange(POST, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(o.upstreamRequest().bodyString()).isEqualTo("{\"a\":1}");
    }
  }

  @Test
  void overrideMessageTimeoutExtendsTheTimerOnlyWithinMax() throws Exception {
    FakeExtProc.Script slow =
        (r, call) -> {
          if (r.hasRequestHeaders()) {
            call.reply(
                ProcessingResponse.newBuilder()
                    .setOverrideMessageTimeout(
                        com.google.protobuf.Duration.newBuilder().setSeconds(3))
                    .build());
            sleep(700);
          }
          call.reply(FakeExtProc.continueFor(r));
        };
    try (FakeExtProc server = FakeExtProc.start(slow)) {
      // Warm both JVM sides first: a cold first message alone can take longer than 300 ms.
      server.sim(Protos.cfg().build()).exchange(POST, UPSTREAM);
      EnvoyFilterConfig base = Protos.cfg().messageTimeout(Duration.ofMillis(300)).build();
      HttpOutcome allowed =
          server
              .sim(base.toBuilder().maxMessageTimeout(Duration.ofSeconds(4)).build())
              .exchange(POST, UPSTREAM);
      HttpOutcome notAllowed = server.sim(base).exchange(POST, UPSTREAM);

      assertThat(allowed.status()).as(allowed.toString()).isEqualTo(200);
      assertThat(notAllowed.status()).as(notAllowed.toString()).isEqualTo(504);
      assertThat(notAllowed.trace()).contains("override_message_timeout 3000 ms ignored");
    }
  }

  @Test
  void spuriousMessageContinuesUnmodified() throws Exception {
    // Answers request_headers with a response_headers message: out of order.
    FakeExtProc.Script wrong =
        (r, call) ->
            call.reply(Protos.responseHeaders(headersOnly(Protos.mutation(set("x-added", "1")))));
    try (FakeExtProc server = FakeExtProc.start(wrong)) {
      HttpOutcome o = server.sim(Protos.cfg().build()).exchange(POST, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(o.spuriousMessages()).isEqualTo(1);
      assertThat(o.upstreamRequest().header("x-added")).isNull();
      assertThat(o.clientResponse().header("x-added")).isNull();
    }
  }

  @Test
  void responseWithoutOneofIsSpurious() throws Exception {
    try (FakeExtProc server =
        FakeExtProc.start((r, call) -> call.reply(ProcessingResponse.getDefaultInstance()))) {
      HttpOutcome o = server.sim(Protos.cfg().build()).exchange(POST, UPSTREAM);

      assertThat(o.status()).isEqualTo(200);
      assertThat(o.spuriousMessages()).isEqualTo(1);
    }
  }

  @Test
  void contentLengthMismatchInBufferedModeGives500AndNeverReachesUpstream() throws Exception {
    FakeExtProc.Script rewrite =
        (r, call) ->
            call.reply(
                r.hasRequestBody()
                    ? requestBody(body("{\"a\":12345}"))
                    : FakeExtProc.continueFor(r));
    try (FakeExtProc server = FakeExtProc.start(rewrite)) {
      EnvoyFilterConfig config =
          Protos.cfg()
              .processingMode(mode(BodySendMode.BUFFERED, BodySendMode.NONE, HeaderSendMode.SKIP))
              .build();
      HttpOutcome o = server.sim(config).exchange(POST, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(500);
      assertThat(o.upstreamReached()).isFalse();
      assertThat(o.details()).contains("mismatch_between_content_length");
    }
  }

  @Test
  void contentLengthFixedInTheSameBodyResponsePasses() throws Exception {
    String replaced = "{\"a\":12345}";
    FakeExtProc.Script rewrite =
        (r, call) ->
            call.reply(
                r.hasRequestBody()
                    ? requestBody(
                        body(replaced).toBuilder()
                            .setHeaderMutation(
                                Protos.mutation(
                                    set("content-length", Integer.toString(replaced.length()))))
                            .build())
                    : FakeExtProc.continueFor(r));
    try (FakeExtProc server = FakeExtProc.start(rewrite)) {
      EnvoyFilterConfig config =
          Protos.cfg()
              .processingMode(mode(BodySendMode.BUFFERED, BodySendMode.NONE, HeaderSendMode.SKIP))
              .build();
      HttpOutcome o = server.sim(config).exchange(POST, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(o.upstreamRequest().bodyString()).isEqualTo(replaced);
      assertThat(o.upstreamRequest().header("content-length")).isEqualTo("11");
    }
  }

  @Test
  void tooManyHeadersGives500() throws Exception {
    HeaderMutation.Builder many = HeaderMutation.newBuilder();
    for (int i = 0; i < 60; i++) {
      many.addSetHeaders(set("x-h-" + i, "v"));
    }
    try (FakeExtProc server =
        FakeExtProc.start((r, call) -> call.reply(requestHeaders(headersOnly(many.build()))))) {
      HttpOutcome o = server.sim(Protos.cfg().maxHeadersCount(50).build()).exchange(POST, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(500);
      assertThat(o.upstreamReached()).isFalse();
    }
  }

  @Test
  void bufferedRequestBodyOverLimitGives413() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      EnvoyFilterConfig config =
          Protos.cfg()
              .processingMode(mode(BodySendMode.BUFFERED, BodySendMode.NONE, HeaderSendMode.SKIP))
              .bufferLimitBytes(1000)
              .build();
      HttpRequest big =
          HttpRequest.builder().body("x".repeat(4000)).chunkOffsets(1000, 2000, 3000).build();
      HttpOutcome o = server.sim(config).exchange(big, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(413);
      assertThat(o.upstreamReached()).isFalse();
      assertThat(Protos.cases(server.received))
          .containsExactly(ProcessingRequest.RequestCase.REQUEST_HEADERS);
    }
  }

  @Test
  void bufferedResponseBodyOverLimitGives500() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      EnvoyFilterConfig config =
          Protos.cfg()
              .processingMode(mode(BodySendMode.NONE, BodySendMode.BUFFERED, HeaderSendMode.SKIP))
              .bufferLimitBytes(1000)
              .build();
      HttpOutcome o =
          server
              .sim(config)
              .exchange(
                  POST, Upstream.fixed(UpstreamResponse.builder().body("y".repeat(2000)).build()));

      assertThat(o.status()).as(o.toString()).isEqualTo(500);
      assertThat(o.upstreamReached()).isTrue();
      assertThat(o.resetAfterResponseHeaders()).isFalse();
    }
  }

  @Test
  void bufferedPartialNeverGives413() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      EnvoyFilterConfig config =
          Protos.cfg()
              .processingMode(
                  mode(BodySendMode.BUFFERED_PARTIAL, BodySendMode.NONE, HeaderSendMode.SKIP))
              .bufferLimitBytes(1000)
              .build();
      HttpRequest big =
          HttpRequest.builder().body("x".repeat(4000)).chunkOffsets(1000, 2000, 3000).build();
      HttpOutcome o = server.sim(config).exchange(big, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(o.upstreamRequest().body()).hasSize(4000);
      ProcessingRequest sent =
          server.received.stream()
              .filter(ProcessingRequest::hasRequestBody)
              .findFirst()
              .orElseThrow();
      assertThat(sent.getRequestBody().getBody().size()).isEqualTo(1000);
      assertThat(sent.getRequestBody().getEndOfStream()).isFalse();
      assertThat(o.upstreamRequest().header("content-length")).isNull();
    }
  }

  @Test
  void immediateResponseWithBadStatusGives200() throws Exception {
    try (FakeExtProc server =
        FakeExtProc.start(
            (r, call) ->
                call.reply(
                    Protos.immediate(
                        ImmediateResponse.newBuilder()
                            .setStatus(HttpStatus.newBuilder().setCodeValue(100))
                            .setBody(com.google.protobuf.ByteString.copyFromUtf8("denied"))
                            .setDetails("blocked by policy"))))) {
      HttpOutcome o = server.sim(Protos.cfg().build()).exchange(POST, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(o.localReply()).isTrue();
      assertThat(o.upstreamReached()).isFalse();
      assertThat(o.clientBody()).isEqualTo("denied");
      assertThat(o.clientHeader("content-type")).isEqualTo("text/plain");
      assertThat(o.details()).isEqualTo("blocked_by_policy");
      assertThat(server.awaitEnding("CANCELLED")).isTrue();
    }
  }

  @Test
  void immediateResponseKeepsItsStatusAndDropsSystemAndEnvoyHeaders() throws Exception {
    try (FakeExtProc server =
        FakeExtProc.start(
            (r, call) ->
                call.reply(
                    Protos.immediate(
                        ImmediateResponse.newBuilder()
                            .setStatus(HttpStatus.newBuilder().setCode(StatusCode.Forbidden))
                            .setHeaders(
                                Protos.mutation(
                                    set("content-type", "application/json"),
                                    set(":foo", "bar"),
                                    set("x-envoy-foo", "bar"),
                                    set("x-reason", "policy")))
                            .setBody(com.google.protobuf.ByteString.copyFromUtf8("{}")))))) {
      HttpOutcome o = server.sim(Protos.cfg().build()).exchange(POST, UPSTREAM);

      assertThat(o.status()).isEqualTo(403);
      assertThat(o.clientHeader("content-type")).isEqualTo("application/json");
      assertThat(o.clientHeader("x-reason")).isEqualTo("policy");
      assertThat(o.clientHeader(":foo")).isNull();
      assertThat(o.clientHeader("x-envoy-foo")).isNull();
    }
  }

  @Test
  void immediateResponseAfterStreamedResponseHeadersResetsTheStream() throws Exception {
    FakeExtProc.Script script =
        (r, call) -> {
          if (r.hasResponseBody()) {
            call.reply(
                Protos.immediate(
                    ImmediateResponse.newBuilder()
                        .setStatus(HttpStatus.newBuilder().setCode(StatusCode.Forbidden))));
          } else {
            call.reply(FakeExtProc.continueFor(r));
          }
        };
    try (FakeExtProc server = FakeExtProc.start(script)) {
      EnvoyFilterConfig config =
          Protos.cfg()
              .processingMode(mode(BodySendMode.NONE, BodySendMode.STREAMED, HeaderSendMode.SKIP))
              .build();
      HttpOutcome o =
          server
              .sim(config)
              .exchange(
                  POST,
                  Upstream.fixed(
                      UpstreamResponse.builder()
                          .body("data: 1\n\ndata: 2\n\n")
                          .chunkOffsets(9)
                          .build()));

      assertThat(o.resetAfterResponseHeaders()).as(o.toString()).isTrue();
      assertThat(o.status()).isEqualTo(200);
      assertThat(o.localReply()).isFalse();
    }
  }

  @Test
  void immediateResponseOnBufferedResponseBodyIsACleanReply() throws Exception {
    FakeExtProc.Script script =
        (r, call) -> {
          if (r.hasResponseBody()) {
            call.reply(
                Protos.immediate(
                    ImmediateResponse.newBuilder()
                        .setStatus(HttpStatus.newBuilder().setCode(StatusCode.Forbidden))));
          } else {
            call.reply(FakeExtProc.continueFor(r));
          }
        };
    try (FakeExtProc server = FakeExtProc.start(script)) {
      EnvoyFilterConfig config =
          Protos.cfg()
              .processingMode(mode(BodySendMode.NONE, BodySendMode.BUFFERED, HeaderSendMode.SKIP))
              .build();
      HttpOutcome o = server.sim(config).exchange(POST, UPSTREAM);

      assertThat(o.status()).as(o.toString()).isEqualTo(403);
      assertThat(o.resetAfterResponseHeaders()).isFalse();
      assertThat(o.upstreamReached()).isTrue();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
