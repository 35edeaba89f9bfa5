package io.payloadprocessor.modules.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The embedded store of one sidecar: a Caffeine cache bounded by entry count, each entry expiring
 * after its own time to live. Every operation runs on the caller's thread and returns a completed
 * future: it is a hash-table access.
 */
public final class MemoryStore implements StateStore {
  private final Cache<String, Timed> values;
  private final Cache<String, Timed> lists;

  /** A value and how long it lives after it was written. */
  private record Timed(Object value, long ttlNanos) {}

  /** Per-entry expiry: each write sets its own time to live, reads do not extend it. */
  private static final class PerEntryExpiry implements Expiry<String, Timed> {
    @Override
    public long expireAfterCreate(String key, Timed value, long currentTime) {
      return value.ttlNanos();
    }

    @Override
    public long expireAfterUpdate(String key, Timed value, long currentTime, long currentDuration) {
      return value.ttlNanos();
    }

    @Override
    public long expireAfterRead(String key, Timed value, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }

  public MemoryStore(long maxEntries) {
    this(maxEntries, Ticker.systemTicker());
  }

  /** With an explicit clock, for tests of expiry. */
  public MemoryStore(long maxEntries, Ticker ticker) {
    this.values =
        Caffeine.newBuilder()
            .maximumSize(maxEntries)
            .expireAfter(new PerEntryExpiry())
            .ticker(ticker)
            .executor(Runnable::run)
            .build();
    this.lists =
        Caffeine.newBuilder()
            .maximumSize(maxEntries)
            .expireAfter(new PerEntryExpiry())
            .ticker(ticker)
            .executor(Runnable::run)
            .build();
  }

  private String get(String key) {
    Timed t = values.getIfPresent(key);
    return t == null ? null : (String) t.value();
  }

  @Override
  public CompletableFuture<String> getAsync(String key) {
    return CompletableFuture.completedFuture(get(key));
  }

  @Override
  public CompletableFuture<List<String>> getAllAsync(List<String> keys) {
    List<String> out = new ArrayList<>(keys.size());
    for (String k : keys) {
      out.add(get(k));
    }
    return CompletableFuture.completedFuture(out);
  }

  @Override
  public CompletableFuture<Void> putAsync(String key, String value, Duration ttl) {
    values.put(key, new Timed(value, ttl.toNanos()));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> deleteAsync(String key) {
    values.invalidate(key);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> pushRecentAsync(
      String listKey, String member, int maxSize, Duration ttl) {
    lists
        .asMap()
        .compute(
            listKey,
            (k, old) -> {
              List<String> next = new ArrayList<>(maxSize + 1);
              next.add(member);
              if (old != null) {
                @SuppressWarnings("unchecked")
                List<String> previous = (List<String>) old.value();
                for (String m : previous) {
                  if (next.size() >= maxSize) {
                    break;
                  }
                  if (!m.equals(member)) {
                    next.add(m);
                  }
                }
              }
              return new Timed(List.copyOf(next), ttl.toNanos());
            });
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<List<String>> recentAsync(String listKey) {
    Timed t = lists.getIfPresent(listKey);
    if (t == null) {
      return CompletableFuture.completedFuture(List.of());
    }
    @SuppressWarnings("unchecked")
    List<String> members = (List<String>) t.value();
    return CompletableFuture.completedFuture(members);
  }

  @Override
  public boolean isRemote() {
    return false;
  }

  @Override
  public void close() {
    values.invalidateAll();
    lists.invalidateAll();
  }
}
