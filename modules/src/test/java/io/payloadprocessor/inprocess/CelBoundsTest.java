package io.payloadprocessor.inprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The run-time and load-time bounds of InProcess CEL: hostile expressions next to the normal ones
 * they resemble. Memory is measured as the bytes the evaluating thread allocated (HotSpot's
 * per-thread counter), so a refusal is shown to come before the allocation, not after it.
 */
class CelBoundsTest {
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final int MIB = 1 << 20;

  static CelTransformProcessor processor(String yaml) throws Exception {
    return CelTransformProcessor.fromConfig("t", YAML.readTree(yaml));
  }

  static String headerYaml(String expression) {
    return "request:\n  setHeaders:\n    - name: X-Out\n      value: '"
        + expression.replace("'", "''")
        + "'\n";
  }

  static Exchange post(String body) {
    Headers h =
        new Headers()
            .set(":method", "POST")
            .set(":path", "/v1/chat/completions")
            .set("content-type", "application/json");
    return new MutableExchange(
        "req-1", new HttpMessage(h, body.getBytes(StandardCharsets.UTF_8), true), Map.of());
  }

  /** A chat body of about {@code bytes} bytes: one long user message. */
  static String bigChat(int bytes) {
    return "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + "a".repeat(bytes)
        + "\"},{\"role\":\"user\",\"content\":\"b\"}]}";
  }

  private static Mutation run(String yaml, Exchange ex) throws Exception {
    Outcome o = processor(yaml).onRequest(ex);
    assertThat(o).isInstanceOf(Outcome.Continue.class);
    return ((Outcome.Continue) o).mutation();
  }

  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  /** Runs {@code yaml} on {@code ex}, returning what it threw, and the bytes it allocated. */
  private static Throwable refusal(String yaml, Exchange ex, long maxAllocated) throws Exception {
    CelTransformProcessor p = processor(yaml);
    ex.request().body(); // decoding is not the expression's doing
    long before = allocated();
    Throwable thrown = null;
    try {
      p.onRequest(ex);
    } catch (Exception e) {
      thrown = e;
    }
    long used = allocated() - before;
    assertThat(used).as("bytes allocated by the evaluation").isLessThan(maxAllocated);
    return thrown;
  }

  @Test
  void concatenatingTheBodyIsRefusedBeforeItGrows() throws Exception {
    // The reproduction: 170 copies of a 2 MB body, concatenated (340 MB of text, GBs of garbage),
    // grouped so that the expression stays within the parser's nesting limit.
    String expr = "size(" + concatenation("string(request.body)", 170) + ") > 0";
    Throwable t = refusal(headerYaml(expr), post(bigChat(2 * MIB)), 64L * MIB);
    assertThat(t)
        .isInstanceOf(CelTransformException.class)
        .hasMessageContaining("setHeaders[0]")
        .hasMessageContaining("over the limit");
    // The normal use of the same conversion works on the same body.
    assertThat(
            run(headerYaml("string(request.body).contains('\"role\"')"), post(bigChat(2 * MIB)))
                .setHeaders())
        .containsEntry("x-out", "true");
  }

  /**
   * {@code n} copies of {@code leaf} joined with + as a balanced tree: (a+a)+(a+a)..., as short as
   * the length limit needs
   */
  static String concatenation(String leaf, int n) {
    if (n == 1) {
      return leaf;
    }
    return "(" + concatenation(leaf, n / 2) + "+" + concatenation(leaf, n - n / 2) + ")";
  }

  @Test
  void copyingTheBodyPerElementIsRefusedAtLoad() throws Exception {
    assertThatThrownBy(
            () ->
                processor(
                    headerYaml("size(json(request.body).messages.map(m, string(request.body)))")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems().get(0).message())
                    .contains("request.body is copied inside a macro"));
    assertThatThrownBy(
            () ->
                processor(
                    headerYaml(
                        "json(request.body).messages.exists(x, size(request.body + b'x') > 3)")))
        .isInstanceOf(ConfigException.class);
    // Over a list written in the expression the copies are bounded by the expression itself (and
    // the run-time budget still applies): accepted.
    assertThat(processor(headerYaml("[1, 2].exists(x, size(request.body + b'x') > 3)")))
        .isNotNull();
  }

  @Test
  void aMacroThatGrowsValuesFromTheBodyIsRefusedAtRunTime() throws Exception {
    // Not decidable at load: each element's content is doubled, 1000 times over a 2 MB body.
    String body =
        "{\"messages\":["
            + ("{\"content\":\"" + "a".repeat(2000) + "\"},").repeat(999)
            + "{\"content\":\"a\"}]}";
    String expr =
        "size(json(request.body).messages.map(m, m.content + m.content + m.content + m.content"
            + " + m.content + m.content + m.content + m.content))";
    Throwable t = refusal(headerYaml(expr), post(body), 96L * MIB);
    assertThat(t).isInstanceOf(CelTransformException.class).hasMessageContaining("total size");
    // A macro over the same messages that reads them works.
    assertThat(
            run(
                    headerYaml("json(request.body).messages.all(m, size(m.content) < 5000)"),
                    post(body))
                .setHeaders())
        .containsEntry("x-out", "true");
  }

  @Test
  void aValueOverTheValueBoundIsRefused() throws Exception {
    // Without a body the bound is 1 Mi units: 2^21 characters built by doubling.
    String expr =
        "size([1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22]"
            + ".map(x, 'a').filter(x, true)) > 0 && size('"
            + "a".repeat(1024)
            + "' + '"
            + "a".repeat(1024)
            + "') > 0";
    // Within bounds: this one is fine.
    assertThat(run(headerYaml(expr), post("{}")).setHeaders()).containsEntry("x-out", "true");
    // Three copies of a 1.5 MiB field of a 3 MiB body: 4.5 MiB in one value, over 1 Mi + 3 Mi.
    String half = "a".repeat(3 * MIB / 2);
    String body = "{\"x\":\"" + half + "\",\"y\":\"" + half + "\"}";
    Throwable t =
        refusal(
            headerYaml(
                "size(json(request.body).x + json(request.body).x + json(request.body).x) > 0"),
            post(body),
            48L * MIB);
    assertThat(t)
        .isInstanceOf(CelTransformException.class)
        .hasMessageContaining("produced a value of size");
    assertThat(
            run(headerYaml("size(json(request.body).x + json(request.body).y) > 0"), post(body))
                .setHeaders())
        .containsEntry("x-out", "true");
  }

  @Test
  void anInterruptedEvaluationStops() throws Exception {
    CelTransformProcessor p =
        processor(headerYaml("string([1,2,3].map(x, [4,5,6].map(y, x * y)).size())"));
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> p.onRequest(post("{}")))
          .isInstanceOf(CelTransformException.class)
          .hasMessageContaining("interrupted");
    } finally {
      Thread.interrupted();
    }
    assertThat(((Outcome.Continue) p.onRequest(post("{}"))).mutation().setHeaders())
        .containsEntry("x-out", "3");
  }

  @Test
  void numbersReachHeadersAsTheBodyWroteThem() throws Exception {
    String body =
        "{\"model\":1e999999999,\"t\":1.50,\"big\":123456789012345678901234567890,"
            + "\"e\":-2.5E-3,\"n\":[0.1e1],\"i\":42}";
    long before = allocated();
    Mutation m =
        run(
            """
            request:
              setHeaders:
                - {name: a, value: 'json(request.body).model'}
                - {name: b, value: 'json(request.body).t'}
                - {name: c, value: 'json(request.body).big'}
                - {name: d, value: 'json(request.body).e'}
                - {name: e, value: 'json(request.body).n[0]'}
                - {name: f, value: 'json(request.body).i'}
                - {name: g, value: 'json(request.body).n'}
            """,
            post(body));
    assertThat(allocated() - before).isLessThan(64L * MIB);
    assertThat(m.setHeaders())
        .containsEntry("a", "1e999999999")
        .containsEntry("b", "1.50")
        .containsEntry("c", "123456789012345678901234567890")
        .containsEntry("d", "-2.5E-3")
        .containsEntry("e", "0.1e1")
        .containsEntry("f", "42")
        .containsEntry("g", "[1]");
    // A number computed by the expression is CEL's own double.
    assertThat(run(headerYaml("json(request.body).t * 2.0"), post(body)).setHeaders())
        .containsEntry("x-out", "3.0");
  }

  @Test
  void numbersCopiedToBodyFieldsKeepTheirExactValue() throws Exception {
    String body = "{\"a\":1e999999999,\"b\":0.1000000000000000000001}";
    Mutation m =
        run(
            """
            request:
              setBodyFields:
                - {path: $.x, value: 'json(request.body).a'}
                - {path: $.y, value: 'json(request.body).b'}
            """,
            post(body));
    JsonNode out = m.json();
    assertThat(out.get("x").decimalValue()).isEqualTo(new BigDecimal("1e999999999"));
    assertThat(out.get("y").decimalValue()).isEqualTo(new BigDecimal("0.1000000000000000000001"));
    assertThat(HttpMessage.JSON.writeValueAsString(out).length()).isLessThan(200);
  }

  @Test
  void matchesNeedsALiteralPattern() throws Exception {
    assertThatThrownBy(
            () -> processor(headerYaml("request.path.matches(json(request.body).pattern)")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> assertThat(e.problems().get(0).message()).contains("must be a string literal"));
    assertThat(run(headerYaml("request.path.matches('^/v1/.*$')"), post("{}")).setHeaders())
        .containsEntry("x-out", "true");
  }
}
