package io.payloadprocessor.modules.store;

import io.payloadprocessor.spi.BackendException;
import java.time.Duration;
import java.util.List;

/**
 * The small key-value store stateful modules share: string values with a time to live, plus bounded
 * "recent" lists (newest first) that index keys for scans. Implementations are thread-safe; every
 * operation of a remote store may fail with {@link BackendException}.
 */
public interface StateStore extends AutoCloseable {

  /** The value of {@code key}, or null if absent or expired. */
  String get(String key) throws BackendException;

  /** The values of {@code keys} in order; null for each absent or expired key. */
  List<String> getAll(List<String> keys) throws BackendException;

  /** Sets {@code key} to {@code value}, expiring after {@code ttl}. */
  void put(String key, String value, Duration ttl) throws BackendException;

  void delete(String key) throws BackendException;

  /**
   * Moves {@code member} to the head of the list {@code listKey}, trims the list to {@code maxSize}
   * members and makes the whole list expire after {@code ttl}.
   */
  void pushRecent(String listKey, String member, int maxSize, Duration ttl) throws BackendException;

  /** The members of {@code listKey}, newest first; empty if absent. */
  List<String> recent(String listKey) throws BackendException;

  /** Whether operations may block on the network (the processor then declares mayBlock). */
  boolean isRemote();

  @Override
  void close();
}
