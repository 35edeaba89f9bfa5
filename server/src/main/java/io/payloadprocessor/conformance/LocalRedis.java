package io.payloadprocessor.conformance;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away {@code redis-server} on a free loopback port, for the Implementation-tier cases of
 * modules with a Redis store: the runner passes its address as the server option {@code redis.url},
 * so cases write {@code store: {type: redis}} without naming an address. Started on first need,
 * once per run, and stopped when the JVM exits. Absent binary: no option is given and such cases
 * fail with the loader's error naming {@code redis.url}.
 */
public final class LocalRedis {
  private static Optional<String> url;

  private LocalRedis() {}

  /** redis://127.0.0.1:PORT of the running server, if {@code redis-server} could be started. */
  public static synchronized Optional<String> url() {
    if (url == null) {
      url = start();
    }
    return url;
  }

  private static Optional<String> start() {
    try {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      Path dir = Files.createTempDirectory("conformance-redis");
      Process p =
          new ProcessBuilder(
                  "redis-server",
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
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("redis.log").toFile())
              .start();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    p.destroy();
                    try {
                      p.waitFor(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }));
      for (int i = 0; i < 100 && p.isAlive(); i++) {
        try (Socket s = new Socket("127.0.0.1", port)) {
          return Optional.of("redis://127.0.0.1:" + port);
        } catch (IOException notYet) {
          Thread.sleep(50);
        }
      }
      p.destroy();
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // no redis-server on the PATH
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
