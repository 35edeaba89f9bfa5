package io.payloadprocessor.modules.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisURI;
import io.payloadprocessor.modules.testing.RedisServerExtension;
import io.payloadprocessor.modules.testing.RedisServerExtension.RedisServer;
import io.payloadprocessor.spi.BackendException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
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
      store.put(p + "a", "1", Duration.ofMinutes(1));
      store.put(p + "b", "2", Duration.ofMinutes(1));
      assertThat(store.get(p + "a")).isEqualTo("1");
      assertThat(store.getAll(List.of(p + "a", p + "x", p + "b"))).containsExactly("1", null, "2");
      store.delete(p + "a");
      assertThat(store.get(p + "a")).isNull();
    }
  }

  @Test
  void valuesExpire(RedisServer redis) throws Exception {
    try (RedisStore store = open(redis)) {
      store.put(p + "k", "v", Duration.ofMillis(150));
      assertThat(store.get(p + "k")).isEqualTo("v");
      String v = "v";
      for (int i = 0; i < 40 && v != null; i++) {
        Thread.sleep(50);
        v = store.get(p + "k");
      }
      assertThat(v).isNull();
    }
  }

  @Test
  void recentListIsNewestFirstDedupedAndBounded(RedisServer redis) throws Exception {
    try (RedisStore store = open(redis)) {
      for (String m : List.of("a", "b", "c", "a", "d")) {
        store.pushRecent(p + "list", m, 3, Duration.ofMinutes(1));
      }
      assertThat(store.recent(p + "list")).containsExactly("d", "a", "c");
    }
  }

  @Test
  void twoStoresShareState(RedisServer redis) throws Exception {
    try (RedisStore a = open(redis);
        RedisStore b = open(redis)) {
      a.put(p + "shared", "x", Duration.ofMinutes(1));
      assertThat(b.get(p + "shared")).isEqualTo("x");
    }
  }

  @Test
  void unreachableRedisIsABackendException() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    RedisURI uri = RedisURI.create("redis://127.0.0.1:" + port);
    uri.setTimeout(Duration.ofMillis(500));
    try (RedisStore store = new RedisStore(uri)) {
      assertThatThrownBy(() -> store.get("k"))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("unreachable");
    }
  }
}
