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
    store.put("short", "a", Duration.ofSeconds(1));
    store.put("long", "b", Duration.ofSeconds(10));
    assertThat(store.getAll(List.of("short", "long", "none"))).containsExactly("a", "b", null);
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(store.get("short")).isNull();
    assertThat(store.get("long")).isEqualTo("b");
    now.addAndGet(Duration.ofSeconds(9).toNanos());
    assertThat(store.get("long")).isNull();
  }

  @Test
  void deleteForgets() {
    store.put("k", "v", Duration.ofMinutes(1));
    store.delete("k");
    assertThat(store.get("k")).isNull();
  }

  @Test
  void recentListIsNewestFirstDedupedAndBounded() {
    for (String m : Arrays.asList("a", "b", "c", "a")) {
      store.pushRecent("list", m, 3, Duration.ofMinutes(1));
    }
    assertThat(store.recent("list")).containsExactly("a", "c", "b");
    store.pushRecent("list", "d", 3, Duration.ofMinutes(1));
    assertThat(store.recent("list")).containsExactly("d", "a", "c");
    now.addAndGet(Duration.ofMinutes(2).toNanos());
    assertThat(store.recent("list")).isEmpty();
  }

  @Test
  void entryCountIsBounded() {
    MemoryStore small = new MemoryStore(10);
    for (int i = 0; i < 1000; i++) {
      small.put("k" + i, "v", Duration.ofMinutes(1));
    }
    long present = 0;
    for (int i = 0; i < 1000; i++) {
      if (small.get("k" + i) != null) {
        present++;
      }
    }
    assertThat(present).isLessThanOrEqualTo(10);
  }
}
