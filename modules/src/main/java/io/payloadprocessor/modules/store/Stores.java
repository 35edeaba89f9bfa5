package io.payloadprocessor.modules.store;

import io.lettuce.core.RedisURI;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleContext;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Builds the {@link StateStore} a module's {@code store} block asks for. */
public final class Stores {
  /** The server option ({@code --module-option redis.url=...}) used when the config has no url. */
  public static final String REDIS_URL_OPTION = "redis.url";

  private Stores() {}

  /**
   * Checks a store block; problems are reported under {@code field} (e.g. {@code store.url}).
   * Returns the Redis URI for a Redis store, or null for the memory store.
   */
  public static RedisURI validate(
      StoreConfig config, ModuleContext context, String field, List<ConfigProblem> problems) {
    String type = config.type == null ? "memory" : config.type;
    if (config.timeoutMillis <= 0) {
      problems.add(new ConfigProblem(field + ".timeoutMillis", "must be positive"));
    }
    switch (type) {
      case "memory" -> {
        if (config.url != null) {
          problems.add(new ConfigProblem(field + ".url", "only a redis store takes a url"));
        }
        return null;
      }
      case "redis" -> {
        Optional<String> url =
            config.url != null ? Optional.of(config.url) : context.option(REDIS_URL_OPTION);
        if (url.isEmpty() || url.get().isBlank()) {
          problems.add(
              new ConfigProblem(
                  field + ".url",
                  "a redis store needs a url here or the server option "
                      + REDIS_URL_OPTION
                      + " (--module-option "
                      + REDIS_URL_OPTION
                      + "=redis://host:6379)"));
          return null;
        }
        if (!url.get().startsWith("redis://") && !url.get().startsWith("rediss://")) {
          problems.add(new ConfigProblem(field + ".url", "not a valid redis:// or rediss:// URL"));
          return null;
        }
        try {
          RedisURI uri = RedisURI.create(url.get());
          if (config.timeoutMillis > 0) {
            uri.setTimeout(Duration.ofMillis(config.timeoutMillis));
          }
          return uri;
        } catch (IllegalArgumentException e) {
          // The message of a URI parser may quote the URL, which may carry a password.
          problems.add(new ConfigProblem(field + ".url", "not a valid redis:// or rediss:// URL"));
          return null;
        }
      }
      default -> {
        problems.add(new ConfigProblem(field + ".type", "must be memory or redis, not " + type));
        return null;
      }
    }
  }

  /** Opens the store once {@link #validate} found no problem. */
  public static StateStore open(RedisURI redis, long maxEntries) {
    return redis == null ? new MemoryStore(maxEntries) : new RedisStore(redis);
  }

  /** The key prefix: the configured one or {@code pp:<moduleId>:}. */
  public static String keyPrefix(StoreConfig config, String moduleId) {
    return config.keyPrefix != null ? config.keyPrefix : "pp:" + moduleId + ":";
  }
}
