package io.payloadprocessor.modules.semanticrouter;

import static io.payloadprocessor.modules.ModuleTestSupport.mutation;
import static io.payloadprocessor.modules.ModuleTestSupport.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.payloadprocessor.config.ModuleConfigs;
import io.payloadprocessor.modules.ModuleTestSupport;
import io.payloadprocessor.modules.common.MiniLmEmbeddings;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs the real all-MiniLM-L6-v2 model. */
class SemanticRouterTest {
  static final String ROUTES =
      "\"routes\":["
          + "{\"name\":\"math\",\"examples\":[\"What is the derivative of x squared?\","
          + "\"Solve the equation 3x + 5 = 20\",\"What is the integral of sin(x)?\","
          + "\"How do I compute the determinant of a matrix?\"],"
          + "\"target\":{\"headers\":{\"x-gateway-destination\":\"math-pool\"},"
          + "\"model\":\"qwen-math\"}},"
          + "{\"name\":\"cooking\",\"examples\":[\"How long should I boil an egg?\","
          + "\"Give me a recipe for pizza dough\",\"What spices go well with roast chicken?\","
          + "\"How do I bake sourdough bread?\"],"
          + "\"target\":{\"headers\":{\"x-gateway-destination\":\"chef-pool\"}}}]";

  static Processor centroid;
  static Processor nearest;

  @BeforeAll
  static void build() throws ConfigException {
    SemanticRouterFactory f = new SemanticRouterFactory();
    centroid =
        ModuleTestSupport.create(
            f,
            "{"
                + ROUTES
                + ",\"threshold\":0.3,\"defaultRoute\":{\"name\":\"general\","
                + "\"target\":{\"model\":\"llama-small\"}}}");
    nearest =
        ModuleTestSupport.create(f, "{" + ROUTES + ",\"threshold\":0.3,\"match\":\"nearest\"}");
  }

  private static String chat(String... userThenOthers) {
    StringBuilder sb = new StringBuilder("{\"model\":\"auto\",\"messages\":[");
    for (int i = 0; i < userThenOthers.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append("{\"role\":\"user\",\"content\":\"").append(userThenOthers[i]).append("\"}");
    }
    return sb.append("]}").toString();
  }

  private static Mutation route(Processor p, String body) throws Exception {
    return mutation(p.onRequest(post("/v1/chat/completions", body)));
  }

  @Test
  void mathQuestionsRouteToMath() throws Exception {
    for (String q :
        List.of(
            "Can you help me find the roots of x^2 - 4x + 3?",
            "What is the integral of x cubed?",
            "Calculate the eigenvalues of this matrix")) {
      Mutation m = route(centroid, chat(q));
      assertThat(m.setHeaders()).as(q).containsEntry("x-payload-processor-route", "math");
      assertThat(m.setHeaders()).containsEntry("x-gateway-destination", "math-pool");
      assertThat(m.json().get("model").asText()).isEqualTo("qwen-math");
      assertThat(m.json().get("messages").size()).isEqualTo(1); // rest of the body kept
      assertThat(m.isClearRouteCache()).isTrue();
    }
  }

  @Test
  void cookingQuestionRoutesToCooking() throws Exception {
    Mutation m = route(centroid, chat("What temperature should I roast a turkey at?"));
    assertThat(m.setHeaders())
        .containsEntry("x-payload-processor-route", "cooking")
        .containsEntry("x-gateway-destination", "chef-pool");
    assertThat(m.json()).isNull(); // no model rewrite on this route
    double score = Double.parseDouble(m.setHeaders().get("x-payload-processor-route-score"));
    assertThat(score).isBetween(0.3, 1.0);
    @SuppressWarnings("unchecked")
    Map<String, Object> md = (Map<String, Object>) m.metadata().get("semantic_route");
    assertThat(md).containsEntry("route", "cooking").containsEntry("decision", "matched");
    assertThat((Double) md.get("score")).isCloseTo(score, within(0.0001));
  }

  @Test
  void gibberishGoesToTheDefaultRoute() throws Exception {
    Mutation m = route(centroid, chat("zxqv plorb wintlefrump kazoo vreem 8821"));
    assertThat(m.setHeaders()).containsEntry("x-payload-processor-route", "general");
    assertThat(m.setHeaders()).doesNotContainKey("x-gateway-destination");
    assertThat(m.json().get("model").asText()).isEqualTo("llama-small");
    @SuppressWarnings("unchecked")
    Map<String, Object> md = (Map<String, Object>) m.metadata().get("semantic_route");
    assertThat(md).containsEntry("decision", "below_threshold");
  }

  @Test
  void nearestExampleMatching() throws Exception {
    Mutation m = route(nearest, chat("How long do I boil an egg for a runny yolk?"));
    assertThat(m.setHeaders()).containsEntry("x-payload-processor-route", "cooking");
    double score = Double.parseDouble(m.setHeaders().get("x-payload-processor-route-score"));
    assertThat(score).isGreaterThan(0.7); // close to one example, not just the centroid
  }

  @Test
  void lastUserMessageDecidesByDefaultAllUserOnRequest() throws Exception {
    String body = chat("Give me a recipe for banana bread", "Now solve 2x + 7 = 15 for x");
    assertThat(route(centroid, body).setHeaders())
        .containsEntry("x-payload-processor-route", "math");
    Processor all =
        ModuleTestSupport.create(
            new SemanticRouterFactory(),
            "{" + ROUTES + ",\"input\":\"allUser\",\"match\":\"nearest\",\"threshold\":0.2}");
    String cookingHeavy =
        chat(
            "How do I bake sourdough bread?",
            "What spices go well with roast chicken?",
            "and what about the number 2?");
    assertThat(route(all, cookingHeavy).setHeaders())
        .containsEntry("x-payload-processor-route", "cooking");
  }

  @Test
  void readsAnthropicBlocksAndResponsesInput() throws Exception {
    String anthropic =
        "{\"model\":\"claude\",\"system\":\"be brief\",\"messages\":[{\"role\":\"user\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"What is the integral of 1/x?\"}]}]}";
    assertThat(
            mutation(centroid.onRequest(post("/v1/messages", anthropic)))
                .setHeaders()
                .get("x-payload-processor-route"))
        .isEqualTo("math");
    String responses = "{\"model\":\"gpt\",\"input\":\"Which herbs go in a pesto sauce?\"}";
    assertThat(route(centroid, responses).setHeaders())
        .containsEntry("x-payload-processor-route", "cooking");
  }

  @Test
  void noUserTextIsTheDefaultRoute() throws Exception {
    Mutation m =
        route(centroid, "{\"messages\":[{\"role\":\"system\",\"content\":\"You are a chef\"}]}");
    assertThat(m.setHeaders())
        .containsEntry("x-payload-processor-route", "general")
        .containsEntry("x-payload-processor-route-score", "0.0000");
    @SuppressWarnings("unchecked")
    Map<String, Object> md = (Map<String, Object>) m.metadata().get("semantic_route");
    assertThat(md).containsEntry("decision", "no_input");
  }

  @Test
  void configProblemsNameTheirField() {
    try {
      ModuleTestSupport.create(
          new SemanticRouterFactory(),
          "{\"routes\":[{\"name\":\"a\",\"examples\":[]},{\"name\":\"a\",\"examples\":[\" \"],"
              + "\"target\":{\"headers\":{\"bad name\":\"v\"}}}],\"threshold\":2,"
              + "\"defaultRoute\":{\"name\":\"a\"}}");
    } catch (ConfigException e) {
      assertThat(e.problems())
          .extracting(ConfigProblem::field)
          .containsExactlyInAnyOrder(
              "routes[0].examples",
              "routes[1].name",
              "routes[1].examples[0]",
              "routes[1].target.headers",
              "defaultRoute.name",
              "threshold");
      return;
    }
    throw new AssertionError("config accepted");
  }

  @Test
  void waitsOnTheModelWithoutAThreadAndACancelledDecisionLeavesTheQueue() throws Exception {
    MiniLmEmbeddings model = new MiniLmEmbeddings(1, 0);
    try {
      SemanticRouterProcessor router =
          new SemanticRouterProcessor(
              ModuleConfigs.bind(
                  HttpMessage.JSON.readTree("{" + ROUTES + "}"), SemanticRouterConfig.class),
              model);
      assertThat(router.execution()).isEqualTo(Execution.ASYNC);
      // Keep the model's one thread busy with long texts for a while.
      List<CompletableFuture<float[]>> busy = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        busy.add(model.embedAsync(("busy text number " + i + " ").repeat(40)));
      }
      CompletableFuture<Outcome> decision =
          router
              .onRequestAsync(post("/v1/chat/completions", chat("What is 2 + 2?")))
              .toCompletableFuture();
      assertThat(decision).isNotDone(); // returned at once: the embedding waits in the queue
      decision.cancel(false);
      CompletableFuture.allOf(busy.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
      assertThat(model.cancelled()).isEqualTo(1);
      assertThat(model.batchedTexts()).isEqualTo(16); // the prompt was never embedded
      // The same router still decides when nothing cancels it.
      Outcome o =
          router
              .onRequestAsync(post("/v1/chat/completions", chat("Solve 2x = 10 for x")))
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      assertThat(mutation(o).setHeaders()).containsEntry("x-payload-processor-route", "math");
    } finally {
      model.shutdown();
    }
  }
}
