package io.payloadprocessor.modules.mcprouter;

import static io.payloadprocessor.modules.mcprouter.McpHarness.PATH;
import static io.payloadprocessor.modules.mcprouter.McpHarness.call;
import static io.payloadprocessor.modules.mcprouter.McpHarness.router;
import static io.payloadprocessor.modules.testing.TestExchanges.applyToRequest;
import static io.payloadprocessor.modules.testing.TestExchanges.post;
import static io.payloadprocessor.modules.testing.TestExchanges.respond;
import static org.assertj.core.api.Assertions.assertThat;

import io.payloadprocessor.modules.testing.RedisServerExtension;
import io.payloadprocessor.modules.testing.RedisServerExtension.RedisServer;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.BackendException;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Outcome;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Session stickiness across two router replicas sharing a real redis-server. */
@ExtendWith(RedisServerExtension.class)
class McpRouterRedisTest {
  private final String prefix = "t:" + UUID.randomUUID() + ":";

  private McpRouterProcessor replica(RedisServer redis, int ttlSeconds) throws Exception {
    return router(
        "{\"session\":{\"ttlSeconds\":"
            + ttlSeconds
            + "},\"store\":{\"type\":\"redis\",\"url\":\""
            + redis.url()
            + "\",\"keyPrefix\":\""
            + prefix
            + "\",\"timeoutMillis\":2000}}");
  }

  private static void initialize(McpRouterProcessor r, String session, String backend)
      throws Exception {
    MutableExchange init = post(PATH, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\"}");
    applyToRequest(init, r.onRequest(init));
    respond(init, 200, "{}", "mcp-session-id", session, "x-mcp-backend", backend);
    r.onResponse(init);
  }

  private static String backendSeenBy(McpRouterProcessor r, String session) throws Exception {
    MutableExchange e = post(PATH, call(1, "get_weather"), "mcp-session-id", session);
    applyToRequest(e, r.onRequest(e));
    return e.request().headers().get("x-mcp-backend");
  }

  @Test
  void sessionLearnedByOneReplicaRoutesOnAnother(RedisServer redis) throws Exception {
    try (McpRouterProcessor a = replica(redis, 60);
        McpRouterProcessor b = replica(redis, 60)) {
      assertThat(a.execution()).isEqualTo(Execution.ASYNC);
      initialize(a, "sess-shared", "mcp-2");
      assertThat(backendSeenBy(b, "sess-shared")).isEqualTo("mcp-2");
      assertThat(backendSeenBy(b, "sess-unknown")).isNull();
    }
  }

  @Test
  void sessionsExpire(RedisServer redis) throws Exception {
    try (McpRouterProcessor a = replica(redis, 1)) {
      initialize(a, "sess-short", "mcp-1");
      assertThat(backendSeenBy(a, "sess-short")).isEqualTo("mcp-1");
      String seen = "mcp-1";
      for (int i = 0; i < 40 && seen != null; i++) {
        Thread.sleep(100);
        seen = backendSeenBy(a, "sess-short");
      }
      assertThat(seen).isNull();
    }
  }

  @Test
  void aRedisOutageFailsTheSessionLookupFutureWithABackendException() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (McpRouterProcessor r =
        router(
            "{\"session\":{\"ttlSeconds\":60},\"store\":{\"type\":\"redis\",\"url\":"
                + "\"redis://127.0.0.1:"
                + port
                + "\"}}")) {
      MutableExchange e = post(PATH, call(1, "get_weather"), "mcp-session-id", "s1");
      CompletableFuture<Outcome> f = r.onRequestAsync(e).toCompletableFuture();
      assertThat(f)
          .failsWithin(Duration.ofSeconds(10))
          .withThrowableOfType(ExecutionException.class)
          .withCauseInstanceOf(BackendException.class);
      // Without a session id nothing waits on Redis: answered at once, outage or not.
      MutableExchange plain = post(PATH, call(2, "get_weather"));
      assertThat(r.onRequestAsync(plain).toCompletableFuture()).isCompleted();
    }
  }

  @Test
  void memorySessionsRunInline() throws Exception {
    try (McpRouterProcessor r = router("{\"session\":{\"ttlSeconds\":60}}")) {
      assertThat(r.execution()).isEqualTo(Execution.INLINE);
    }
  }
}
