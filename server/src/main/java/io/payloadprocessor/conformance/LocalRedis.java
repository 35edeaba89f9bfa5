package io.payloadprocessor.conformance;

import io.payloadprocessor.modules.store.LocalRedisServer;
import java.io.IOException;
import java.util.Optional;

/**
 * The conformance run's {@link LocalRedisServer}, for the Implementation-tier cases of modules with
 * a Redis store: the runner passes its address as the server option {@code redis.url}, so cases
 * write {@code store: {type: redis}} without naming an address. Started on first need, once per
 * run, and stopped when the JVM exits. Absent binary: no option is given and such cases fail with
 * the loader's error naming {@code redis.url}.
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
      LocalRedisServer server = LocalRedisServer.start();
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "conformance-redis-stop"));
      return Optional.of(server.url());
    } catch (IOException | IllegalStateException e) {
      return Optional.empty(); // no redis-server on the PATH, or it would not start
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
