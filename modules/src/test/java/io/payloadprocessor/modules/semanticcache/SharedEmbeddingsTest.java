package io.payloadprocessor.modules.semanticcache;

import static io.payloadprocessor.modules.semanticcache.CacheHarness.ask;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.chat;
import static io.payloadprocessor.modules.testing.TestExchanges.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.payloadprocessor.config.ModuleConfigs;
import io.payloadprocessor.modules.common.MiniLmEmbeddings;
import io.payloadprocessor.modules.common.MiniLmModel;
import io.payloadprocessor.modules.semanticcache.SemanticCacheProcessor.Mode;
import io.payloadprocessor.modules.semanticrouter.SemanticRouterConfig;
import io.payloadprocessor.modules.semanticrouter.SemanticRouterProcessor;
import io.payloadprocessor.modules.store.MemoryStore;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.Execution;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The router and the cache of one pipeline embed a prompt once (real model). */
class SharedEmbeddingsTest {
  @Test
  void cacheThenRouterEmbedThePromptOnce() throws Exception {
    MiniLmEmbeddings model = new MiniLmEmbeddings(1, 100);
    try (SemanticCacheProcessor cache =
        new SemanticCacheProcessor(
            "cache",
            Mode.SEMANTIC,
            0.92,
            Duration.ofMinutes(10),
            null,
            64,
            new MemoryStore(100),
            "pp:test:",
            model,
            result -> {})) {
      SemanticRouterProcessor router =
          new SemanticRouterProcessor(
              ModuleConfigs.bind(
                  HttpMessage.JSON.readTree(
                      "{\"routes\":[{\"name\":\"math\",\"examples\":[\"Solve 3x + 5 = 20\"]}]}"),
                  SemanticRouterConfig.class),
              model);
      assertThat(cache.execution()).isEqualTo(Execution.ASYNC);
      long runs = MiniLmModel.get().runs();
      long hits = model.cacheHits();
      ask(cache, chat("What is the integral of x squared?"));
      router.onRequest(post("/v1/chat/completions", chat("What is the integral of x squared?")));
      assertThat(MiniLmModel.get().runs() - runs).isEqualTo(1);
      assertThat(model.cacheHits()).isEqualTo(hits + 1);
    } finally {
      model.shutdown();
    }
  }
}
