package io.payloadprocessor.modules.bodyfieldtoheader;

import static io.payloadprocessor.modules.ModuleTestSupport.mutation;
import static io.payloadprocessor.modules.ModuleTestSupport.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.payloadprocessor.modules.ModuleTestSupport;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BodyFieldToHeaderTest {
  private final BodyFieldToHeaderFactory factory = new BodyFieldToHeaderFactory();

  private Mutation run(String config, Exchange ex) throws Exception {
    return mutation(ModuleTestSupport.create(factory, config).onRequest(ex));
  }

  @Test
  void defaultsCopyModelAndOverwriteClientValue() throws Exception {
    Exchange ex =
        post(
            "/v1/chat/completions",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"model\":\"gpt-4o\"}",
            "x-gateway-model-name",
            "client-chose-this");
    Mutation m = run("{}", ex);
    assertThat(m.setHeaders()).containsEntry("x-gateway-model-name", "gpt-4o").hasSize(1);
    assertThat(m.isClearRouteCache()).isTrue();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "$.metadata.tenant|acme",
        "$['metadata']['tenant']|acme",
        "$[\"metadata\"].tenant|acme",
        "$.messages[1].role|assistant",
        "$.metadata.tags[2]|c",
        "$.n|42",
        "$.f|1.50",
        "$.e|1e3",
        "$.neg|-2.5e-1",
        "$.huge|1e999999999",
        "$.b|true",
        "$.nb|false",
        "$.big|123456789012345678901234567890"
      })
  void jsonPathVariantsAndScalarsAsWritten(String path, String expected) throws Exception {
    String body =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"},{\"role\":\"assistant\"}],"
            + "\"metadata\":{\"x\":{\"tenant\":\"decoy\"},\"tenant\":\"acme\",\"tags\":[\"a\",\"b\",\"c\"]},"
            + "\"n\":42,\"f\":1.50,\"e\":1e3,\"neg\":-2.5e-1,\"b\":true,\"nb\":false,"
            + "\"big\":123456789012345678901234567890,\"huge\":1e999999999}";
    Mutation m =
        run(
            "{\"field\":\"" + path.replace("\"", "\\\"") + "\",\"header\":\"x-out\"}",
            post("/", body));
    assertThat(m.setHeaders()).containsEntry("x-out", expected);
  }

  @Test
  void missingFieldSkipsAndRemovesClientValue() throws Exception {
    Mutation m = run("{}", post("/", "{\"prompt\":\"x\"}", "x-gateway-model-name", "spoofed"));
    assertThat(m.setHeaders()).isEmpty();
    assertThat(m.removeHeaders()).containsExactly("x-gateway-model-name");
    assertThat(m.isClearRouteCache()).isTrue();
  }

  @Test
  void nullAndWrongTypeOnTheWayCountAsMissing() throws Exception {
    assertThat(run("{}", post("/", "{\"model\":null}")).setHeaders()).isEmpty();
    assertThat(run("{}", post("/", "{\"model\":\"\"}")).setHeaders()).isEmpty();
    assertThat(run("{\"field\":\"$.a.b\"}", post("/", "{\"a\":[1,2]}")).setHeaders()).isEmpty();
    assertThat(run("{\"field\":\"$.a[5]\"}", post("/", "{\"a\":[1,2]}")).setHeaders()).isEmpty();
    Mutation m = run("{}", post("/", "{\"model\":null}"));
    assertThat(m.isClearRouteCache()).isFalse(); // no client value: nothing changed routing
  }

  @Test
  void missingFieldRejectsWhenConfigured() throws Exception {
    Outcome o =
        ModuleTestSupport.create(factory, "{\"onMissing\":\"reject\"}").onRequest(post("/", "{}"));
    assertThat(o).isInstanceOf(Outcome.Reject.class);
    assertThat(((Outcome.Reject) o).block().status()).isEqualTo(400);
    assertThat(((Outcome.Reject) o).block().reason()).isEqualTo("missing_body_field");
  }

  @Test
  void objectValueAndControlCharactersAreRejected() throws Exception {
    Processor p = ModuleTestSupport.create(factory, "{}");
    Outcome obj = p.onRequest(post("/", "{\"model\":{\"name\":\"x\"}}"));
    assertThat(((Outcome.Reject) obj).block().reason()).isEqualTo("body_field_not_scalar");
    Outcome crlf = p.onRequest(post("/", "{\"model\":\"gpt\\r\\nx-admin: 1\"}"));
    assertThat(((Outcome.Reject) crlf).block().reason()).isEqualTo("invalid_header_value");
    assertThat(((Outcome.Reject) crlf).block().message()).doesNotContain("x-admin");
  }

  @Test
  void loraAdapterMapsToBaseModel() throws Exception {
    String config = "{\"loraAdapters\":{\"sql-lora\":\"llama-3-8b\"}}";
    Mutation adapter = run(config, post("/", "{\"model\":\"sql-lora\"}"));
    assertThat(adapter.setHeaders())
        .containsEntry("x-gateway-model-name", "sql-lora")
        .containsEntry("x-gateway-base-model-name", "llama-3-8b");
    Mutation base = run(config, post("/", "{\"model\":\"llama-3-8b\"}"));
    assertThat(base.setHeaders()).containsEntry("x-gateway-base-model-name", "llama-3-8b");
    Mutation none = run(config, post("/", "{}", "x-gateway-base-model-name", "spoofed"));
    assertThat(none.removeHeaders()).contains("x-gateway-base-model-name");
    assertThat(run("{}", post("/", "{\"model\":\"sql-lora\"}")).setHeaders())
        .doesNotContainKey("x-gateway-base-model-name");
  }

  @Test
  void gzipBodyIsDecodedFirst() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write("{\"model\":\"zipped\"}".getBytes(StandardCharsets.UTF_8));
    }
    Mutation m = run("{}", post("/", out.toByteArray(), "content-encoding", "gzip"));
    assertThat(m.setHeaders()).containsEntry("x-gateway-model-name", "zipped");
  }

  @Test
  void nonJsonBodyIs400() {
    assertThatThrownBy(() -> run("{}", post("/", "model=gpt-4")))
        .isInstanceOfSatisfying(BodyException.class, e -> assertThat(e.status()).isEqualTo(400));
    assertThatThrownBy(() -> run("{}", post("/", "")))
        .isInstanceOfSatisfying(
            BodyException.class, e -> assertThat(e.reason()).isEqualTo("invalid_json"));
    assertThatThrownBy(() -> run("{}", post("/", "{\"model\":\"a\"} trailing")))
        .isInstanceOfSatisfying(
            BodyException.class, e -> assertThat(e.reason()).isEqualTo("invalid_json"));
  }

  @Test
  void duplicateKeysAre400EvenAfterTheField() {
    for (String body :
        List.of(
            "{\"model\":\"a\",\"model\":\"b\"}",
            "{\"model\":\"a\",\"messages\":[],\"model\":\"b\"}",
            "{\"model\":\"a\",\"x\":{\"k\":1,\"k\":2}}")) {
      assertThatThrownBy(() -> run("{}", post("/", body)))
          .as(body)
          .isInstanceOfSatisfying(
              BodyException.class,
              e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.reason()).isEqualTo("duplicate_json_key");
              });
    }
  }

  @Test
  void untilFieldStopsAtTheFieldButStillSeesDuplicatesBeforeIt() throws Exception {
    String config = "{\"scan\":\"untilField\"}";
    Mutation m = run(config, post("/", "{\"model\":\"a\", this is never read"));
    assertThat(m.setHeaders()).containsEntry("x-gateway-model-name", "a");
    assertThatThrownBy(() -> run(config, post("/", "{\"x\":1,\"x\":2,\"model\":\"a\"}")))
        .isInstanceOfSatisfying(
            BodyException.class, e -> assertThat(e.reason()).isEqualTo("duplicate_json_key"));
  }

  @Test
  void tooDeepIs400() {
    String deep = "{\"a\":".repeat(200) + "1" + "}".repeat(200);
    assertThatThrownBy(() -> run("{}", post("/", deep)))
        .isInstanceOfSatisfying(
            BodyException.class, e -> assertThat(e.reason()).isEqualTo("json_too_deep"));
  }

  @Test
  void configProblemsNameTheirField() {
    assertThat(problems("{\"field\":\"$..model\",\"header\":\"bad header\"}"))
        .extracting(ConfigProblem::field)
        .containsExactly("field", "header");
    assertThat(problems("{\"field\":\"$.messages[*]\"}"))
        .extracting(ConfigProblem::field)
        .containsExactly("field");
    assertThat(problems("{\"onMissing\":\"drop\"}"))
        .extracting(ConfigProblem::field)
        .containsExactly("onMissing");
    assertThat(problems("{\"feild\":\"$.model\"}"))
        .extracting(ConfigProblem::field)
        .containsExactly("feild");
    assertThat(problems("{\"loraAdapters\":{\"a\":\"\"}}"))
        .extracting(ConfigProblem::field)
        .containsExactly("loraAdapters.a");
  }

  private List<ConfigProblem> problems(String config) {
    try {
      ModuleTestSupport.create(factory, config);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("config accepted: " + config);
  }

  @Test
  void allRoutingModulesAreServiceLoaded() {
    List<String> ids = new ArrayList<>();
    ServiceLoader.load(ModuleFactory.class).forEach(f -> ids.add(f.id()));
    assertThat(ids)
        .contains(
            "body-field-to-header", "semantic-router", "usage-metering", "credential-injector");
  }
}
