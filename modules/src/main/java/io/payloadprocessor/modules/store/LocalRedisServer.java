package io.payloadprocessor.modules.store;

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

/**
 * A throw-away {@code redis-server}: loopback, a free port, no persistence, in a temporary
 * directory that {@link #close} deletes. For the {@code conformance} command's Redis cases, and for
 * tests and benchmarks that need a real server (their JUnit extension wraps this class).
 */
public final class LocalRedisServer implements AutoCloseable {
  private static final List<String> DEFAULT_DIRS =
      List.of("/usr/bin", "/usr/local/bin", "/usr/sbin");

  private final Process process;
  private final Path dir;
  private final int port;

  private LocalRedisServer(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /**
   * Starts a server and waits until it answers PING.
   *
   * @throws IllegalStateException if there is no {@code redis-server} binary, it exits, or it does
   *     not answer within 5 s
   */
  public static LocalRedisServer start() throws IOException, InterruptedException {
    String binary = findBinary(System.getenv("PATH"), DEFAULT_DIRS);
    Path dir = Files.createTempDirectory("redis-server");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Process process =
        new ProcessBuilder(
                binary,
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString())
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    LocalRedisServer server = new LocalRedisServer(process, dir, port);
    try {
      server.waitForPing();
      return server;
    } catch (IOException | InterruptedException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

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
        "redis-server not found on PATH: a real server is needed"
            + " (install it with: apt-get install -y redis-server)");
  }

  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:PORT}. */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  private void waitForPing() throws IOException, InterruptedException {
    for (int attempt = 0; attempt < 100; attempt++) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server exited with "
                + process.exitValue()
                + ": "
                + Files.readString(dir.resolve("redis.log")));
      }
      if (ping()) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("redis-server did not answer PING within 5s");
  }

  private boolean ping() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
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

  /** Stops the server (forcibly after 5 s) and deletes its directory. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // A temporary directory left behind is not worth failing a stop for.
    }
  }
}
