package io.payloadprocessor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.payloadprocessor.envoysim.ClientBehaviour;
import io.payloadprocessor.envoysim.EnvoyFilterConfig;
import io.payloadprocessor.envoysim.EnvoySim;
import io.payloadprocessor.envoysim.HttpOutcome;
import io.payloadprocessor.envoysim.HttpRequest;
import io.payloadprocessor.envoysim.Upstream;
import io.payloadprocessor.envoysim.UpstreamResponse;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.PayloadProcessorServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Server behaviour over real sockets: cancellation, concurrency, observability, limits, UDS. */
class ServerLifecycleTest {
  private static final String MODEL_PIPELINE =
      """
      apiVersion: ainetworking.x-k8s.io/v0alpha0
      kind: PayloadProcessor
      metadata: {name: model}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}
        phase: PreRouting
        processors:
          - name: model-to-header
            type: InProcess
            inProcess:
              request:
                setHeaders:
                  - {name: X-Gateway-Model-Name, value: json(request.body).model}
      """;

  private static ServerFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    fixture = new ServerFixture(MODEL_PIPELINE);
  }

  @AfterAll
  static void stop() throws Exception {
    fixture.close();
  }

  private static EnvoyFilterConfig buffered() {
    return EnvoyFilterConfig.builder()
        .processingMode(
            ProcessingMode.newBuilder()
                .setRequestHeaderMode(HeaderSendMode.SEND)
                .setRequestBodyMode(BodySendMode.BUFFERED)
                .setResponseHeaderMode(HeaderSendMode.SEND)
                .build())
        .messageTimeout(Duration.ofSeconds(5))
        .build();
  }

  private static HttpRequest chat(String model) {
    return HttpRequest.builder()
        .header(":path", "/v1/chat/completions")
        .header("content-type", "application/json")
        .body("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
        .build();
  }

  @Test
  void twoHundredConcurrentExchangesEachGetTheirOwnAnswer() throws Exception {
    EnvoySim envoy = fixture.envoy(buffered()).withTracing(false);
    ExecutorService pool = Executors.newFixedThreadPool(200);
    try {
      List<Future<HttpOutcome>> futures = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String model = "model-" + i;
        futures.add(pool.submit(() -> envoy.exchange(chat(model), Upstream.ok())));
      }
      for (int i = 0; i < 200; i++) {
        HttpOutcome o = futures.get(i).get(60, TimeUnit.SECONDS);
        assertThat(o.status()).isEqualTo(200);
        assertThat(o.upstreamRequest().header("x-gateway-model-name")).isEqualTo("model-" + i);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void clientCancellingMidBodyEndsTheStreamQuietly() throws Exception {
    EnvoyFilterConfig streamed =
        EnvoyFilterConfig.builder()
            .processingMode(
                ProcessingMode.newBuilder()
                    .setRequestHeaderMode(HeaderSendMode.SEND)
                    .setRequestBodyMode(BodySendMode.STREAMED)
                    .build())
            .messageTimeout(Duration.ofSeconds(5))
            .build();
    double errorsBefore =
        fixture.metric("payload_processor_errors", Map.of("kind", "stream_error"));
    double activeBefore = fixture.metric("payload_processor_streams_active", Map.of());
    HttpRequest req =
        HttpRequest.builder()
            .header("content-type", "application/json")
            .body("{\"model\":\"gpt-4\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}")
            .chunkOffsets(5, 20, 40)
            .build();
    HttpOutcome o =
        fixture
            .envoy(streamed)
            .exchange(
                req,
                Upstream.ok(),
                ClientBehaviour.builder().disconnectAfterRequestChunks(1).build());
    assertThat(o.clientDisconnected()).isTrue();
    assertThat(o.upstreamReached()).isFalse();
    awaitActiveStreams(activeBefore);
    // CANCELLED is how Envoy ends every stream: not an error.
    assertThat(fixture.metric("payload_processor_errors", Map.of("kind", "stream_error")))
        .isEqualTo(errorsBefore);
  }

  @Test
  void observabilityModeRunsThePipelineButChangesNothing() throws Exception {
    EnvoyFilterConfig obs =
        EnvoyFilterConfig.builder()
            .processingMode(
                ProcessingMode.newBuilder()
                    .setRequestHeaderMode(HeaderSendMode.SEND)
                    .setRequestBodyMode(BodySendMode.STREAMED)
                    .build())
            .observabilityMode(true)
            .build();
    double before =
        fixture.metric(
            "payload_processor_processor_outcomes",
            Map.of("processor", "model-to-header", "outcome", "continue"));
    HttpOutcome o = fixture.envoy(obs).exchange(chat("observed"), Upstream.ok());
    assertThat(o.status()).isEqualTo(200);
    assertThat(o.upstreamRequest().header("x-gateway-model-name")).isNull();
    for (int i = 0; i < 50; i++) {
      double now =
          fixture.metric(
              "payload_processor_processor_outcomes",
              Map.of("processor", "model-to-header", "outcome", "continue"));
      if (now > before) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the pipeline did not run in observability mode");
  }

  @Test
  void bodyOverTheServerLimitIsA413WithJson() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    try (PayloadProcessorServer small =
            PayloadProcessorServer.builder()
                .port(0)
                .maxBodyBytes(64)
                .warmupExchanges(0)
                .registry(registry)
                .pipeline(fixture.server::pipeline)
                .build()
                .start();
        Closing ch = new Closing(small.port())) {
      HttpOutcome o =
          new EnvoySim(ch.channel, buffered()).exchange(chat("x".repeat(200)), Upstream.ok());
      assertThat(o.status()).isEqualTo(413);
      assertThat(o.upstreamReached()).isFalse();
      assertThat(o.clientHeader("content-type")).isEqualTo("application/json");
      assertThat(HttpMessage.JSON.readTree(o.clientBody()).at("/error/reason").asText())
          .isEqualTo("request_body_too_large");
    }
  }

  @Test
  void servesOnAUnixDomainSocket(@TempDir Path dir) throws Exception {
    Path sock = dir.resolve("pp.sock");
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try (PayloadProcessorServer uds =
        PayloadProcessorServer.builder()
            .uds(sock)
            .warmupExchanges(0)
            .registry(new PrometheusRegistry())
            .pipeline(fixture.server::pipeline)
            .build()
            .start()) {
      assertThat(uds.isReady()).isTrue();
      assertThat(Files.exists(sock)).isTrue();
      ManagedChannel ch =
          NettyChannelBuilder.forAddress(new DomainSocketAddress(sock.toString()))
              .eventLoopGroup(group)
              .channelType(EpollDomainSocketChannel.class)
              .usePlaintext()
              .build();
      try {
        HttpOutcome o = new EnvoySim(ch, buffered()).exchange(chat("via-uds"), Upstream.ok());
        assertThat(o.upstreamRequest().header("x-gateway-model-name")).isEqualTo("via-uds");
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      var unused = group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  @Test
  void readyOnlyAfterWarmUpAndNotWhileDraining() throws Exception {
    PayloadProcessorServer s =
        PayloadProcessorServer.builder()
            .port(0)
            .warmupExchanges(50)
            .registry(new PrometheusRegistry())
            .pipeline(fixture.server::pipeline)
            .build();
    assertThat(s.isReady()).isFalse();
    s.start();
    assertThat(s.isReady()).isTrue();
    s.drainAndStop();
    assertThat(s.isReady()).isFalse();
  }

  @Test
  void drainLetsAnExchangeInFlightFinish() throws Exception {
    String slow =
        """
        apiVersion: ainetworking.x-k8s.io/v0alpha0
        kind: PayloadProcessor
        metadata: {name: slow}
        spec:
          targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}
          phase: PreRouting
          processors:
            - name: slow
              type: InProcess
              timeout: 5s
              inProcess:
                request:
                  setHeaders:
                    - name: x-slow
                      value: "[1,2,3,4,5,6,7,8].all(i, !string(request.body).matches('(a|aa){1,100}b')) ? 'done' : 'no'"
        """;
    try (ServerFixture f = new ServerFixture(slow)) {
      String body = "{\"p\":\"" + "a".repeat(600) + "\"}";
      ExecutorService one = Executors.newSingleThreadExecutor();
      try {
        Future<HttpOutcome> inFlight =
            one.submit(
                () ->
                    f.envoy(buffered())
                        .exchange(
                            HttpRequest.builder()
                                .header("content-type", "application/json")
                                .body(body)
                                .build(),
                            Upstream.fixed(UpstreamResponse.builder().status(200).build())));
        for (int i = 0;
            i < 500 && f.metric("payload_processor_streams_active", Map.of()) < 1;
            i++) {
          Thread.sleep(5);
        }
        assertThat(f.metric("payload_processor_streams_active", Map.of())).isEqualTo(1);
        f.server.drainAndStop(); // the exchange is in flight: it must still complete
        HttpOutcome o = inFlight.get(30, TimeUnit.SECONDS);
        assertThat(o.status()).isEqualTo(200);
        assertThat(o.upstreamRequest().header("x-slow")).isEqualTo("done");
      } finally {
        one.shutdownNow();
      }
    }
  }

  private static void awaitActiveStreams(double expected) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      if (fixture.metric("payload_processor_streams_active", Map.of()) <= expected) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("streams still active after the client went away");
  }

  /** A channel closed with the try block. */
  private static final class Closing implements AutoCloseable {
    final ManagedChannel channel;

    Closing(int port) {
      channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    @Override
    public void close() {
      try {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
