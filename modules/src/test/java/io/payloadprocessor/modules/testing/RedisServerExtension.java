package io.payloadprocessor.modules.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts a real {@code redis-server} (loopback, free port, no persistence, in a temporary
 * directory) before the tests of a class and stops it after. Tests get it as a {@link RedisServer}
 * parameter. A missing binary fails the tests: CI installs {@code redis-server}, and a silently
 * skipped backend test would prove nothing.
 */
public final class RedisServerExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

  /** A running server. */
  public record RedisServer(int port) {
    public String url() {
      return "redis://127.0.0.1:" + port;
    }
  }

  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(RedisServerExtension.class);

  private static final class Running {
    final Process process;
    final Path dir;
    final RedisServer server;

    Running(Process process, Path dir, RedisServer server) {
      this.process = process;
      this.dir = dir;
      this.server = server;
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    String binary = findBinary(System.getenv("PATH"), DEFAULT_DIRS);
    Path dir = Files.createTempDirectory("redis-test");
    int port = freePort();
    Process process =
        new ProcessBuilder(
                binary,
                "--port",
                Integer.toString(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
                "--dir",
                dir.toString())
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    Running running = new Running(process, dir, new RedisServer(port));
    context.getStore(NS).put("redis", running);
    waitForPing(running);
  }

  private static final List<String> DEFAULT_DIRS =
      List.of("/usr/bin", "/usr/local/bin", "/usr/sbin");

  /** The redis-server binary on {@code path} or in {@code fallbacks}; throws if there is none. */
  static String findBinary(String path, List<String> fallbacks) {
    List<String> dirs =
        Stream.concat(
                path == null ? Stream.empty() : Stream.of(path.split(File.pathSeparator)),
                fallbacks.stream())
            .toList();
    for (String d : dirs) {
      File f = new File(d, "redis-server");
      if (f.canExecute()) {
        return f.getAbsolutePath();
      }
    }
    throw new IllegalStateException(
        "redis-server not found on PATH: the Redis backend tests need a real server"
            + " (install it with: apt-get install -y redis-server)");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void waitForPing(Running running) throws Exception {
    for (int attempt = 0; attempt < 100; attempt++) {
      if (!running.process.isAlive()) {
        throw new IllegalStateException(
            "redis-server exited with "
                + running.process.exitValue()
                + ": "
                + Files.readString(running.dir.resolve("redis.log")));
      }
      if (ping(running.server.port())) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("redis-server did not answer PING within 5s");
  }

  private static boolean ping(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, 7);
      return new String(buf, 0, n, StandardCharsets.US_ASCII).equals("+PONG\r\n");
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    Running running = context.getStore(NS).remove("redis", Running.class);
    if (running == null) {
      return;
    }
    running.process.destroy();
    if (!running.process.waitFor(5, TimeUnit.SECONDS)) {
      running.process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    try (Stream<Path> files = Files.walk(running.dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == RedisServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Running running = context.getStore(NS).get("redis", Running.class);
    if (running == null) {
      throw new IllegalStateException("redis-server was not started");
    }
    return running.server;
  }
}
