package io.payloadprocessor.modules.semanticcache;

import static io.payloadprocessor.modules.semanticcache.CacheHarness.answerJson;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.answerStream;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.ask;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.chat;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.completion;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.outcome;
import static io.payloadprocessor.modules.testing.TestExchanges.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.testing.RedisServerExtension;
import io.payloadprocessor.modules.testing.RedisServerExtension.RedisServer;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.BackendException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Two processor instances (two replicas) sharing one real redis-server. */
@ExtendWith(RedisServerExtension.class)
class SemanticCacheRedisTest {
  private final String prefix = "t:" + UUID.randomUUID() + ":";

  private SemanticCacheProcessor replica(String configYamlAsJson, TestContext ctx)
      throws Exception {
    JsonNode config = HttpMessage.parseJson(configYamlAsJson.getBytes(StandardCharsets.UTF_8));
    Processor p = new SemanticCacheFactory().create("cache", config, ctx);
    return (SemanticCacheProcessor) p;
  }

  private SemanticCacheProcessor replica(RedisServer redis, String mode) throws Exception {
    return replica(
        "{\"mode\":\""
            + mode
            + "\",\"ttlSeconds\":60,\"store\":{\"type\":\"redis\",\"url\":\""
            + redis.url()
            + "\",\"keyPrefix\":\""
            + prefix
            + "\",\"timeoutMillis\":2000}}",
        new TestContext());
  }

  @Test
  void answerStoredByOneReplicaIsAnExactHitOnAnother(RedisServer redis) throws Exception {
    try (SemanticCacheProcessor a = replica(redis, "exact");
        SemanticCacheProcessor b = replica(redis, "exact")) {
      assertThat(a.execution()).isNotEqualTo(Execution.INLINE);
      answerJson(a, ask(a, chat("What is the capital of France?")), 200, completion("Paris."));
      Outcome o = outcome(ask(b, chat("What is the capital of France?")));
      assertThat(o).isInstanceOf(Outcome.Respond.class);
      assertThat(((Outcome.Respond) o).headers().get("x-cache")).isEqualTo("hit");
    }
  }

  @Test
  void semanticHitAcrossReplicasFromAStreamedAnswer(RedisServer redis) throws Exception {
    try (SemanticCacheProcessor a = replica(redis, "exact_then_semantic");
        SemanticCacheProcessor b = replica(redis, "exact_then_semantic")) {
      answerStream(
          a,
          ask(a, chat("How do I reverse a list in Python?", true)),
          AnswerFormatsTest.stream("Use ", "reversed()."));
      Outcome o = outcome(ask(b, chat("How can I reverse a Python list?")));
      assertThat(o).isInstanceOf(Outcome.Respond.class);
      Outcome.Respond hit = (Outcome.Respond) o;
      assertThat(Double.parseDouble(hit.headers().get("x-cache-similarity")))
          .isGreaterThanOrEqualTo(0.92)
          .isLessThan(1.0);
      assertThat(new String(hit.body(), StandardCharsets.UTF_8)).contains("Use reversed().");
    }
  }

  @Test
  void redisUrlMayComeFromTheServerOption(RedisServer redis) throws Exception {
    TestContext ctx = new TestContext(Map.of("redis.url", redis.url()));
    String config =
        "{\"mode\":\"exact\",\"store\":{\"type\":\"redis\",\"keyPrefix\":\"" + prefix + "\"}}";
    try (SemanticCacheProcessor a = replica(config, ctx);
        SemanticCacheProcessor b = replica(config, ctx)) {
      answerJson(a, ask(a, chat("q")), 200, completion("a"));
      assertThat(outcome(ask(b, chat("q")))).isInstanceOf(Outcome.Respond.class);
    }
  }

  @Test
  void redisDownIsABackendException() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (SemanticCacheProcessor p =
        replica(
            "{\"mode\":\"exact\",\"store\":{\"type\":\"redis\",\"url\":\"redis://127.0.0.1:"
                + port
                + "\"}}",
            new TestContext())) {
      Exchange e = post(CacheHarness.PATH, chat("q"));
      assertThatThrownBy(() -> p.onRequest(e)).isInstanceOf(BackendException.class);
    }
  }
}
