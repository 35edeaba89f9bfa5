package io.payloadprocessor.modules.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisURI;
import io.payloadprocessor.modules.common.CancelScope;
import io.payloadprocessor.modules.testing.RedisServerExtension;
import io.payloadprocessor.modules.testing.RedisServerExtension.RedisServer;
import io.payloadprocessor.spi.BackendException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisServerExtension.class)
class RedisStoreTest {
  private final String p = "t:" + UUID.randomUUID() + ":";

  private static RedisStore open(RedisServer redis) {
    RedisURI uri = RedisURI.create(redis.url());
    uri.setTimeout(Duration.ofSeconds(2));
    return new RedisStore(uri);
  }

  @Test
  void putGetDeleteAndMultiGet(RedisServer redis) throws Exception {
    try (RedisStore store = open(redis)) {
      store.putAsync(p + "a", "1", Duration.ofMinutes(1)).join();
      store.putAsync(p + "b", "2", Duration.ofMinutes(1)).join();
      assertThat(store.getAsync(p + "a").join()).isEqualTo("1");
      assertThat(store.getAllAsync(List.of(p + "a", p + "x", p + "b")).join())
          .containsExactly("1", null, "2");
      store.deleteAsync(p + "a").join();
      assertThat(store.getAsync(p + "a").join()).isNull();
    }
  }

  @Test
  void valuesExpire(RedisServer redis) throws Exception {
    try (RedisStore store = open(redis)) {
      store.putAsync(p + "k", "v", Duration.ofMillis(150)).join();
      assertThat(store.getAsync(p + "k").join()).isEqualTo("v");
      String v = "v";
      for (int i = 0; i < 40 && v != null; i++) {
        Thread.sleep(50);
        v = store.getAsync(p + "k").join();
      }
      assertThat(v).isNull();
    }
  }

  @Test
  void recentListIsNewestFirstDedupedAndBounded(RedisServer redis) throws Exception {
    try (RedisStore store = open(redis)) {
      for (String m : List.of("a", "b", "c", "a", "d")) {
        store.pushRecentAsync(p + "list", m, 3, Duration.ofMinutes(1)).join();
      }
      assertThat(store.recentAsync(p + "list").join()).containsExactly("d", "a", "c");
    }
  }

  @Test
  void twoStoresShareState(RedisServer redis) throws Exception {
    try (RedisStore a = open(redis);
        RedisStore b = open(redis)) {
      a.putAsync(p + "shared", "x", Duration.ofMinutes(1)).join();
      assertThat(b.getAsync(p + "shared").join()).isEqualTo("x");
    }
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Throwable failureOf(CompletableFuture<?> f) {
    assertThat(f).failsWithin(Duration.ofSeconds(5));
    try {
      f.join();
      throw new AssertionError("expected a failure");
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  @Test
  void unreachableRedisFailsTheFutureWithABackendException() throws Exception {
    RedisURI uri = RedisURI.create("redis://127.0.0.1:" + closedPort());
    uri.setTimeout(Duration.ofMillis(500));
    try (RedisStore store = new RedisStore(uri)) {
      assertThat(failureOf(store.getAsync("k")))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("unreachable");
      assertThatThrownBy(() -> CancelScope.join(store.putAsync("k", "v", Duration.ofMinutes(1))))
          .isInstanceOf(BackendException.class);
    }
  }

  @Test
  void aFailedFirstConnectionIsReusedForASecondInsteadOfOpeningASocketPerRequest()
      throws Exception {
    AtomicLong now = new AtomicLong();
    RedisURI uri = RedisURI.create("redis://127.0.0.1:" + closedPort());
    uri.setTimeout(Duration.ofMillis(500));
    try (RedisStore store = new RedisStore(uri, now::get)) {
      Throwable first = failureOf(store.getAsync("k"));
      CompletableFuture<String> again = store.getAsync("k");
      assertThat(again).isCompletedExceptionally(); // answered at once, no new attempt
      assertThat(failureOf(again)).isSameAs(first);
      now.addAndGet(RedisStore.CONNECT_RETRY.toNanos() + 1);
      Throwable later = failureOf(store.getAsync("k"));
      assertThat(later).isInstanceOf(BackendException.class).isNotSameAs(first);
    }
  }

  @Test
  void aRedisThatNeverAnswersFailsAtTheConnectTimeoutWithoutBlockingTheCaller() throws Exception {
    // Accepts connections and reads nothing: the handshake never completes.
    try (ServerSocket blackHole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      RedisURI uri = RedisURI.create("redis://127.0.0.1:" + blackHole.getLocalPort());
      uri.setTimeout(Duration.ofMillis(300));
      try (RedisStore store = new RedisStore(uri)) {
        CompletableFuture<String> f = store.getAsync("k");
        assertThat(f).isNotDone(); // the call returned before Redis could have answered
        assertThat(failureOf(f)).isInstanceOf(BackendException.class);
      }
    }
  }

  @Test
  void aCommandPastItsTimeoutFailsWithABackendExceptionNamingIt(RedisServer redis)
      throws Exception {
    RedisURI uri = RedisURI.create(redis.url());
    uri.setTimeout(Duration.ofMillis(200));
    try (RedisStore store = new RedisStore(uri)) {
      store.putAsync(p + "k", "v", Duration.ofMinutes(1)).join(); // connected
      pause(redis, 800);
      CompletableFuture<String> f = store.getAsync(p + "k");
      assertThat(f).isNotDone();
      assertThat(failureOf(f))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("GET failed");
      Thread.sleep(900); // the pause ends; the same store works again
      assertThat(store.getAsync(p + "k").join()).isEqualTo("v");
    }
  }

  /** Makes redis-server hold every client's commands for {@code millis} (CLIENT PAUSE). */
  private static void pause(RedisServer redis, int millis) throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), redis.port())) {
      String cmd =
          "*4\r\n$6\r\nCLIENT\r\n$5\r\nPAUSE\r\n$"
              + Integer.toString(millis).length()
              + "\r\n"
              + millis
              + "\r\n$3\r\nALL\r\n";
      s.getOutputStream().write(cmd.getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      byte[] ok = s.getInputStream().readNBytes(5);
      assertThat(new String(ok, StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
    }
  }

  @Test
  void cancellingAFutureDropsItsResult(RedisServer redis) {
    try (RedisStore store = open(redis)) {
      CompletableFuture<String> f = store.getAsync(p + "k");
      f.cancel(false);
      assertThat(f).isCancelled();
      assertThat(store.getAsync(p + "k").join()).isNull(); // the store still works
    }
  }
}
