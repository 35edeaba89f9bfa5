package io.payloadprocessor.modules.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.payloadprocessor.modules.common.GuardFixtures;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleFactory;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class PiiFactoryTest {
  static List<String> problems(String config) {
    try {
      GuardFixtures.create(new PiiFactory(), "p", config, new TestContext());
    } catch (ConfigException e) {
      return e.problems().stream().map(ConfigProblem::toString).toList();
    }
    throw new AssertionError("config was accepted: " + config);
  }

  @Test
  void registeredAsService() {
    assertThat(ServiceLoader.load(ModuleFactory.class).stream().map(p -> p.get().id()))
        .contains("pii", "prompt-guard");
  }

  @Test
  void detectorsRequired() {
    assertThat(problems("{}")).containsExactly("detectors: at least one detector is required");
  }

  @Test
  void everyProblemHasItsFieldPath() {
    List<String> p =
        problems(
            "{\"detectors\":[{\"type\":\"email\",\"action\":\"nuke\"},{\"type\":\"passport\"},"
                + "{\"type\":\"regex\",\"name\":\"x\",\"pattern\":\"([a-z\"},"
                + "{\"type\":\"regex\",\"pattern\":\"a+\"},"
                + "{\"type\":\"email\",\"mask\":\"blur\"},"
                + "{\"type\":\"regex\",\"name\":\"twice\",\"pattern\":\"(a)\\\\1\"}],"
                + "\"scope\":[\"content\",\"headers\"],\"status\":200}");
    assertThat(p)
        .anyMatch(s -> s.startsWith("detectors[0].action:"))
        .anyMatch(s -> s.startsWith("detectors[1].type: unknown detector 'passport'"))
        .anyMatch(s -> s.startsWith("detectors[2].pattern: invalid regular expression"))
        .anyMatch(s -> s.startsWith("detectors[3].name:"))
        .anyMatch(s -> s.startsWith("detectors[4].mask:"))
        .anyMatch(s -> s.startsWith("detectors[4].type: detector 'email' is configured twice"))
        .anyMatch(s -> s.startsWith("detectors[5].pattern: uses a backreference `\\1`"))
        .anyMatch(s -> s.startsWith("scope[1]:"))
        .anyMatch(s -> s.startsWith("status:"));
  }

  @Test
  void unknownFieldsAreRejectedWithPath() {
    assertThatThrownBy(
            () ->
                GuardFixtures.create(
                    new PiiFactory(),
                    "p",
                    "{\"detectors\":[{\"type\":\"email\",\"colour\":\"red\"}]}",
                    new TestContext()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> assertThat(e.problems().get(0).field()).isEqualTo("detectors[0].colour"));
  }

  @Test
  void patternOnlyWithRegexAndEmptyMatchRejected() {
    assertThat(problems("{\"detectors\":[{\"type\":\"email\",\"pattern\":\"x\"}]}"))
        .containsExactly("detectors[0].pattern: only allowed with type: regex");
    assertThat(problems("{\"detectors\":[{\"type\":\"regex\",\"name\":\"e\",\"pattern\":\"x*\"}]}"))
        .containsExactly("detectors[0].pattern: must not match the empty string");
  }

  @Test
  void secretsExpandsAndCustomRegexWorks() throws Exception {
    PiiProcessor p =
        (PiiProcessor)
            GuardFixtures.create(
                new PiiFactory(),
                "p",
                "{\"detectors\":[{\"type\":\"secrets\",\"action\":\"block\"},"
                    + "{\"type\":\"regex\",\"name\":\"employee-id\",\"pattern\":\"emp-[0-9]{6}\","
                    + "\"caseInsensitive\":true,\"maxLength\":10,\"replacement\":\"[EMP]\"}]}",
                new TestContext());
    assertThat(p.scanner().rules())
        .extracting(PiiRule::name)
        .containsExactly(
            "aws_access_key", "github_token", "api_key", "jwt", "private_key", "employee-id");
    List<Finding> f = p.scanner().scan("id EMP-123456");
    assertThat(f).hasSize(1);
    assertThat(Masker.apply("id EMP-123456", f, 0)).isEqualTo("id [EMP]");
  }
}
