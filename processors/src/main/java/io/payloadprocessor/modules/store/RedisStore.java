package io.payloadprocessor.modules.store;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.payloadprocessor.spi.BackendException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * State shared by many replicas in a plain Redis (no modules needed). One Lettuce connection per
 * store, opened on first use so that a Redis that is down at startup fails requests (per the
 * processor's failure mode) rather than the config; Lettuce reconnects by itself afterwards, and
 * commands issued while disconnected fail at once instead of queueing.
 */
public final class RedisStore implements StateStore {
  private final RedisURI uri;
  private final RedisClient client;
  private volatile StatefulRedisConnection<String, String> connection;

  public RedisStore(RedisURI uri) {
    this.uri = uri;
    this.client = RedisClient.create();
    Duration timeout = uri.getTimeout();
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .build());
  }

  private RedisCommands<String, String> redis() throws BackendException {
    StatefulRedisConnection<String, String> c = connection;
    if (c == null) {
      synchronized (this) {
        c = connection;
        if (c == null) {
          try {
            c = client.connect(uri);
          } catch (RedisException e) {
            throw new BackendException(
                "redis at " + uri.getHost() + ":" + uri.getPort() + " is unreachable", e);
          }
          connection = c;
        }
      }
    }
    return c.sync();
  }

  private BackendException failed(String op, RuntimeException e) {
    return new BackendException(
        "redis " + op + " failed at " + uri.getHost() + ":" + uri.getPort(), e);
  }

  @Override
  public String get(String key) throws BackendException {
    RedisCommands<String, String> r = redis();
    try {
      return r.get(key);
    } catch (RedisException e) {
      throw failed("GET", e);
    }
  }

  @Override
  public List<String> getAll(List<String> keys) throws BackendException {
    if (keys.isEmpty()) {
      return List.of();
    }
    RedisCommands<String, String> r = redis();
    try {
      List<KeyValue<String, String>> kvs = r.mget(keys.toArray(new String[0]));
      List<String> out = new ArrayList<>(kvs.size());
      for (KeyValue<String, String> kv : kvs) {
        out.add(kv.hasValue() ? kv.getValue() : null);
      }
      return out;
    } catch (RedisException e) {
      throw failed("MGET", e);
    }
  }

  @Override
  public void put(String key, String value, Duration ttl) throws BackendException {
    RedisCommands<String, String> r = redis();
    try {
      r.set(key, value, SetArgs.Builder.px(Math.max(1, ttl.toMillis())));
    } catch (RedisException e) {
      throw failed("SET", e);
    }
  }

  @Override
  public void delete(String key) throws BackendException {
    RedisCommands<String, String> r = redis();
    try {
      r.del(key);
    } catch (RedisException e) {
      throw failed("DEL", e);
    }
  }

  @Override
  public void pushRecent(String listKey, String member, int maxSize, Duration ttl)
      throws BackendException {
    RedisCommands<String, String> r = redis();
    try {
      // Separate commands, not MULTI: the connection is shared by threads, and a race between two
      // writers only changes which of two fresh members is trimmed first.
      r.lrem(listKey, 0, member);
      r.lpush(listKey, member);
      r.ltrim(listKey, 0, maxSize - 1L);
      r.pexpire(listKey, Math.max(1, ttl.toMillis()));
    } catch (RedisException e) {
      throw failed("LPUSH", e);
    }
  }

  @Override
  public List<String> recent(String listKey) throws BackendException {
    RedisCommands<String, String> r = redis();
    try {
      return r.lrange(listKey, 0, -1);
    } catch (RedisException e) {
      throw failed("LRANGE", e);
    }
  }

  @Override
  public boolean isRemote() {
    return true;
  }

  @Override
  public void close() {
    StatefulRedisConnection<String, String> c = connection;
    if (c != null) {
      c.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
