package io.payloadprocessor.modules.store;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.payloadprocessor.spi.BackendException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * State shared by many replicas in a plain Redis (no modules needed), through Lettuce's
 * asynchronous API: no thread waits for Redis; futures complete on Lettuce's I/O threads.
 *
 * <p>One connection per store, opened on first use so that a Redis that is down at startup fails
 * requests (per the processor's failure mode) rather than the config. Lettuce reconnects by itself
 * once connected, and commands issued while disconnected fail at once instead of queueing. Until
 * the first connection succeeds, a failed attempt is remembered for {@link #CONNECT_RETRY}:
 * requests in that window fail at once with the same error instead of each opening a socket.
 */
public final class RedisStore implements StateStore {
  /** How long a failed first connection is reused as the answer before trying again. */
  static final Duration CONNECT_RETRY = Duration.ofSeconds(1);

  /** Shortest connect (and handshake) timeout, whatever the command timeout. */
  static final Duration MIN_CONNECT_TIMEOUT = Duration.ofSeconds(2);

  private final RedisURI uri;
  private final RedisClient client;
  private final LongSupplier nanoClock;
  private final Object connectLock = new Object();
  private volatile StatefulRedisConnection<String, String> connection;
  private CompletableFuture<StatefulRedisConnection<String, String>> connecting;
  private BackendException lastConnectFailure;
  private long lastConnectFailureNanos;

  public RedisStore(RedisURI uri) {
    this(uri, System::nanoTime);
  }

  RedisStore(RedisURI uri, LongSupplier nanoClock) {
    Duration timeout = uri.getTimeout();
    Duration connectTimeout =
        timeout.compareTo(MIN_CONNECT_TIMEOUT) > 0 ? timeout : MIN_CONNECT_TIMEOUT;
    // Lettuce bounds the handshake by the URI's timeout; commands keep the configured one below.
    this.uri = RedisURI.builder(uri).withTimeout(connectTimeout).build();
    this.nanoClock = nanoClock;
    this.client = RedisClient.create();
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).build())
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .build());
    var unused = redis(); // starts connecting; a failure is remembered for the first requests
  }

  private String where() {
    return uri.getHost() + ":" + uri.getPort();
  }

  /** The connection's command API, connecting first if needed (without blocking). */
  private CompletableFuture<RedisAsyncCommands<String, String>> redis() {
    StatefulRedisConnection<String, String> c = connection;
    if (c != null) {
      return CompletableFuture.completedFuture(c.async());
    }
    CompletableFuture<StatefulRedisConnection<String, String>> attempt;
    synchronized (connectLock) {
      if (connection != null) {
        return CompletableFuture.completedFuture(connection.async());
      }
      if (connecting == null) {
        if (lastConnectFailure != null
            && nanoClock.getAsLong() - lastConnectFailureNanos < CONNECT_RETRY.toNanos()) {
          return CompletableFuture.failedFuture(lastConnectFailure);
        }
        // The failure is made a BackendException once, so that every caller of this attempt (and
        // those in the retry window after it) gets the same one.
        connecting =
            client
                .connectAsync(StringCodec.UTF8, uri)
                .toCompletableFuture()
                .handle(
                    (conn, e) -> {
                      if (e != null) {
                        throw new CompletionException(unreachable(e));
                      }
                      return conn;
                    });
        CompletableFuture<StatefulRedisConnection<String, String>> mine = connecting;
        // A refused connection can complete this attempt right here, on this thread: connected()
        // then clears the field before we read it, so the attempt is kept in a local.
        var unused = mine.whenComplete((conn, e) -> connected(mine, conn, e));
        attempt = mine;
      } else {
        attempt = connecting;
      }
    }
    return attempt.thenApply(StatefulRedisConnection::async);
  }

  private void connected(
      CompletableFuture<StatefulRedisConnection<String, String>> attempt,
      StatefulRedisConnection<String, String> conn,
      Throwable e) {
    synchronized (connectLock) {
      if (connecting != attempt) {
        return;
      }
      connecting = null;
      if (e == null) {
        connection = conn;
        lastConnectFailure = null;
      } else {
        lastConnectFailure = unreachable(e);
        lastConnectFailureNanos = nanoClock.getAsLong();
      }
    }
  }

  private BackendException unreachable(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    return cause instanceof BackendException b
        ? b
        : new BackendException("redis at " + where() + " is unreachable", cause);
  }

  /**
   * Runs {@code command} once connected; its failure (a Redis error, a timeout, a lost connection)
   * becomes a {@link BackendException} naming the operation.
   */
  private <T> CompletableFuture<T> call(
      String op, Function<RedisAsyncCommands<String, String>, CompletionStage<T>> command) {
    CompletableFuture<T> out = new CompletableFuture<>();
    var unused =
        redis()
            .thenCompose(command)
            .whenComplete(
                (v, e) -> {
                  if (e == null) {
                    out.complete(v);
                  } else {
                    out.completeExceptionally(failed(op, e));
                  }
                });
    return out;
  }

  private Throwable failed(String op, Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof BackendException || cause instanceof CancellationException) {
      return cause;
    }
    return new BackendException("redis " + op + " failed at " + where(), cause);
  }

  @Override
  public CompletableFuture<String> getAsync(String key) {
    return call("GET", r -> r.get(key));
  }

  @Override
  public CompletableFuture<List<String>> getAllAsync(List<String> keys) {
    if (keys.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    return call(
        "MGET",
        r ->
            r.mget(keys.toArray(new String[0]))
                .thenApply(
                    kvs -> {
                      List<String> out = new ArrayList<>(kvs.size());
                      for (KeyValue<String, String> kv : kvs) {
                        out.add(kv.hasValue() ? kv.getValue() : null);
                      }
                      return out;
                    }));
  }

  @Override
  public CompletableFuture<Void> putAsync(String key, String value, Duration ttl) {
    return call(
        "SET",
        r ->
            r.set(key, value, SetArgs.Builder.px(Math.max(1, ttl.toMillis())))
                .thenApply(ok -> null));
  }

  @Override
  public CompletableFuture<Void> deleteAsync(String key) {
    return call("DEL", r -> r.del(key).thenApply(n -> null));
  }

  @Override
  public CompletableFuture<Void> pushRecentAsync(
      String listKey, String member, int maxSize, Duration ttl) {
    return call(
        "LPUSH",
        r -> {
          // Pipelined on the one connection, not MULTI: a race between two writers only changes
          // which of two fresh members is trimmed first.
          CompletableFuture<?>[] steps = {
            r.lrem(listKey, 0, member).toCompletableFuture(),
            r.lpush(listKey, member).toCompletableFuture(),
            r.ltrim(listKey, 0, maxSize - 1L).toCompletableFuture(),
            r.pexpire(listKey, Math.max(1, ttl.toMillis())).toCompletableFuture()
          };
          return CompletableFuture.allOf(steps);
        });
  }

  @Override
  public CompletableFuture<List<String>> recentAsync(String listKey) {
    return call("LRANGE", r -> r.lrange(listKey, 0, -1));
  }

  @Override
  public boolean isRemote() {
    return true;
  }

  /**
   * Closes the connection and the client's threads; may block up to two seconds (not per request).
   */
  @Override
  public void close() {
    StatefulRedisConnection<String, String> c = connection;
    if (c != null) {
      c.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
