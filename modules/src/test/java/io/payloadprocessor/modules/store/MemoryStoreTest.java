package io.payloadprocessor.modules.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemoryStoreTest {
  private final AtomicLong now = new AtomicLong();
  private final MemoryStore store = new MemoryStore(100, now::get);

  @Test
  void valuesExpireAfterTheirOwnTtl() {
    store.putAsync("short", "a", Duration.ofSeconds(1)).join();
    store.putAsync("long", "b", Duration.ofSeconds(10)).join();
    assertThat(store.getAllAsync(List.of("short", "long", "none")).join())
        .containsExactly("a", "b", null);
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(store.getAsync("short").join()).isNull();
    assertThat(store.getAsync("long").join()).isEqualTo("b");
    now.addAndGet(Duration.ofSeconds(9).toNanos());
    assertThat(store.getAsync("long").join()).isNull();
  }

  @Test
  void deleteForgets() {
    store.putAsync("k", "v", Duration.ofMinutes(1)).join();
    store.deleteAsync("k").join();
    assertThat(store.getAsync("k").join()).isNull();
  }

  @Test
  void recentListIsNewestFirstDedupedAndBounded() {
    for (String m : Arrays.asList("a", "b", "c", "a")) {
      store.pushRecentAsync("list", m, 3, Duration.ofMinutes(1)).join();
    }
    assertThat(store.recentAsync("list").join()).containsExactly("a", "c", "b");
    store.pushRecentAsync("list", "d", 3, Duration.ofMinutes(1)).join();
    assertThat(store.recentAsync("list").join()).containsExactly("d", "a", "c");
    now.addAndGet(Duration.ofMinutes(2).toNanos());
    assertThat(store.recentAsync("list").join()).isEmpty();
  }

  @Test
  void entryCountIsBounded() {
    MemoryStore small = new MemoryStore(10);
    for (int i = 0; i < 1000; i++) {
      small.putAsync("k" + i, "v", Duration.ofMinutes(1)).join();
    }
    long present = 0;
    for (int i = 0; i < 1000; i++) {
      if (small.getAsync("k" + i).join() != null) {
        present++;
      }
    }
    assertThat(present).isLessThanOrEqualTo(10);
  }
}
