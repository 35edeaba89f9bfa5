package io.payloadprocessor.modules.store;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The small key-value store stateful modules share: string values with a time to live, plus bounded
 * "recent" lists (newest first) that index keys for scans. Implementations are thread-safe.
 *
 * <p>Every operation is asynchronous: it returns at once and no thread waits for the network. The
 * in-memory store returns completed futures; a remote store's futures complete on its I/O threads
 * (so what a caller chains onto them should be cheap, or move to a pool of its own) and fail with
 * {@link io.payloadprocessor.spi.BackendException} when the store cannot be reached or answers
 * badly. Cancelling a future drops its result, not the command.
 */
public interface StateStore extends AutoCloseable {

  /** The value of {@code key}, or null if absent or expired. */
  CompletableFuture<String> getAsync(String key);

  /** The values of {@code keys} in order; null for each absent or expired key. */
  CompletableFuture<List<String>> getAllAsync(List<String> keys);

  /** Sets {@code key} to {@code value}, expiring after {@code ttl}. */
  CompletableFuture<Void> putAsync(String key, String value, Duration ttl);

  CompletableFuture<Void> deleteAsync(String key);

  /**
   * Moves {@code member} to the head of the list {@code listKey}, trims the list to {@code maxSize}
   * members and makes the whole list expire after {@code ttl}.
   */
  CompletableFuture<Void> pushRecentAsync(String listKey, String member, int maxSize, Duration ttl);

  /** The members of {@code listKey}, newest first; empty if absent. */
  CompletableFuture<List<String>> recentAsync(String listKey);

  /**
   * Whether operations wait on the network (a processor using the store is then {@link
   * io.payloadprocessor.spi.Execution#ASYNC}).
   */
  boolean isRemote();

  @Override
  void close();
}
