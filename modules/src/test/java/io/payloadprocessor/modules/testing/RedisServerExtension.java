package io.payloadprocessor.modules.testing;

import io.payloadprocessor.modules.store.LocalRedisServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts a real {@code redis-server} ({@link LocalRedisServer}) before the tests of a class and
 * stops it after. Tests get it as a {@link RedisServer} parameter. A missing binary fails the
 * tests: CI installs {@code redis-server}, and a silently skipped backend test would prove nothing.
 */
public final class RedisServerExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

  /** A running server. */
  public record RedisServer(int port) {
    public String url() {
      return "redis://127.0.0.1:" + port;
    }
  }

  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(RedisServerExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    context.getStore(NS).put("redis", LocalRedisServer.start());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    LocalRedisServer running = context.getStore(NS).remove("redis", LocalRedisServer.class);
    if (running != null) {
      running.close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == RedisServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    LocalRedisServer running = context.getStore(NS).get("redis", LocalRedisServer.class);
    if (running == null) {
      throw new IllegalStateException("redis-server was not started");
    }
    return new RedisServer(running.port());
  }
}
