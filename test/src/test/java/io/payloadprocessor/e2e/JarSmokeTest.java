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
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shaded jar as a user runs it: {@code java -jar payload-processor.jar serve --port P} listens
 * with the embedded default pipeline, reports ready only after warm-up, and drains on SIGTERM, then
 * exits 0.
 */
class JarSmokeTest {
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

  @Test
  void jarServesTheEmbeddedDefaultPipeline() throws Exception {
    Path jar = jar();
    assertThat(jar).exists();
    int port = freePort();
    int admin = freePort();
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                javaBin,
                "-jar",
                jar.toString(),
                "serve",
                "--port",
                Integer.toString(port),
                "--admin-port",
                Integer.toString(admin),
                "--drain-timeout",
                "2s")
            .redirectErrorStream(true)
            .redirectOutput(File.createTempFile("pp-serve", ".log"))
            .start();
    HttpClient http = HttpClient.newHttpClient();
    try {
      int status = 0;
      for (int i = 0; i < 300 && status != 200; i++) {
        try {
          status =
              http.send(
                      java.net.http.HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + admin + "/readyz"))
                          .build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode();
        } catch (java.io.IOException notYet) {
          status = 0;
        }
        if (status != 200) {
          Thread.sleep(100);
        }
      }
      assertThat(status).as("/readyz").isEqualTo(200);
      ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      try {
        EnvoyFilterConfig cfg =
            EnvoyFilterConfig.builder()
                .processingMode(
                    ProcessingMode.newBuilder()
                        .setRequestHeaderMode(HeaderSendMode.SEND)
                        .setRequestBodyMode(BodySendMode.BUFFERED)
                        .setResponseHeaderMode(HeaderSendMode.SEND)
                        .build())
                .messageTimeout(Duration.ofSeconds(2))
                .build();
        HttpOutcome o =
            new EnvoySim(ch, cfg)
                .exchange(
                    HttpRequest.builder()
                        .header(":path", "/v1/chat/completions")
                        .header("content-type", "application/json")
                        .header("x-gateway-model-name", "spoofed")
                        .body("{\"model\":\"llama-3\",\"messages\":[]}")
                        .build(),
                    Upstream.ok());
        assertThat(o.upstreamRequest().header("x-gateway-model-name")).isEqualTo("llama-3");
        String metrics =
            http.send(
                    java.net.http.HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + admin + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics).contains("payload_processor_streams_total");
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      p.destroy(); // SIGTERM: drain and exit
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
      assertThat(p.exitValue()).as("a clean drain after SIGTERM exits 0, not 143").isEqualTo(0);
    }
  }
}
