package io.payloadprocessor.inprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The k8s.* vocabulary names, each with the value the GEP defines. */
class CelVocabularyTest {

  private static MutableExchange exchange(String body, String contentType, String... headers) {
    Headers h =
        new Headers()
            .set(":method", "POST")
            .set(":path", "/mcp/v1?tenant=a&x=1")
            .set(":authority", "gw.example.com:8443")
            .set(":scheme", "https");
    if (contentType != null) {
      h.set("content-type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      h.add(headers[i], headers[i + 1]);
    }
    byte[] b = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
    return new MutableExchange("r", new HttpMessage(h, b, body != null), Map.of());
  }

  private static String request(String expression, MutableExchange ex) throws Exception {
    Outcome o = CelBoundsTest.processor(CelBoundsTest.headerYaml(expression)).onRequest(ex);
    return ((Outcome.Continue) o).mutation().setHeaders().get("x-out");
  }

  private static String response(String expression, MutableExchange ex) throws Exception {
    String yaml =
        "response:\n  setHeaders:\n    - name: X-Out\n      value: '"
            + expression.replace("'", "''")
            + "'\n";
    Outcome o = CelBoundsTest.processor(yaml).onResponse(ex);
    Mutation m = ((Outcome.Continue) o).mutation();
    return m.setHeaders().get("x-out");
  }

  private static void respond(MutableExchange ex, String status, String contentType, String body) {
    Headers h = new Headers().set(":status", status).set("content-type", contentType);
    h.add("set-cookie", "a=1").add("x-r", "1").add("set-cookie", "b=2");
    ex.setResponse(
        new HttpMessage(h, body == null ? null : body.getBytes(StandardCharsets.UTF_8), true));
  }

  @Test
  void httpRequestNames() throws Exception {
    MutableExchange ex =
        exchange("{}", "application/json", "accept", "a", "x-t", "1", "accept", "b");
    assertThat(request("k8s.http.request.path", ex)).isEqualTo("/mcp/v1");
    assertThat(request("k8s.http.request.query", ex)).isEqualTo("tenant=a&x=1");
    assertThat(request("k8s.http.request.path_and_query", ex)).isEqualTo("/mcp/v1?tenant=a&x=1");
    assertThat(request("k8s.http.request.authority", ex)).isEqualTo("gw.example.com:8443");
    assertThat(request("k8s.http.request.scheme", ex)).isEqualTo("https");
    assertThat(request("k8s.http.request.method", ex)).isEqualTo("POST");
    // Concatenated per RFC 9110; pseudo-headers are not headers.
    assertThat(request("k8s.http.request.headers['accept']", ex)).isEqualTo("a,b");
    assertThat(request("':path' in k8s.http.request.headers", ex)).isEqualTo("false");
    // Raw: one {name, value} per field line, repeated names kept apart and in order.
    assertThat(
            request(
                "k8s.http.request.raw_headers.filter(h, h.name == 'accept').map(h, h.value)", ex))
        .isEqualTo("[\"a\",\"b\"]");
    assertThat(request("k8s.http.request.raw_headers[0]", ex))
        .isEqualTo("{\"name\":\"content-type\",\"value\":\"application/json\"}");
    assertThat(request("k8s.http.request.protocol", ex)).isEmpty();
    assertThat(request("size(k8s.http.request.trailers)", ex)).isEqualTo("0");
  }

  @Test
  void trailersAndEnvoyAttributes() throws Exception {
    MutableExchange ex = exchange("{}", "application/json");
    ex.setRequestTrailers(new Headers().add("x-sum", "1").add("x-sum", "2"));
    ex.putEnvoyAttributes(
        Map.of(
            "request.protocol", "HTTP/2",
            "source.address", "[2001:db8::7]:50432",
            "connection.mtls", true,
            "connection.tls_version", "TLSv1.3",
            "connection.requested_server_name", "api.example.com",
            "connection.sha256_peer_certificate_digest", "abcd"));
    assertThat(request("k8s.http.request.trailers['x-sum']", ex)).isEqualTo("1,2");
    assertThat(request("k8s.http.request.raw_trailers[1].value", ex)).isEqualTo("2");
    assertThat(request("k8s.http.request.protocol", ex)).isEqualTo("HTTP/2");
    assertThat(request("k8s.tcp.source.address", ex)).isEqualTo("2001:db8::7");
    assertThat(request("k8s.tcp.source.port", ex)).isEqualTo("50432");
    assertThat(request("k8s.tcp.source.is_tls", ex)).isEqualTo("true");
    assertThat(request("k8s.tcp.source.is_mtls", ex)).isEqualTo("true");
    assertThat(request("k8s.tls.source.tls_version", ex)).isEqualTo("TLSv1.3");
    assertThat(request("k8s.tls.source.requested_server_name", ex)).isEqualTo("api.example.com");
    assertThat(request("k8s.tls.source.sha256_peer_certificate_digest", ex)).isEqualTo("abcd");
    assertThat(request("k8s.tls.source.subject_peer_certificate", ex)).isEmpty();
    assertThat(request("k8s.tls.source.peer_certificate", ex)).isEmpty();

    MutableExchange plain = exchange("{}", "application/json");
    plain.putEnvoyAttributes(Map.of("source.address", "192.0.2.7:1234", "source.port", 1234.0));
    assertThat(request("k8s.tcp.source.address", plain)).isEqualTo("192.0.2.7");
    assertThat(request("k8s.tcp.source.port + 1", plain)).isEqualTo("1235");
    assertThat(request("k8s.tcp.source.is_tls", plain)).isEqualTo("false");
    assertThat(request("k8s.tcp.source.is_mtls", plain)).isEqualTo("false");
  }

  @Test
  void mcpRequestNames() throws Exception {
    MutableExchange call =
        exchange(
            "{\"jsonrpc\":\"2.0\",\"id\":7.50,\"method\":\"tools/call\","
                + "\"params\":{\"name\":\"get_weather\",\"arguments\":{}}}",
            "application/json");
    assertThat(request("k8s.mcp.request.id", call)).isEqualTo("7.50");
    assertThat(request("k8s.mcp.request.method", call)).isEqualTo("tools/call");
    assertThat(request("k8s.mcp.request.tool_name", call)).isEqualTo("get_weather");
    assertThat(request("k8s.mcp.request.resource_uri", call)).isEmpty();
    MutableExchange read =
        exchange(
            "{\"jsonrpc\":\"2.0\",\"id\":\"r1\",\"method\":\"resources/read\","
                + "\"params\":{\"uri\":\"file:///a.txt\",\"name\":\"n\"}}",
            "application/json");
    assertThat(request("k8s.mcp.request.id", read)).isEqualTo("r1");
    assertThat(request("k8s.mcp.request.resource_uri", read)).isEqualTo("file:///a.txt");
    assertThat(request("k8s.mcp.request.tool_name", read)).isEmpty();
    // Not JSON-RPC: empty values.
    assertThat(request("k8s.mcp.request.method", exchange("{\"method\":\"x\"}", null))).isEmpty();
  }

  @Test
  void openAiModel() throws Exception {
    assertThat(request("k8s.openai.model", exchange("{\"model\":\"gpt-4o\"}", "application/json")))
        .isEqualTo("gpt-4o");
    // Not a JSON body (an audio upload): empty.
    assertThat(request("k8s.openai.model", exchange("--b\r\n", "multipart/form-data"))).isEmpty();
    // A body that claims to be JSON and is not: 400, as json(request.body); duplicate keys too.
    assertThatThrownBy(() -> request("k8s.openai.model", exchange("{bad", "application/json")))
        .isInstanceOfSatisfying(BodyException.class, e -> assertThat(e.status()).isEqualTo(400));
    assertThatThrownBy(
            () ->
                request(
                    "k8s.openai.model",
                    exchange("{\"model\":\"a\",\"model\":\"b\"}", "application/json")))
        .isInstanceOf(BodyException.class);
  }

  @Test
  void httpResponseNames() throws Exception {
    MutableExchange ex = exchange("{}", "application/json");
    respond(ex, "201", "application/json", "{}");
    assertThat(response("k8s.http.response.status.code + 1", ex)).isEqualTo("202");
    assertThat(response("k8s.http.response.headers['set-cookie']", ex)).isEqualTo("a=1,b=2");
    assertThat(response("':status' in k8s.http.response.headers", ex)).isEqualTo("false");
    assertThat(
            response(
                "k8s.http.response.raw_headers.filter(h, h.name == 'set-cookie').map(h, h.value)",
                ex))
        .isEqualTo("[\"a=1\",\"b=2\"]");
    ex.setResponseTrailers(new Headers().add("grpc-status", "0"));
    assertThat(response("k8s.http.response.trailers['grpc-status']", ex)).isEqualTo("0");
    assertThat(response("k8s.http.response.raw_trailers[0].name", ex)).isEqualTo("grpc-status");
  }

  @Test
  void mcpResponseNamesFromJsonAndFromAnEventStream() throws Exception {
    MutableExchange ok = exchange("{}", "application/json");
    respond(ok, "200", "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
    assertThat(response("k8s.mcp.response.is_error", ok)).isEqualTo("false");
    assertThat(response("k8s.mcp.response.error.code", ok)).isEqualTo("0");

    MutableExchange err = exchange("{}", "application/json");
    respond(
        err,
        "200",
        "text/event-stream",
        ": ping\n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}\n\n"
            + "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32602,"
            + "\"message\":\"Unknown tool\"}}\n\n");
    assertThat(response("k8s.mcp.response.is_error", err)).isEqualTo("true");
    assertThat(response("k8s.mcp.response.error.code", err)).isEqualTo("-32602");
    assertThat(response("k8s.mcp.response.error.message", err)).isEqualTo("Unknown tool");

    MutableExchange html = exchange("{}", "application/json");
    respond(html, "502", "text/html", "<html>bad</html>");
    assertThat(response("k8s.mcp.response.is_error", html)).isEqualTo("false");
  }

  @Test
  void namesAreCheckedAtLoad() {
    assertThatThrownBy(
            () -> CelBoundsTest.processor(CelBoundsTest.headerYaml("k8s.http.request.paht")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems().get(0).message())
                    .contains("unknown vocabulary name k8s.http.request.paht"));
    assertThatThrownBy(
            () ->
                CelBoundsTest.processor(
                    CelBoundsTest.headerYaml("string(k8s.http.response.status.code)")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems().get(0).message())
                    .contains("k8s.http.response.status.code is available in response transforms"));
    // Types are the GEP's: an int is not a string.
    assertThatThrownBy(
            () ->
                CelBoundsTest.processor(
                    """
                    response:
                      setHeaders:
                        - name: x
                          value: k8s.http.response.status.code + 'x'
                    """))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  void onlyReferencedNamesAreBuiltAndBodiesReadOnlyWhenNeeded() throws Exception {
    assertThat(
            CelBoundsTest.processor(CelBoundsTest.headerYaml("k8s.http.request.path"))
                .readsRequestBody())
        .isFalse();
    assertThat(
            CelBoundsTest.processor(CelBoundsTest.headerYaml("k8s.openai.model"))
                .readsRequestBody())
        .isTrue();
    assertThat(
            CelBoundsTest.processor(
                    """
                    response:
                      setHeaders:
                        - name: x
                          value: string(k8s.mcp.response.is_error)
                    """)
                .readsResponseBody())
        .isTrue();
  }
}
