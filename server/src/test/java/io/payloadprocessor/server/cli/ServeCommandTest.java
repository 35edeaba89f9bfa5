package io.payloadprocessor.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** {@code serve} refusing to start: one clear line where the user looks, no stack trace. */
class ServeCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @AfterEach
  void restoreLogging() throws Exception {
    LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
    lc.reset();
    new ContextInitializer(lc).autoConfig();
  }

  private int serve(String... args) {
    CommandLine cmd = new CommandLine(new ServeCommand());
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    return cmd.execute(args);
  }

  @Test
  void adminPortInUseIsOneLineNotAStackTrace() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int code =
          serve(
              "--port",
              "0",
              "--warmup",
              "0",
              "--admin-port",
              Integer.toString(busy.getLocalPort()));

      assertThat(code).isEqualTo(1);
      assertThat(err.toString().strip())
          .isEqualTo(
              "payload-processor: cannot listen on 127.0.0.1:"
                  + busy.getLocalPort()
                  + " (--admin-address/--admin-port): address already in use (another process"
                  + " listens there; pick another port)");
    }
  }

  @Test
  void grpcPortInUseIsOneLine() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int code =
          serve(
              "--port",
              Integer.toString(busy.getLocalPort()),
              "--warmup",
              "0",
              "--admin-port",
              "-1");

      assertThat(code).isEqualTo(1);
      assertThat(err.toString())
          .startsWith("payload-processor: cannot listen on 127.0.0.1:" + busy.getLocalPort())
          .contains("address already in use")
          .doesNotContain("\tat ");
    }
  }

  @Test
  void badAddressIsOneLine() {
    int code = serve("--address", "no-such-host.invalid", "--port", "0", "--admin-port", "-1");

    assertThat(code).isEqualTo(1);
    assertThat(err.toString().strip())
        .isEqualTo(
            "payload-processor: cannot listen on no-such-host.invalid:0 (--address/--port): the"
                + " address cannot be resolved (give an IP address or a resolvable host name)");
  }

  @Test
  void unknownLogLevelAndFormatAreRefused() {
    assertThat(serve("--log-level", "LOUD")).isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "Invalid value for option '--log-level': log level must be one of TRACE, DEBUG, INFO,"
                + " WARN, ERROR, OFF, got 'LOUD'");
    assertThat(serve("--log-format", "xml")).isEqualTo(2);
    assertThat(err.toString()).contains("--log-format").contains("text, json");
  }

  @Test
  void unknownModuleOptionIsRefused() {
    int code = serve("--module-option", "redis.uri=redis://x:6379", "--admin-port", "-1");

    assertThat(code).isEqualTo(1);
    assertThat(err.toString())
        .contains("refusing to start")
        .contains(
            "--module-option: redis.uri: unknown option; known: embeddings.cacheEntries, embeddings.threads, redis.url");
  }

  @Test
  void invalidConfigAtStartupDoesNotTalkOfAPreviousPipeline() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("pp.yaml"),
            """
            apiVersion: ainetworking.x-k8s.io/v0alpha0
            kind: PayloadProcessor
            metadata: {name: x}
            spec: {phase: Sometime}
            """);

    int code = serve("--config", file.toString(), "--admin-port", "-1");

    assertThat(code).isEqualTo(1);
    assertThat(err.toString())
        .startsWith("payload-processor: refusing to start: the pipeline config is invalid")
        .contains(file + ":4: document 1 (x): spec.phase: must be PreRouting or PostRouting")
        .doesNotContain("previous");
  }
}
