package io.payloadprocessor.modules.credentialinjector;

import static io.payloadprocessor.modules.ModuleTestSupport.configJson;
import static io.payloadprocessor.modules.ModuleTestSupport.mutation;
import static io.payloadprocessor.modules.ModuleTestSupport.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.payloadprocessor.config.ModuleConfigs;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.spi.BackendException;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Processor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialInjectorTest {
  static final String OPENAI_KEY = "sk-test-openai-0001";
  static final String ANTHROPIC_KEY = "sk-ant-test-0002";
  static final String DEFAULT_KEY = "azure-test-0003";

  @TempDir Path dir;
  private final AtomicLong nanos = new AtomicLong();
  private CredentialInjectorFactory factory;

  static final String CONFIG =
      "{\"refreshInterval\":\"5s\",\"entries\":["
          + "{\"name\":\"openai\",\"models\":[\"gpt-4o\",\"gpt-4o-mini\"],"
          + "\"keyFile\":\"secrets/openai.key\"},"
          + "{\"models\":[\"claude-sonnet-4\"],\"keyFile\":\"secrets/anthropic.key\","
          + "\"provider\":\"anthropic\"},"
          + "{\"default\":true,\"keyFile\":\"secrets/default.key\",\"header\":\"api-key\"}]}";

  @BeforeEach
  void setUp() throws Exception {
    factory = new CredentialInjectorFactory(nanos::get);
    Files.createDirectories(dir.resolve("secrets"));
    Files.writeString(dir.resolve("secrets/openai.key"), OPENAI_KEY + "\n");
    Files.writeString(dir.resolve("secrets/anthropic.key"), ANTHROPIC_KEY);
    Files.writeString(dir.resolve("secrets/default.key"), DEFAULT_KEY + "\n");
  }

  private Processor create(String config) throws ConfigException {
    return factory.create("creds", configJson(config), new TestContext(dir));
  }

  private static final String[] CLIENT_CREDS = {
    "authorization", "Bearer client-own", "x-api-key", "client-own", "api-key", "client-own"
  };

  private static String[] withModelHeader(String model) {
    String[] h = new String[CLIENT_CREDS.length + 2];
    System.arraycopy(CLIENT_CREDS, 0, h, 0, CLIENT_CREDS.length);
    h[h.length - 2] = "x-gateway-model-name";
    h[h.length - 1] = model;
    return h;
  }

  @Test
  void matchesByHeaderAndReplacesClientCredentials() throws Exception {
    Processor p = create(CONFIG);
    assertThat(p.readsRequestBody()).isFalse();
    Mutation m = mutation(p.onRequest(post("/v1/chat/completions", "", withModelHeader("gpt-4o"))));
    assertThat(m.removeHeaders()).containsExactly("authorization", "x-api-key", "api-key");
    assertThat(m.setHeaders())
        .containsExactly(java.util.Map.entry("authorization", "Bearer " + OPENAI_KEY));

    Mutation a =
        mutation(p.onRequest(post("/v1/messages", "", withModelHeader("claude-sonnet-4"))));
    assertThat(a.setHeaders()).containsExactly(java.util.Map.entry("x-api-key", ANTHROPIC_KEY));

    Mutation d = mutation(p.onRequest(post("/v1/chat/completions", "", withModelHeader("other"))));
    assertThat(d.setHeaders()).containsExactly(java.util.Map.entry("api-key", DEFAULT_KEY));
    Mutation none = mutation(p.onRequest(post("/v1/chat/completions", "", CLIENT_CREDS)));
    assertThat(none.setHeaders()).containsExactly(java.util.Map.entry("api-key", DEFAULT_KEY));
  }

  @Test
  void matchesByBodyModel() throws Exception {
    Processor p =
        create(CONFIG.replace("{\"refreshInterval\"", "{\"matchBy\":\"body\",\"refreshInterval\""));
    assertThat(p.readsRequestBody()).isTrue();
    Mutation m =
        mutation(
            p.onRequest(
                post(
                    "/v1/chat/completions",
                    "{\"model\":\"gpt-4o-mini\"}",
                    withModelHeader("claude-sonnet-4"))));
    assertThat(m.setHeaders()).containsEntry("authorization", "Bearer " + OPENAI_KEY);
  }

  @Test
  void noMatchAndNoDefaultStripsClientCredentialsOnly() throws Exception {
    Processor p =
        create("{\"entries\":[{\"models\":[\"gpt-4o\"],\"keyFile\":\"secrets/openai.key\"}]}");
    Mutation m = mutation(p.onRequest(post("/", "", withModelHeader("llama"))));
    assertThat(m.setHeaders()).isEmpty();
    assertThat(m.removeHeaders()).contains("authorization", "x-api-key", "api-key");
  }

  @Test
  void rotatedKeyIsPickedUpAfterTheRefreshInterval() throws Exception {
    Processor p = create(CONFIG);
    String[] h = withModelHeader("gpt-4o");
    assertThat(mutation(p.onRequest(post("/", "", h))).setHeaders().get("authorization"))
        .isEqualTo("Bearer " + OPENAI_KEY);
    Files.writeString(dir.resolve("secrets/openai.key"), "sk-rotated-0009\n");
    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(mutation(p.onRequest(post("/", "", h))).setHeaders().get("authorization"))
        .isEqualTo("Bearer " + OPENAI_KEY); // still cached
    nanos.addAndGet(Duration.ofSeconds(5).toNanos());
    assertThat(mutation(p.onRequest(post("/", "", h))).setHeaders().get("authorization"))
        .isEqualTo("Bearer sk-rotated-0009");
  }

  @Test
  void missingOrEmptyKeyFileIsABackendErrorWithoutTheKey() throws Exception {
    Processor p = create(CONFIG);
    Files.delete(dir.resolve("secrets/anthropic.key"));
    assertThatThrownBy(() -> p.onRequest(post("/", "", withModelHeader("claude-sonnet-4"))))
        .isInstanceOf(BackendException.class)
        .hasMessage("the upstream credential of entries[1] is not available")
        .hasMessageNotContaining("anthropic.key");
    // A file deleted after it was read stops working once the cached key expires.
    p.onRequest(post("/", "", withModelHeader("gpt-4o")));
    Files.delete(dir.resolve("secrets/openai.key"));
    nanos.addAndGet(Duration.ofSeconds(6).toNanos());
    assertThatThrownBy(() -> p.onRequest(post("/", "", withModelHeader("gpt-4o"))))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("entry 'openai'")
        .hasMessageNotContaining(OPENAI_KEY);
    Files.writeString(dir.resolve("secrets/default.key"), "  \n");
    assertThatThrownBy(() -> p.onRequest(post("/", "", withModelHeader("x"))))
        .isInstanceOf(BackendException.class)
        .hasMessage("the upstream credential of entries[2] is not available");
    Files.writeString(dir.resolve("secrets/default.key"), "secret-part\r\ninjected: 1");
    nanos.addAndGet(Duration.ofSeconds(6).toNanos());
    assertThatThrownBy(() -> p.onRequest(post("/", "", withModelHeader("x"))))
        .isInstanceOf(BackendException.class)
        .hasMessageNotContaining("secret-part")
        .hasMessageNotContaining("injected");
  }

  @Test
  void configAndSecretsNeverPrintTheKey() throws Exception {
    CredentialInjectorConfig c =
        ModuleConfigs.bind(configJson(CONFIG), CredentialInjectorConfig.class);
    assertThat(c.toString()).contains("secrets/openai.key").doesNotContain(OPENAI_KEY);
    assertThat(new Secret(OPENAI_KEY).toString()).doesNotContain(OPENAI_KEY);
    Processor p = create(CONFIG);
    p.onRequest(post("/", "", withModelHeader("gpt-4o")));
    assertThat(p.toString()).doesNotContain(OPENAI_KEY);
  }

  @Test
  void configProblemsNameTheirField() {
    try {
      create(
          "{\"refreshInterval\":\"soon\",\"entries\":[{\"models\":[\"a\"]},"
              + "{\"models\":[\"a\"],\"keyFile\":\"k\",\"header\":\"bad header\"},"
              + "{\"default\":true,\"keyFile\":\"k\"},{\"default\":true,\"keyFile\":\"k\"},"
              + "{\"keyFile\":\"k\"}]}");
    } catch (ConfigException e) {
      assertThat(e.problems())
          .extracting(ConfigProblem::field)
          .containsExactlyInAnyOrder(
              "refreshInterval",
              "entries[0].keyFile",
              "entries[1].header",
              "entries[1].models[0]",
              "entries[3].default",
              "entries[4]");
      return;
    }
    throw new AssertionError("config accepted");
  }

  @Test
  void durations() {
    assertThat(CredentialInjectorFactory.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(CredentialInjectorFactory.parseDuration("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(CredentialInjectorFactory.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(CredentialInjectorFactory.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(CredentialInjectorFactory.parseDuration("-1s")).isNull();
    assertThat(CredentialInjectorFactory.parseDuration("soon")).isNull();
  }
}
