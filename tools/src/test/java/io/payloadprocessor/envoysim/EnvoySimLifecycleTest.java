package io.payloadprocessor.envoysim;

import static io.payloadprocessor.envoysim.Protos.cases;
import static io.payloadprocessor.envoysim.Protos.headersOnly;
import static io.payloadprocessor.envoysim.Protos.mode;
import static io.payloadprocessor.envoysim.Protos.mutation;
import static io.payloadprocessor.envoysim.Protos.set;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest.RequestCase;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Metadata;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stream lifecycle: lazy open, protocol_config, CANCELLED at the end, observability, metadata. */
class EnvoySimLifecycleTest {
  private static final HttpRequest CHUNKED =
      HttpRequest.builder().body("aaabbbccc").chunkOffsets(3, 6).build();

  @Test
  void protocolConfigOnlyOnTheFirstMessage() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      EnvoyFilterConfig config =
          Protos.cfg()
              .processingMode(
                  mode(BodySendMode.STREAMED, BodySendMode.BUFFERED, HeaderSendMode.SKIP))
              .build();
      server.sim(config).exchange(CHUNKED, Upstream.fixed(UpstreamResponse.ok("text/plain", "x")));

      assertThat(server.received).hasSizeGreaterThan(3);
      ProcessingRequest first = server.received.get(0);
      assertThat(first.hasProtocolConfig()).isTrue();
      assertThat(first.getProtocolConfig().getRequestBodyMode()).isEqualTo(BodySendMode.STREAMED);
      assertThat(first.getProtocolConfig().getResponseBodyMode()).isEqualTo(BodySendMode.BUFFERED);
      assertThat(server.received.subList(1, server.received.size()))
          .allSatisfy(r -> assertThat(r.hasProtocolConfig()).isFalse());
      assertThat(server.received).allSatisfy(r -> assertThat(r.hasMetadataContext()).isTrue());
      // Added by the connection manager before the filter runs.
      assertThat(Protos.header(first.getRequestHeaders(), "x-forwarded-proto")).isEqualTo("http");
      assertThat(Protos.header(first.getRequestHeaders(), "x-request-id")).hasSize(36);
    }
  }

  @Test
  void serverSeesCancelledAtTheEndOfANormalExchange() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      HttpOutcome o = server.sim(Protos.cfg().build()).exchange(CHUNKED, Upstream.ok());

      assertThat(o.status()).isEqualTo(200);
      assertThat(cases(server.received))
          .containsExactly(RequestCase.REQUEST_HEADERS, RequestCase.RESPONSE_HEADERS);
      assertThat(server.awaitEnding("CANCELLED")).isTrue();
      assertThat(o.processorCloseStatus()).isNull();
    }
  }

  @Test
  void streamIsOpenedLazilyAndNotAtAllWhenNothingIsSent() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      EnvoyFilterConfig skipAll =
          Protos.cfg()
              .processingMode(
                  EnvoyFilterConfig.DEFAULT_MODE.toBuilder()
                      .setRequestHeaderMode(HeaderSendMode.SKIP)
                      .setResponseHeaderMode(HeaderSendMode.SKIP)
                      .build())
              .build();
      HttpOutcome o = server.sim(skipAll).exchange(CHUNKED, Upstream.ok());

      assertThat(o.status()).isEqualTo(200);
      assertThat(server.callHeaders.poll(200, TimeUnit.MILLISECONDS)).isNull();
    }
  }

  @Test
  void grpcInitialMetadataIsSentAsCallMetadata() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      server
          .sim(Protos.cfg().grpcInitialMetadata(Map.of("x-pipeline", "p1")).build())
          .exchange(CHUNKED, Upstream.ok());

      Metadata md = server.callHeaders.poll(5, TimeUnit.SECONDS);
      assertThat(md).isNotNull();
      assertThat(md.get(Metadata.Key.of("x-pipeline", Metadata.ASCII_STRING_MARSHALLER)))
          .isEqualTo("p1");
    }
  }

  @Test
  void clientDisconnectMidBodyResetsTheExtProcStream() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      EnvoyFilterConfig streamed =
          Protos.cfg()
              .processingMode(mode(BodySendMode.STREAMED, BodySendMode.NONE, HeaderSendMode.SKIP))
              .build();
      HttpOutcome o =
          server
              .sim(streamed)
              .exchange(
                  CHUNKED,
                  Upstream.ok(),
                  ClientBehaviour.builder().disconnectAfterRequestChunks(1).build());

      assertThat(o.clientDisconnected()).isTrue();
      assertThat(o.upstreamReached()).isFalse();
      assertThat(o.status()).isEqualTo(-1);
      assertThat(server.awaitEnding("CANCELLED")).isTrue();
      // The first chunk was sent (the server may not see it: the reset discards it in flight).
      assertThat(o.trace()).contains("-> request_body").contains("END_STREAM + RST_STREAM");
      assertThat(server.received.stream().filter(ProcessingRequest::hasRequestBody).count())
          .isLessThanOrEqualTo(1);
    }
  }

  @Test
  void observabilityModeSendsWithoutWaitingAndIgnoresEveryResponse() throws Exception {
    FakeExtProc.Script mutateLate =
        (r, call) -> {
          if (r.hasRequestHeaders()) {
            call.reply(Protos.requestHeaders(headersOnly(mutation(set("x-added", "1")))));
          }
        };
    try (FakeExtProc server = FakeExtProc.start(mutateLate)) {
      EnvoyFilterConfig config =
          Protos.cfg()
              .observabilityMode(true)
              .deferredCloseTimeout(Duration.ofMillis(300))
              .messageTimeout(Duration.ofMillis(50))
              .processingMode(
                  mode(BodySendMode.STREAMED, BodySendMode.BUFFERED, HeaderSendMode.SKIP))
              .build();
      HttpOutcome o =
          server
              .sim(config)
              .exchange(CHUNKED, Upstream.fixed(UpstreamResponse.ok("text/plain", "resp")));

      assertThat(o.status()).as(o.toString()).isEqualTo(200);
      assertThat(o.messageTimeouts()).isZero();
      assertThat(o.upstreamRequest().header("x-added")).isNull();
      assertThat(o.clientBody()).isEqualTo("resp");
      assertThat(server.awaitEnding("CANCELLED")).isTrue();
      assertThat(server.received).allSatisfy(r -> assertThat(r.getObservabilityMode()).isTrue());
      // STREAMED request body sent per chunk; the BUFFERED response body is not sent at all.
      assertThat(cases(server.received))
          .containsExactly(
              RequestCase.REQUEST_HEADERS,
              RequestCase.REQUEST_BODY,
              RequestCase.REQUEST_BODY,
              RequestCase.REQUEST_BODY,
              RequestCase.RESPONSE_HEADERS);
    }
  }

  @Test
  void dynamicMetadataIsAppliedOnlyForReceivingNamespaces() throws Exception {
    Struct ns1 =
        Struct.newBuilder()
            .putFields("model", Value.newBuilder().setStringValue("gpt-4").build())
            .build();
    Struct ns2 =
        Struct.newBuilder()
            .putFields("tokens", Value.newBuilder().setNumberValue(3).build())
            .build();
    Struct md =
        Struct.newBuilder()
            .putFields("io.payload_processor", Value.newBuilder().setStructValue(ns1).build())
            .putFields("other", Value.newBuilder().setStructValue(ns2).build())
            .build();
    try (FakeExtProc server =
        FakeExtProc.start(
            (r, call) -> {
              ProcessingResponse base = FakeExtProc.continueFor(r);
              call.reply(
                  r.hasRequestHeaders() ? base.toBuilder().setDynamicMetadata(md).build() : base);
            })) {
      HttpOutcome o =
          server
              .sim(Protos.cfg().receivingNamespaces(Set.of("io.payload_processor")).build())
              .exchange(CHUNKED, Upstream.ok());

      assertThat(o.emittedMetadata()).containsOnlyKeys("io.payload_processor", "other");
      assertThat(o.appliedMetadata()).containsOnlyKeys("io.payload_processor");
      assertThat(o.appliedMetadata().get("io.payload_processor")).isEqualTo(ns1);
    }
  }

  @Test
  void passThroughProcessorLeavesTheExchangeUnmodifiedInEveryMode() throws Exception {
    UpstreamResponse resp =
        UpstreamResponse.builder()
            .header("content-type", "text/plain")
            .body("r1r2")
            .chunkOffsets(2)
            .trailer("x-t", "1")
            .build();
    for (BodySendMode m :
        new BodySendMode[] {
          BodySendMode.NONE,
          BodySendMode.STREAMED,
          BodySendMode.BUFFERED,
          BodySendMode.BUFFERED_PARTIAL
        }) {
      try (FakeExtProc server = FakeExtProc.serving(new PassThroughProcessor())) {
        HttpOutcome o =
            server
                .sim(Protos.cfg().processingMode(mode(m, m, HeaderSendMode.SEND)).build())
                .exchange(CHUNKED, Upstream.fixed(resp));

        assertThat(o.status()).as(m + " " + o).isEqualTo(200);
        assertThat(o.upstreamRequest().bodyString()).as(m.name()).isEqualTo("aaabbbccc");
        assertThat(o.clientBody()).as(m.name()).isEqualTo("r1r2");
        assertThat(o.clientResponse().trailers())
            .as(m.name())
            .containsExactly(Header.of("x-t", "1"));
      }
    }
  }

  @Test
  void traceElidesLongBodies() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      HttpOutcome o =
          server
              .sim(
                  Protos.cfg()
                      .processingMode(
                          mode(BodySendMode.BUFFERED, BodySendMode.NONE, HeaderSendMode.SKIP))
                      .build())
              .exchange(
                  HttpRequest.builder()
                      .header("authorization", "Bearer secret-token")
                      .body("s".repeat(5000))
                      .build(),
                  Upstream.ok());

      assertThat(o.trace()).contains("<5000 bytes elided>").doesNotContain("s".repeat(201));
      assertThat(o.trace()).contains("-> request_headers").contains("<- request_body");
      assertThat(o.trace()).doesNotContain("secret-token").contains("<redacted>");
    }
  }

  @Test
  void tracingCanBeTurnedOffForLoadDriving() throws Exception {
    try (FakeExtProc server = FakeExtProc.serving(new PassThroughProcessor())) {
      HttpOutcome o =
          server.sim(Protos.cfg().build()).withTracing(false).exchange(CHUNKED, Upstream.ok());

      assertThat(o.status()).isEqualTo(200);
      assertThat(o.trace()).isEmpty();
    }
  }

  @Test
  void gracefulCloseWaitsForTheServerToFinishWithOk() throws Exception {
    try (FakeExtProc server = FakeExtProc.serving(new PassThroughProcessor())) {
      HttpOutcome o =
          server.sim(Protos.cfg().gracefulGrpcClose(true).build()).exchange(CHUNKED, Upstream.ok());

      assertThat(o.status()).isEqualTo(200);
      assertThat(o.processorCloseStatus()).as(o.trace()).isEqualTo("OK");
    }
  }

  @Test
  void gracefulCloseResetsAServerThatDoesNotFinish() throws Exception {
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      HttpOutcome o =
          server.sim(Protos.cfg().gracefulGrpcClose(true).build()).exchange(CHUNKED, Upstream.ok());

      assertThat(o.processorCloseStatus()).isNull();
      assertThat(o.trace()).contains("RST_STREAM (server did not finish in time)");
      assertThat(server.awaitEnding("half-close")).isTrue();
    }
  }
}
