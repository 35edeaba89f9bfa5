package io.payloadprocessor.modules.semanticcache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.payloadprocessor.modules.mcprouter.McpRouterFactory;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Processor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class SemanticCacheFactoryTest {
  private static Processor create(String json) throws Exception {
    return new SemanticCacheFactory()
        .create(
            "cache",
            json == null ? null : HttpMessage.parseJson(json.getBytes(StandardCharsets.UTF_8)),
            new TestContext());
  }

  private static List<String> problemFields(String json) {
    try {
      create(json);
    } catch (ConfigException e) {
      return e.problems().stream().map(ConfigProblem::field).toList();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("config accepted: " + json);
  }

  @Test
  void defaultsAreAnExactThenSemanticMemoryCache() throws Exception {
    Processor p = create(null);
    assertThat(p).isInstanceOf(SemanticCacheProcessor.class);
    assertThat(p.execution()).isNotEqualTo(Execution.INLINE);
    assertThat(create("{\"mode\":\"exact\"}").execution()).isEqualTo(Execution.INLINE);
  }

  @Test
  void everyProblemIsReportedWithItsFieldPath() {
    assertThat(
            problemFields(
                "{\"mode\":\"fuzzy\",\"similarityThreshold\":1.5,\"ttlSeconds\":0,"
                    + "\"maxEntries\":0,\"maxEntriesPerPartition\":0,\"tenantHeader\":\":path\","
                    + "\"store\":{\"type\":\"memcached\"}}"))
        .containsExactlyInAnyOrder(
            "mode",
            "similarityThreshold",
            "ttlSeconds",
            "maxEntries",
            "maxEntriesPerPartition",
            "tenantHeader",
            "store.type");
  }

  @Test
  void unknownFieldsAndBadRedisSettingsAreRejected() {
    assertThat(problemFields("{\"store\":{\"tpye\":\"redis\"}}")).containsExactly("store.tpye");
    assertThat(problemFields("{\"store\":{\"type\":\"redis\"}}")).containsExactly("store.url");
    assertThat(problemFields("{\"store\":{\"type\":\"redis\",\"url\":\"http://x\"}}"))
        .containsExactly("store.url");
    assertThat(problemFields("{\"store\":{\"url\":\"redis://x:6379\"}}"))
        .containsExactly("store.url");
  }

  @Test
  void badRedisUrlErrorDoesNotRepeatThePassword() {
    assertThatThrownBy(
            () -> create("{\"store\":{\"type\":\"redis\",\"url\":\"redis://:s3cret@[bad:6379\"}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void bothModulesAreRegisteredAsServices() {
    List<String> ids =
        ServiceLoader.load(ModuleFactory.class).stream()
            .map(ServiceLoader.Provider::get)
            .map(ModuleFactory::id)
            .toList();
    assertThat(ids).contains(SemanticCacheFactory.ID, McpRouterFactory.ID);
  }
}
