package io.payloadprocessor.modules.mcprouter;

import static org.assertj.core.api.Assertions.assertThat;

import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.Execution;
import java.util.List;
import org.junit.jupiter.api.Test;

class McpRouterFactoryTest {
  private static List<String> problemFields(String json) {
    try {
      McpHarness.router(json);
    } catch (ConfigException e) {
      return e.problems().stream().map(ConfigProblem::field).toList();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("config accepted: " + json);
  }

  @Test
  void defaults() throws Exception {
    McpRouterProcessor r = McpHarness.router(null);
    assertThat(r.readsRequestBody()).isTrue();
    assertThat(r.handlesResponse()).isTrue();
    assertThat(r.readsResponseBody()).isFalse();
    assertThat(r.execution()).isEqualTo(Execution.INLINE);
    McpRouterProcessor policy = McpHarness.router("{\"tools\":{\"deny\":[\"x\"]}}");
    assertThat(policy.readsResponseBody()).isTrue();
    assertThat(policy.streamsSse()).isTrue();
  }

  @Test
  void everyProblemIsReportedWithItsFieldPath() {
    assertThat(
            problemFields(
                "{\"session\":{\"backendHeader\":\"\",\"backendResponseHeader\":\":authority\","
                    + "\"ttlSeconds\":0,\"maxSessions\":-1},"
                    + "\"tools\":{\"allow\":[\"ok\",\"\"]},\"store\":{\"type\":\"etcd\"}}"))
        .containsExactlyInAnyOrder(
            "session.backendHeader",
            "session.backendResponseHeader",
            "session.ttlSeconds",
            "session.maxSessions",
            "tools.allow[1]",
            "store.type");
    assertThat(problemFields("{\"tools\":{\"alow\":[]}}")).containsExactly("tools.alow");
  }

  @Test
  void globs() {
    ToolPolicy p = new ToolPolicy(List.of("get_*", "a.b"), List.of("*_secret"));
    assertThat(p.allows("get_weather")).isTrue();
    assertThat(p.allows("get_secret")).isFalse();
    assertThat(p.allows("a.b")).isTrue();
    assertThat(p.allows("axb")).isFalse();
    assertThat(p.allows(null)).isFalse();
    assertThat(new ToolPolicy(List.of(), List.of()).isActive()).isFalse();
  }
}
