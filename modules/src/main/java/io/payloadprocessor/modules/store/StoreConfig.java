package io.payloadprocessor.modules.store;

/**
 * The {@code store} block of a stateful module's config: {@code {type: memory}} (default) or {@code
 * {type: redis, url: redis://127.0.0.1:6379}}. Without {@code url} the Redis store uses the server
 * option {@code redis.url}.
 */
public final class StoreConfig {
  /** {@code memory} or {@code redis}. */
  public String type = "memory";

  /** Redis URL ({@code redis://[user:password@]host:port[/db]} or {@code rediss://}). */
  public String url;

  /** Prefix of every Redis key this module writes; defaults to {@code pp:<module id>:}. */
  public String keyPrefix;

  /** Redis command and connect timeout in milliseconds. */
  public int timeoutMillis = 500;
}
