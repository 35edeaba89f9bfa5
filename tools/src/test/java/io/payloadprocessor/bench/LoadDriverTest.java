package io.payloadprocessor.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.payloadprocessor.bench.ContinueExtProcServer.Behaviour;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LoadDriverTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static LoadSettings settings(int port, double rate, Duration duration) {
    return new LoadSettings(
        "127.0.0.1",
        port,
        2,
        rate,
        8,
        duration,
        // Generous warm-up: the first exchanges of a cold JVM on a busy CI machine are slow.
        Duration.ofMillis(500),
        1024,
        false,
        512,
        false,
        Duration.ofSeconds(5),
        10_000,
        "llama-3.1-8b-instruct",
        "/v1/chat/completions");
  }

  @Test
  void maxRateCompletesExchangesWithoutErrors() throws Exception {
    try (var server = new ContinueExtProcServer(0, Behaviour.CONTINUE)) {
      LoadReport report = LoadDriver.run(settings(server.port(), 0, Duration.ofSeconds(1)));

      assertThat(report.mode()).isEqualTo("max-rate");
      assertThat(report.exchanges()).isPositive();
      assertThat(report.errors()).as(report.errorKinds().toString()).isZero();
      assertThat(report.ok()).isEqualTo(report.exchanges());
      assertThat(report.latencyMillis().count()).isEqualTo(report.ok());
      assertThat(report.latencyMillis().p99()).isPositive();
      assertThat(report.throughputPerSecond()).isPositive();
    }
  }

  @Test
  void fixedRateRunsAboutRateTimesDuration() throws Exception {
    try (var server = new ContinueExtProcServer(0, Behaviour.CONTINUE)) {
      LoadReport report = LoadDriver.run(settings(server.port(), 200, Duration.ofSeconds(1)));

      assertThat(report.mode()).isEqualTo("fixed-rate");
      assertThat(report.errors()).as(report.errorKinds().toString()).isZero();
      assertThat(report.exchanges()).isBetween(180L, 220L);
    }
  }

  @Test
  void drivesEachStreamInEnvoysOrderAndEndsWithHalfCloseAndReset() throws Exception {
    try (var server = new ContinueExtProcServer(0, Behaviour.CONTINUE)) {
      LoadSettings s = settings(server.port(), 20, Duration.ofMillis(500));
      LoadDriver.run(s);

      List<List<String>> streams = server.streams();
      assertThat(streams).hasSizeBetween(10, 25);
      assertThat(streams)
          .allSatisfy(
              seen ->
                  assertThat(seen.subList(0, 4))
                      .containsExactly(
                          "REQUEST_HEADERS eos=false protocol_config",
                          "REQUEST_BODY eos=true",
                          "RESPONSE_HEADERS eos=false",
                          "RESPONSE_BODY eos=true"));
      // Envoy's end of exchange: END_STREAM then RST_STREAM right after, so the server normally
      // sees CANCELLED (the reset overtakes the delivery of the half-close), as behind Envoy.
      assertThat(streams)
          .allSatisfy(seen -> assertThat(seen.get(seen.size() - 1)).isIn("half-close", "cancel"));
      assertThat(streams).anySatisfy(seen -> assertThat(seen).contains("cancel"));
    }
  }

  @Test
  void headersOnlySendsOneMessage() throws Exception {
    try (var server = new ContinueExtProcServer(0, Behaviour.CONTINUE)) {
      LoadSettings base = settings(server.port(), 20, Duration.ofMillis(300));
      LoadSettings headersOnly =
          new LoadSettings(
              base.host(),
              base.port(),
              1,
              base.rate(),
              1,
              base.duration(),
              Duration.ZERO,
              0,
              true,
              0,
              false,
              base.exchangeTimeout(),
              base.maxInFlight(),
              base.model(),
              base.path());
      LoadReport report = LoadDriver.run(headersOnly);

      assertThat(report.ok()).isPositive();
      assertThat(server.streams())
          .allSatisfy(
              seen -> assertThat(seen.get(0)).isEqualTo("REQUEST_HEADERS eos=true protocol_config"))
          .allSatisfy(seen -> assertThat(seen).doesNotContain("REQUEST_BODY eos=true"));
    }
  }

  @Test
  void serverFailuresAreCountedAsErrors() throws Exception {
    try (var server = new ContinueExtProcServer(0, Behaviour.FAIL)) {
      LoadReport report = LoadDriver.run(settings(server.port(), 0, Duration.ofMillis(500)));

      assertThat(report.ok()).isZero();
      assertThat(report.errors()).isPositive();
      assertThat(report.errorKinds()).containsKey("INTERNAL");
    }
  }

  @Test
  void immediateResponsesEndTheExchange() throws Exception {
    try (var server = new ContinueExtProcServer(0, Behaviour.IMMEDIATE)) {
      LoadReport report = LoadDriver.run(settings(server.port(), 50, Duration.ofMillis(500)));

      assertThat(report.immediate()).isPositive();
      assertThat(report.errors()).isZero();
      assertThat(server.streams()).allSatisfy(seen -> assertThat(seen).hasSizeLessThan(4));
    }
  }

  @Test
  void unreachableServerIsReportedNotHung() throws Exception {
    int freePort;
    try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      freePort = probe.getLocalPort();
    }
    LoadReport report = LoadDriver.run(settings(freePort, 0, Duration.ofMillis(300)));

    assertThat(report.ok()).isZero();
    assertThat(report.errorKinds()).containsKey("UNAVAILABLE");
  }

  @Test
  void commandPrintsJsonAndExitsZero() throws Exception {
    try (var server = new ContinueExtProcServer(0, Behaviour.CONTINUE)) {
      StringWriter out = new StringWriter();
      int exit =
          new CommandLine(new LoadCommand())
              .setOut(new PrintWriter(out))
              .execute(
                  "--target=127.0.0.1:" + server.port(),
                  "--duration=500ms",
                  "--warmup=0s",
                  "--concurrency=4",
                  "--json");

      assertThat(exit).isZero();
      JsonNode json = JSON.readTree(out.toString());
      assertThat(json.path("ok").asLong()).isPositive();
      assertThat(json.path("latencyMillis").has("p999")).isTrue();
    }
  }

  @Test
  void commandRejectsBadTarget() {
    StringWriter err = new StringWriter();
    int exit =
        new CommandLine(new LoadCommand()).setErr(new PrintWriter(err)).execute("--target=nope");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("HOST:PORT");
  }

  @Test
  void writesOneGrpcFramedRequestHeadersMessage(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("frame.bin");
    int exit =
        new CommandLine(new LoadCommand())
            .setOut(new PrintWriter(new StringWriter()))
            .execute("--write-grpc-frame=" + file);

    assertThat(exit).isZero();
    byte[] bytes = Files.readAllBytes(file);
    assertThat(bytes[0]).as("uncompressed flag").isZero();
    int length = ByteBuffer.wrap(bytes, 1, 4).getInt();
    assertThat(length).isEqualTo(bytes.length - 5);
    ProcessingRequest request =
        ProcessingRequest.parseFrom(Arrays.copyOfRange(bytes, 5, bytes.length));
    assertThat(request.hasRequestHeaders()).isTrue();
    assertThat(request.getRequestHeaders().getEndOfStream()).isTrue();
  }

  @Test
  void chatBodiesHaveTheRequestedSizeAndAModel() throws Exception {
    for (int size : new int[] {300, 1024, 100_000}) {
      byte[] request = ChatBodies.chatRequest("m-1", size);
      byte[] response = ChatBodies.chatResponse("m-1", size);

      assertThat(request).hasSize(size);
      assertThat(response).hasSize(size);
      assertThat(JSON.readTree(request).path("model").asText()).isEqualTo("m-1");
      assertThat(JSON.readTree(response).path("choices").get(0).path("message").has("content"))
          .isTrue();
    }
    assertThat(ChatBodies.chatRequest("m-1", 10).length)
        .as("skeleton when too small")
        .isGreaterThan(10);
  }

  @Test
  void durationsReadLikeEnvoys() {
    DurationConverter c = new DurationConverter();

    assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(c.convert("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.convert("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.convert("10S")).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.convert("PT10S")).isEqualTo(Duration.ofSeconds(10));
    assertThatThrownBy(() -> c.convert("ten seconds"))
        .isInstanceOf(CommandLine.TypeConversionException.class);
  }
}
