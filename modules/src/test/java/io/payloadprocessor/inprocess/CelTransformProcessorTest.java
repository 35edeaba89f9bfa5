package io.payloadprocessor.inprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CelTransformProcessorTest {
  private static final YAMLMapper YAML = new YAMLMapper();

  private static CelTransformProcessor processor(String yaml) throws Exception {
    return CelTransformProcessor.fromConfig("t", YAML.readTree(yaml));
  }

  private static MutableExchange exchange(
      String method, String path, String body, String... headers) {
    Headers h = new Headers().set(":method", method).set(":path", path);
    for (int i = 0; i < headers.length; i += 2) {
      h.add(headers[i], headers[i + 1]);
    }
    HttpMessage msg =
        new HttpMessage(
            h, body == null ? null : body.getBytes(StandardCharsets.UTF_8), body != null);
    return new MutableExchange("req-1", msg, Map.of());
  }

  private static MutableExchange post(String body) {
    return exchange("POST", "/v1/chat/completions", body, "content-type", "application/json");
  }

  private static Mutation mutation(Outcome outcome) {
    assertThat(outcome).isInstanceOf(Outcome.Continue.class);
    return ((Outcome.Continue) outcome).mutation();
  }

  private static Mutation onRequest(String yaml, Exchange ex) throws Exception {
    return mutation(processor(yaml).onRequest(ex));
  }

  private static String header(String expression, MutableExchange ex) throws Exception {
    String yaml =
        "request:\n  setHeaders:\n    - name: X-Out\n      value: " + quote(expression) + "\n";
    return onRequest(yaml, ex).setHeaders().get("x-out");
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static ConfigProblem onlyProblem(String yaml) {
    try {
      processor(yaml);
    } catch (ConfigException e) {
      assertThat(e.problems()).hasSize(1);
      return e.problems().get(0);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a ConfigException");
  }

  @Test
  void jsonOfRequestBodySetsHeader() throws Exception {
    assertThat(header("json(request.body).model", post("{\"model\":\"gpt-4\"}")))
        .isEqualTo("gpt-4");
  }

  @Test
  void requestVariables() throws Exception {
    MutableExchange ex =
        exchange("POST", "/v1/x?a=1", "{}", "X-Tenant", "acme", "accept", "a", "accept", "b");
    assertThat(header("request.method", ex)).isEqualTo("POST");
    assertThat(header("request.path", ex)).isEqualTo("/v1/x?a=1");
    assertThat(header("request.headers['x-tenant']", ex)).isEqualTo("acme");
    assertThat(header("request.headers['accept']", ex)).isEqualTo("a,b");
    assertThat(header("string(request.body.size())", ex)).isEqualTo("2");
    assertThat(header("'missing' in request.headers ? 'y' : 'n'", ex)).isEqualTo("n");
  }

  @Test
  void jsonOfString() throws Exception {
    assertThat(header("json('{\"a\":[1,2]}').a[1]", post("{}"))).isEqualTo("2");
  }

  @Test
  void headerValueRendering() throws Exception {
    MutableExchange ex = post("{\"n\":3,\"d\":1.5,\"b\":true,\"l\":[1,\"x\"],\"m\":{\"k\":null}}");
    assertThat(header("json(request.body).n", ex)).isEqualTo("3");
    assertThat(header("json(request.body).d", ex)).isEqualTo("1.5");
    assertThat(header("json(request.body).b", ex)).isEqualTo("true");
    assertThat(header("json(request.body).l", ex)).isEqualTo("[1,\"x\"]");
    assertThat(header("json(request.body).m", ex)).isEqualTo("{\"k\":null}");
    assertThat(header("\"fixed\"", ex)).isEqualTo("fixed");
  }

  @Test
  void nullHeaderValueIsAnEvaluationError() {
    assertThatThrownBy(() -> header("json(request.body).m", post("{\"m\":null}")))
        .isInstanceOf(CelTransformException.class)
        .hasMessageContaining("null");
  }

  @Test
  void headerInjectionIsRefusedWithoutEchoingTheValue() {
    assertThatThrownBy(() -> header("json(request.body).m", post("{\"m\":\"a\\r\\nevil: 1\"}")))
        .isInstanceOf(CelTransformException.class)
        .hasMessageContaining("CR, LF or NUL")
        .hasMessageNotContaining("evil");
  }

  @Test
  void missingFieldIsAProcessorError() {
    assertThatThrownBy(() -> header("json(request.body).model", post("{\"messages\":[]}")))
        .isInstanceOf(CelTransformException.class)
        .hasMessageContaining("setHeaders[0]")
        .hasMessageContaining("model");
  }

  @Test
  void bodyThatIsNotJsonIsABodyException() {
    assertThatThrownBy(() -> header("json(request.body).model", post("not json")))
        .isInstanceOfSatisfying(BodyException.class, e -> assertThat(e.status()).isEqualTo(400));
  }

  @Test
  void invalidJsonStringArgumentIsAProcessorErrorAndDoesNotEchoIt() {
    assertThatThrownBy(() -> header("json('secret-stuff').a", post("{}")))
        .isInstanceOf(CelTransformException.class)
        .hasMessageNotContaining("secret-stuff");
  }

  @Test
  void removeAndSetHeaders() throws Exception {
    Mutation m =
        onRequest(
            """
            request:
              removeHeaders: [X-User-Email, {name: x-other}]
              setHeaders: [{name: X-A, value: '"1"'}]
            """,
            post("{}"));
    assertThat(m.removeHeaders()).containsExactly("x-user-email", "x-other");
    assertThat(m.setHeaders()).containsEntry("x-a", "1");
    assertThat(m.json()).isNull();
  }

  @Test
  void setBodyFieldsFromCelCreatesIntermediatesAndNeverMutatesTheInput() throws Exception {
    MutableExchange ex = post("{\"model\":\"m\",\"stream\":false}");
    JsonNode before = ex.request().json().deepCopy();
    Mutation m =
        onRequest(
            """
            request:
              setBodyFields:
                - {path: $.stream, value: 'true'}
                - {path: $.stream_options, value: '{"include_usage": true}'}
                - {path: $.metadata.tags.source, value: 'request.method'}
                - {name: $.n, value: 7}
            """,
            ex);
    JsonNode out = m.json();
    assertThat(out.get("stream").booleanValue()).isTrue();
    assertThat(out.at("/stream_options/include_usage").booleanValue()).isTrue();
    assertThat(out.at("/metadata/tags/source").textValue()).isEqualTo("POST");
    assertThat(out.get("n").intValue()).isEqualTo(7);
    assertThat(ex.request().json()).isEqualTo(before);
  }

  @Test
  void removeBodyFieldsIncludingMissingOnes() throws Exception {
    Mutation m =
        onRequest(
            """
            request:
              removeBodyFields: [$.user_email, {name: $.nope.deeper}, '$.messages[*].name']
            """,
            post(
                "{\"user_email\":\"a@b\",\"messages\":[{\"role\":\"user\",\"name\":\"x\"}],\"k\":1}"));
    assertThat(m.json().toString()).isEqualTo("{\"messages\":[{\"role\":\"user\"}],\"k\":1}");
  }

  @Test
  void setThroughANonObjectIsAProcessorError() {
    assertThatThrownBy(
            () ->
                onRequest(
                    "request:\n  setBodyFields: [{path: $.model.x, value: '1'}]\n",
                    post("{\"model\":\"m\"}")))
        .isInstanceOf(CelTransformException.class)
        .hasMessageContaining("not an object");
  }

  @Test
  void setBodyFieldsWithArrayIndexAndWildcard() throws Exception {
    Mutation m =
        onRequest(
            """
            request:
              setBodyFields:
                - {path: '$.messages[0].content', value: '"first"'}
                - {path: '$.messages[*].seen', value: 'true'}
            """,
            post("{\"messages\":[{\"content\":\"a\",\"seen\":false},{\"seen\":false}]}"));
    assertThat(m.json().toString())
        .isEqualTo("{\"messages\":[{\"content\":\"first\",\"seen\":true},{\"seen\":true}]}");
  }

  @Test
  void flags() throws Exception {
    CelTransformProcessor headersOnly =
        processor("request:\n  setHeaders: [{name: X-M, value: 'request.method'}]\n");
    assertThat(headersOnly.readsRequestBody()).isFalse();
    assertThat(headersOnly.handlesRequest()).isTrue();
    assertThat(headersOnly.handlesResponse()).isFalse();

    CelTransformProcessor bodyEdit = processor("request:\n  removeBodyFields: [$.a]\n");
    assertThat(bodyEdit.readsRequestBody()).isTrue();

    CelTransformProcessor reads =
        processor("request:\n  setHeaders: [{name: X-M, value: 'json(request.body).model'}]\n");
    assertThat(reads.readsRequestBody()).isTrue();

    CelTransformProcessor response =
        processor("response:\n  setHeaders: [{name: X-S, value: 'response.status'}]\n");
    assertThat(response.handlesResponse()).isTrue();
    assertThat(response.handlesRequest()).isFalse();
    assertThat(response.readsResponseBody()).isFalse();
    assertThat(response.readsRequestBody()).isFalse();
  }

  @Test
  void getWithoutBodyRunsHeaderOnlyExpressions() throws Exception {
    MutableExchange ex = exchange("GET", "/v1/models", null);
    assertThat(header("request.method + ' ' + request.path", ex)).isEqualTo("GET /v1/models");
  }

  @Test
  void responseSeesRequestAndResponse() throws Exception {
    CelTransformProcessor p =
        processor(
            "response:\n"
                + "  setHeaders:\n"
                + "    - name: X-Usage\n"
                + "      value: 'string(json(response.body).usage.total_tokens) + \"/\" +"
                + " json(request.body).model + \"/\" + string(response.status) + \"/\" +"
                + " response.headers[\"content-type\"]'\n"
                + "  setBodyFields: [{path: $.checked, value: 'true'}]\n");
    MutableExchange ex = post("{\"model\":\"gpt-4\"}");
    ex.setResponse(
        new HttpMessage(
            new Headers().set(":status", "200").set("content-type", "application/json"),
            "{\"usage\":{\"total_tokens\":12}}".getBytes(StandardCharsets.UTF_8),
            true));
    Mutation m = mutation(p.onResponse(ex));
    assertThat(m.setHeaders()).containsEntry("x-usage", "12/gpt-4/200/application/json");
    assertThat(m.json().toString()).isEqualTo("{\"usage\":{\"total_tokens\":12},\"checked\":true}");
    assertThat(p.readsRequestBody()).isTrue();
    assertThat(p.readsResponseBody()).isTrue();
  }

  @Test
  void costLimitStopsRunawayExpressions() {
    String big = "[" + "1,".repeat(40) + "1]";
    String expr = big + ".map(x, " + big + ".map(y, " + big + ".map(z, x + y + z)))";
    assertThatThrownBy(() -> header("string(" + expr + ".size())", post("{}")))
        .isInstanceOf(CelTransformException.class)
        .hasMessageMatching("(?s).*(exceeded|budget).*");
  }

  @Test
  void stepLimitStopsLongEvaluationsWithinTheIterationBudget() {
    String list = "[" + "1,".repeat(399) + "1]";
    String expr = "string(" + list + ".map(x, " + "x + ".repeat(20) + "x).size())";
    assertThatThrownBy(() -> header(expr, post("{}")))
        .isInstanceOf(CelTransformException.class)
        .hasMessageContaining("exceeded " + CelEnvironment.MAX_STEPS + " steps");
    // The same shape with fewer elements stays within the limit.
    assertThat(
            catchThrowableOrValue(
                () ->
                    header(
                        "string([1,2,3].map(x, " + "x + ".repeat(20) + "x).size())", post("{}"))))
        .isEqualTo("3");
  }

  private static Object catchThrowableOrValue(ThrowingSupplier s) {
    try {
      return s.get();
    } catch (Exception e) {
      return e;
    }
  }

  private interface ThrowingSupplier {
    Object get() throws Exception;
  }

  @Test
  void configErrorsNameTheirField() {
    assertThat(onlyProblem("request:\n  setHeader: []\n").toString())
        .contains("request.setHeader")
        .contains("did you mean 'setHeaders'");
    assertThat(onlyProblem("request:\n  setHeaders: [{name: 'bad name', value: '1'}]\n").field())
        .isEqualTo("request.setHeaders[0].name");
    ConfigProblem cel =
        onlyProblem("request:\n  setHeaders: [{name: X-A, value: 'json(request.body).'}]\n");
    assertThat(cel.field()).isEqualTo("request.setHeaders[0].value");
    assertThat(cel.message()).contains("CEL does not compile");
    assertThat(
            onlyProblem("request:\n  setHeaders: [{name: X-A, value: 'request.bdy'}]\n").message())
        .contains("unknown field request.bdy");
    assertThat(
            onlyProblem("request:\n  setHeaders: [{name: X-A, value: 'response.status'}]\n")
                .message())
        .contains("response");
    assertThat(onlyProblem("request:\n  removeBodyFields: ['$.a[']\n").field())
        .isEqualTo("request.removeBodyFields[0]");
    assertThat(onlyProblem("request:\n  setBodyFields: [{path: 'a.b', value: '1'}]\n").message())
        .contains("starting with '$'");
    assertThat(onlyProblem("request: {}\n").message()).contains("at least one");
    assertThat(onlyProblem("{}").message()).contains("request and/or response");
    assertThat(onlyProblem("request:\n  setHeaders: [{name: X-A, value: 5}]\n").message())
        .contains("CEL expression");
  }

  @Test
  void everyConfigProblemIsReported() {
    assertThatThrownBy(
            () ->
                processor(
                    """
                    request:
                      setHeaders:
                        - {name: 'a b', value: '1'}
                        - {name: X-B, value: '1 +'}
                      removeBodyFields: [$]
                    """))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .extracting(ConfigProblem::field)
                    .containsExactly(
                        "request.setHeaders[0].name",
                        "request.setHeaders[1].value",
                        "request.removeBodyFields[0]"));
  }

  @Test
  void optionalNoneLeavesHeadersAndBodyFieldsAsTheyAre() throws Exception {
    String yaml =
        "request:\n  setHeaders:\n"
            + "    - name: x-stream\n"
            + "      value: 'json(request.body).?stream.orValue(false) == true ? optional.of(\"yes\")"
            + " : optional.none()'\n"
            + "  setBodyFields:\n"
            + "    - path: $.stream_options.include_usage\n"
            + "      value: 'json(request.body).?stream.orValue(false) == true ? optional.of(true)"
            + " : optional.none()'\n";
    Mutation streaming = onRequest(yaml, post("{\"stream\":true,\"stream_options\":{\"x\":1}}"));
    assertThat(streaming.setHeaders()).containsEntry("x-stream", "yes");
    assertThat(streaming.json().get("stream_options").toString())
        .isEqualTo("{\"x\":1,\"include_usage\":true}");
    Mutation plain = onRequest(yaml, post("{\"model\":\"m\"}"));
    assertThat(plain.setHeaders()).doesNotContainKey("x-stream");
    assertThat(plain.json().has("stream_options")).isFalse();
  }

  @Test
  void responseTransformsThatReadTheBodyPassEventStreams() throws Exception {
    CelTransformProcessor p =
        processor(
            """
            response:
              setHeaders:
                - name: x-total
                  value: string(json(response.body).usage.total_tokens)
            """);
    assertThat(p.streamsSse()).isTrue();
    MutableExchange ex = post("{}");
    ex.setResponse(
        new HttpMessage(
            new Headers().set(":status", "200").set("content-type", "text/event-stream"),
            "data: {\"x\":1}\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8),
            true));
    assertThat(mutation(p.onResponse(ex)).isEmpty()).isTrue();
    var events = p.openSseStream(ex);
    var event = io.payloadprocessor.spi.SseEvent.data("{\"x\":1}");
    assertThat(events.onEvent(event).emit()).containsExactly(event);
    // A JSON answer still gets the header; one that is not JSON is an error of this step, not 400.
    ex.setResponse(
        new HttpMessage(
            new Headers().set(":status", "200").set("content-type", "application/json"),
            "{\"usage\":{\"total_tokens\":42}}".getBytes(StandardCharsets.UTF_8),
            true));
    assertThat(mutation(p.onResponse(ex)).setHeaders()).containsEntry("x-total", "42");
    ex.setResponse(
        new HttpMessage(
            new Headers().set(":status", "200").set("content-type", "application/json"),
            "<html>".getBytes(StandardCharsets.UTF_8),
            true));
    assertThatThrownBy(() -> p.onResponse(ex)).isInstanceOf(CelTransformException.class);
    // Header-only response transforms and MCP readers are not stream processors.
    assertThat(processor("response:\n  removeHeaders: [server]\n").streamsSse()).isFalse();
    assertThat(
            processor(
                    """
                    response:
                      setHeaders:
                        - name: x
                          value: string(k8s.mcp.response.is_error)
                    """)
                .streamsSse())
        .isFalse();
  }
}
