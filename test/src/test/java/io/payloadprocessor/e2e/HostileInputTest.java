package io.payloadprocessor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.payloadprocessor.envoysim.EnvoyFilterConfig;
import io.payloadprocessor.envoysim.EnvoySim;
import io.payloadprocessor.envoysim.HttpOutcome;
import io.payloadprocessor.envoysim.HttpRequest;
import io.payloadprocessor.envoysim.Upstream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Hostile inputs against the shaded jar as deployed, with a small heap ({@code -Xmx256m
 * -XX:+ExitOnOutOfMemoryError}): every message is answered within its step's timeout plus 100 ms,
 * measured as Envoy measures it (the Envoy-faithful client's per-message timer, started when the
 * message is sent, is set to that: a late answer would be a message timeout), the server stays up,
 * and a normal exchange sent at the same time is unaffected. One server serves them all, in turn,
 * so that what one leaves behind (a thread still spinning, memory still held) would show in the
 * next.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {
  /** The timeout of the guard steps in the pipeline below. */
  private static final long STEP_TIMEOUT_MS = 1000;

  /** How late after its step's timeout a message may be answered. */
  private static final long PRECISION_MS = 100;

  /**
   * A whole exchange's allowance beyond the step timeout: the precision plus moving a ~2 MB body
   * through loopback gRPC to the server, to the upstream and back.
   */
  private static final long SLACK_MS = 400;

  private static final String PIPELINE =
      """
      apiVersion: ainetworking.x-k8s.io/v0alpha0
      kind: PayloadProcessor
      metadata: {name: hostile}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway}
        phase: PreRouting
        processors:
          - name: model-to-header
            type: payload-processor.io/Module
            module: {id: body-field-to-header, config: {}}
          - name: cel-concat
            type: InProcess
            failureMode: FailOpen
            timeout: 1s
            inProcess:
              request:
                setHeaders:
                  - {name: x-cel-1, value: 'size(CONCAT) > 0 ? "ok" : "empty"'}
                  - {name: x-cel-2, value: 'size(CONCAT) > 0 ? "ok" : "empty"'}
                  - {name: x-cel-3, value: 'size(CONCAT) > 0 ? "ok" : "empty"'}
          - name: prompt-guard
            type: payload-processor.io/Module
            timeout: 1s
            module:
              id: prompt-guard
              config:
                deny:
                  - pattern: "(a+)+$"
          - name: pii
            type: payload-processor.io/Module
            timeout: 1s
            module:
              id: pii
              config:
                detectors:
                  - {type: email, action: block}
                  - {type: payment_card, action: block}
      """
          // 3 x 57 = 171 concatenations of the body (CEL's parser allows about 60 per expression).
          .replace("CONCAT", String.join(" + ", Collections.nCopies(57, "string(request.body)")));

  private Process server;
  private ManagedChannel channel;
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @BeforeAll
  void start() throws Exception {
    Path config = Files.createTempFile("pp-hostile", ".yaml");
    Files.writeString(config, PIPELINE);
    int port = freePort();
    int admin = freePort();
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    File log = File.createTempFile("pp-hostile", ".log");
    server =
        new ProcessBuilder(
                javaBin,
                "-Xmx256m",
                "-XX:+ExitOnOutOfMemoryError",
                "-jar",
                jar().toString(),
                "serve",
                "--port",
                Integer.toString(port),
                "--admin-port",
                Integer.toString(admin),
                "--config",
                config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log)
            .start();
    awaitReady(server, admin, log);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    // A server in production has seen large bodies before: compile the large-body paths first, so
    // the timings below measure the server, not its JIT.
    byte[] large = chat("z ".repeat(500_000)).getBytes(StandardCharsets.UTF_8);
    EnvoyFilterConfig warmUp =
        envoy(HeaderSendMode.SEND, 4 << 20).toBuilder()
            .messageTimeout(Duration.ofSeconds(30)) // a cold JIT is not what is measured
            .build();
    for (int i = 0; i < 3; i++) {
      send(warmUp, large);
    }
  }

  @AfterAll
  void stop() throws Exception {
    pool.shutdownNow();
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.destroy();
      server.waitFor(20, TimeUnit.SECONDS);
    }
  }

  private static EnvoyFilterConfig envoy(HeaderSendMode requestHeaders, long bufferLimit) {
    return EnvoyFilterConfig.builder()
        .processingMode(
            ProcessingMode.newBuilder()
                .setRequestHeaderMode(requestHeaders)
                .setRequestBodyMode(BodySendMode.BUFFERED)
                .setResponseHeaderMode(HeaderSendMode.SEND)
                .build())
        // Envoy's per-message timer: an answer later than this is a message timeout (see below).
        .messageTimeout(Duration.ofMillis(STEP_TIMEOUT_MS + PRECISION_MS))
        .bufferLimitBytes(bufferLimit)
        .build();
  }

  private HttpOutcome send(EnvoyFilterConfig config, byte[] body, String... headers) {
    HttpRequest.Builder r =
        HttpRequest.builder()
            .header(":path", "/v1/chat/completions")
            .header("content-type", "application/json");
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    HttpOutcome o =
        new EnvoySim(channel, config)
            .withTracing(false)
            .exchange(r.body(body).build(), Upstream.ok());
    assertThat(o.messageTimeouts())
        .as(
            "every message answered within its step's timeout + %d ms (Envoy's message timer)",
            PRECISION_MS)
        .isZero();
    return o;
  }

  private HttpOutcome normal() {
    return normal(envoy(HeaderSendMode.SEND, 1 << 20));
  }

  private HttpOutcome normal(EnvoyFilterConfig config) {
    return send(
        config,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}"
            .getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Runs the hostile exchange with a normal one beside it; checks the normal one and the server.
   */
  private HttpOutcome withNormalBeside(Supplier<HttpOutcome> hostile) throws Exception {
    CompletableFuture<HttpOutcome> h = CompletableFuture.supplyAsync(hostile, pool);
    Thread.sleep(20);
    HttpOutcome n = normal();
    assertThat(n.status()).as("a normal exchange beside a hostile one").isEqualTo(200);
    assertThat(n.upstreamRequest().header("x-cel-1")).isEqualTo("ok");
    assertThat(n.elapsed()).isLessThan(Duration.ofMillis(STEP_TIMEOUT_MS + SLACK_MS));
    HttpOutcome out = h.get(30, TimeUnit.SECONDS);
    assertThat(server.isAlive()).as("server alive").isTrue();
    assertThat(normal().status()).as("a normal exchange after").isEqualTo(200);
    return out;
  }

  private static String chat(String content) {
    return "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
  }

  @Test
  void hugeExponentIsCopiedAsWritten() throws Exception {
    HttpOutcome o =
        withNormalBeside(
            () ->
                send(
                    envoy(HeaderSendMode.SEND, 1 << 20),
                    "{\"model\":1e999999999}".getBytes(StandardCharsets.UTF_8)));
    assertThat(o.upstreamRequest().header("x-gateway-model-name")).isEqualTo("1e999999999");
    assertThat(o.elapsed()).isLessThan(Duration.ofMillis(SLACK_MS));
  }

  @Test
  void catastrophicRegexOnALongPromptIsAnsweredByItsDeadline() throws Exception {
    byte[] body = chat("a".repeat(1_900_000) + "b").getBytes(StandardCharsets.UTF_8);
    HttpOutcome o = withNormalBeside(() -> send(envoy(HeaderSendMode.SEND, 4 << 20), body));
    assertThat(o.elapsed()).isLessThan(Duration.ofMillis(STEP_TIMEOUT_MS + SLACK_MS));
    assertThat(o.status()).isIn(200, 500, 504);
  }

  @Test
  void decompressionBombIsAnsweredByItsDeadline() throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(chat("").substring(0, 50).getBytes(StandardCharsets.UTF_8));
      byte[] spaces = new byte[1 << 20];
      java.util.Arrays.fill(spaces, (byte) ' ');
      for (int i = 0; i < 15; i++) {
        out.write(spaces); // 15 MB of whitespace: a few KB compressed
      }
    }
    byte[] bomb = gz.toByteArray();
    assertThat(bomb.length).isLessThan(64 * 1024);
    HttpOutcome o =
        withNormalBeside(
            () -> send(envoy(HeaderSendMode.SEND, 1 << 20), bomb, "content-encoding", "gzip"));
    assertThat(o.elapsed()).isLessThan(Duration.ofMillis(STEP_TIMEOUT_MS + SLACK_MS));
    assertThat(o.upstreamReached())
        .as("an unreadable body never passes a FailClosed guard")
        .isFalse();
  }

  @Test
  void celThatWouldCopyTheBodyWithoutBoundFailsItsStepInsteadOfTheServer() throws Exception {
    byte[] body = chat("x".repeat(1_900_000)).getBytes(StandardCharsets.UTF_8);
    HttpOutcome o = withNormalBeside(() -> send(envoy(HeaderSendMode.SEND, 4 << 20), body));
    assertThat(o.elapsed()).isLessThan(Duration.ofMillis(STEP_TIMEOUT_MS + SLACK_MS));
    assertThat(o.status()).isEqualTo(200); // the CEL step failed open; the guards passed the body
    assertThat(o.upstreamRequest().header("x-cel-1")).isNull();
  }

  @Test
  void oversizedBodyMessagesAreRefusedWithoutHurtingTheConnection() throws Exception {
    byte[] huge = chat("y".repeat(60 << 20)).getBytes(StandardCharsets.UTF_8);
    // Envoy's buffer limit raised far above the server's body limit; the message and route
    // timeouts cover pushing 8 x 60 MiB through one loopback connection (the client keeps sending a
    // stream's
    // DATA until it reads the server's RST_STREAM).
    EnvoyFilterConfig lax =
        envoy(HeaderSendMode.SEND, 100L << 20).toBuilder()
            .messageTimeout(Duration.ofSeconds(90))
            .routeTimeout(Duration.ofSeconds(90))
            .build();
    List<CompletableFuture<HttpOutcome>> hostile = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      hostile.add(CompletableFuture.supplyAsync(() -> send(lax, huge), pool));
    }
    // The normal exchanges share the HTTP/2 connection with 480 MiB of uploads: their messages wait
    // for the connection, not for the server, so they get Envoy's usual timer, not the tight one.
    EnvoyFilterConfig sharing =
        envoy(HeaderSendMode.SEND, 1 << 20).toBuilder()
            .messageTimeout(Duration.ofSeconds(10))
            .build();
    List<HttpOutcome> normals = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      normals.add(normal(sharing)); // same channel, same HTTP/2 connection
    }
    for (CompletableFuture<HttpOutcome> f : hostile) {
      HttpOutcome o = f.get(120, TimeUnit.SECONDS);
      assertThat(o.upstreamReached()).isFalse();
      assertThat(o.status()).isEqualTo(500); // gRPC refuses the message: Envoy fails closed
    }
    assertThat(normals).allSatisfy(n -> assertThat(n.status()).isEqualTo(200));
    assertThat(server.isAlive()).isTrue();
    assertThat(normal().status()).isEqualTo(200);
  }

  @Test
  void aBodyWithoutItsHeadersIsStillScanned() throws Exception {
    HttpOutcome o =
        withNormalBeside(
            () ->
                send(
                    envoy(HeaderSendMode.SKIP, 1 << 20),
                    chat("mail alice.victim@example.com").getBytes(StandardCharsets.UTF_8)));
    assertThat(o.status()).isEqualTo(403);
    assertThat(o.upstreamReached()).isFalse();
  }

  private static Path jar() {
    Path base = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    Path jar = base.resolve("../server/target/payload-processor.jar").normalize();
    return Files.exists(jar) ? jar : base.resolve("server/target/payload-processor.jar");
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void awaitReady(Process p, int admin, File log) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 0; i < 600 && p.isAlive(); i++) {
      try {
        int status =
            http.send(
                    java.net.http.HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + admin + "/readyz"))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode();
        if (status == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("server not ready; log:\n" + Files.readString(log.toPath()));
  }
}
