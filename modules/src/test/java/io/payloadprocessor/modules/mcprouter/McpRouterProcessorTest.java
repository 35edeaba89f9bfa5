package io.payloadprocessor.modules.mcprouter;

import static io.payloadprocessor.modules.mcprouter.McpHarness.PATH;
import static io.payloadprocessor.modules.mcprouter.McpHarness.call;
import static io.payloadprocessor.modules.mcprouter.McpHarness.router;
import static io.payloadprocessor.modules.mcprouter.McpHarness.toolsListResult;
import static io.payloadprocessor.modules.testing.TestExchanges.applyToRequest;
import static io.payloadprocessor.modules.testing.TestExchanges.applyToResponse;
import static io.payloadprocessor.modules.testing.TestExchanges.post;
import static io.payloadprocessor.modules.testing.TestExchanges.request;
import static io.payloadprocessor.modules.testing.TestExchanges.respond;
import static io.payloadprocessor.modules.testing.TestExchanges.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class McpRouterProcessorTest {
  private static final String POLICY =
      "{\"tools\":{\"allow\":[\"get_*\",\"delete_file\"],\"deny\":[\"delete_*\"]}}";

  private static JsonNode json(byte[] b) throws Exception {
    return HttpMessage.parseJson(b);
  }

  private static JsonNode json(String s) throws Exception {
    return json(s.getBytes(StandardCharsets.UTF_8));
  }

  private static Mutation run(McpRouterProcessor r, MutableExchange e) throws Exception {
    return applyToRequest(e, r.onRequest(e));
  }

  @Test
  void toolCallBecomesRoutingHeaders() throws Exception {
    McpRouterProcessor r = router(null);
    MutableExchange e = post(PATH, call(1, "get_weather"));
    Mutation m = run(r, e);
    assertThat(e.request().headers().get("x-mcp-method")).isEqualTo("tools/call");
    assertThat(e.request().headers().get("x-mcp-tool")).isEqualTo("get_weather");
    assertThat(m.isClearRouteCache()).isTrue();
  }

  @Test
  void resourceAndPromptHeaders() throws Exception {
    McpRouterProcessor r = router(null);
    MutableExchange res =
        post(
            PATH,
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/read\","
                + "\"params\":{\"uri\":\"file:///srv/readme.md\"}}");
    run(r, res);
    assertThat(res.request().headers().get("x-mcp-method")).isEqualTo("resources/read");
    assertThat(res.request().headers().get("x-mcp-resource")).isEqualTo("file:///srv/readme.md");
    MutableExchange prompt =
        post(
            PATH,
            "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"prompts/get\","
                + "\"params\":{\"name\":\"summarise\"}}");
    run(r, prompt);
    assertThat(prompt.request().headers().get("x-mcp-prompt")).isEqualTo("summarise");
    assertThat(prompt.request().headers().contains("x-mcp-tool")).isFalse();
  }

  @Test
  void clientSentRoutingHeadersAreReplacedOrRemoved() throws Exception {
    McpRouterProcessor r = router(null);
    MutableExchange e =
        post(PATH, call(1, "get_weather"), "x-mcp-tool", "admin_reset", "x-mcp-prompt", "evil");
    run(r, e);
    assertThat(e.request().headers().get("x-mcp-tool")).isEqualTo("get_weather");
    assertThat(e.request().headers().contains("x-mcp-prompt")).isFalse();
  }

  @Test
  void batchHeadersCarryDistinctValuesInOrder() throws Exception {
    McpRouterProcessor r = router(null);
    MutableExchange e =
        post(
            PATH,
            "["
                + call(1, "get_weather")
                + ","
                + call(2, "get_time")
                + ","
                + call(3, "get_weather")
                + ",{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}]");
    run(r, e);
    assertThat(e.request().headers().get("x-mcp-method"))
        .isEqualTo("tools/call,notifications/initialized");
    assertThat(e.request().headers().get("x-mcp-tool")).isEqualTo("get_weather,get_time");
  }

  @Test
  void unsafeHeaderValuesAreNotSet() throws Exception {
    McpRouterProcessor r = router(null);
    MutableExchange e = post(PATH, call(1, "bad\\r\\nx-injected: 1"));
    run(r, e);
    assertThat(e.request().headers().contains("x-mcp-tool")).isFalse();
    assertThat(e.request().headers().get("x-mcp-method")).isEqualTo("tools/call");
  }

  @Test
  void deniedCallIsAJsonRpcErrorWithTheRequestId() throws Exception {
    McpRouterProcessor r = router(POLICY);
    for (String id : new String[] {"7", "\"req-7\""}) {
      Outcome o = r.onRequest(post(PATH, call(id, "delete_file")));
      assertThat(o).isInstanceOf(Outcome.Respond.class);
      Outcome.Respond resp = (Outcome.Respond) o;
      assertThat(resp.status()).isEqualTo(200);
      assertThat(resp.headers().get("content-type")).isEqualTo("application/json");
      JsonNode body = json(resp.body());
      assertThat(body.path("jsonrpc").asText()).isEqualTo("2.0");
      assertThat(body.get("id")).isEqualTo(json(id));
      assertThat(body.path("error").path("code").asInt()).isEqualTo(-32001);
      assertThat(body.path("error").path("message").asText()).contains("delete_file");
      assertThat(body.has("result")).isFalse();
    }
    // Not on the allow list at all.
    assertThat(r.onRequest(post(PATH, call(8, "list_users")))).isInstanceOf(Outcome.Respond.class);
    // Allowed.
    assertThat(r.onRequest(post(PATH, call(9, "get_weather"))))
        .isInstanceOf(Outcome.Continue.class);
  }

  @Test
  void batchWithADeniedCallIsAnsweredWholeWithoutNotifications() throws Exception {
    McpRouterProcessor r = router(POLICY);
    Outcome o =
        r.onRequest(
            post(
                PATH,
                "["
                    + call(1, "get_weather")
                    + ",{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"},"
                    + call("\"b\"", "delete_file")
                    + "]"));
    Outcome.Respond resp = (Outcome.Respond) o;
    assertThat(resp.status()).isEqualTo(200);
    JsonNode body = json(resp.body());
    assertThat(body.isArray()).isTrue();
    assertThat(body.size()).isEqualTo(2);
    assertThat(body.get(0).path("id").asInt()).isEqualTo(1);
    assertThat(body.get(0).path("error").path("message").asText()).contains("batch rejected");
    assertThat(body.get(1).path("id").asText()).isEqualTo("b");
    assertThat(body.get(1).path("error").path("message").asText()).contains("delete_file");
  }

  @Test
  void deniedNotificationOnlyGets202() throws Exception {
    McpRouterProcessor r = router(POLICY);
    Outcome o =
        r.onRequest(
            post(
                PATH,
                "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\","
                    + "\"params\":{\"name\":\"delete_file\"}}"));
    Outcome.Respond resp = (Outcome.Respond) o;
    assertThat(resp.status()).isEqualTo(202);
    assertThat(resp.body()).isEmpty();
  }

  @Test
  void unreadableBodyIsRejectedOnlyWhenAPolicyIsActive() throws Exception {
    String dup =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
            + "\"params\":{\"name\":\"get_weather\",\"name\":\"delete_file\"}}";
    assertThatThrownBy(() -> router(POLICY).onRequest(post(PATH, dup)))
        .isInstanceOf(BodyException.class);
    assertThat(router(null).onRequest(post(PATH, dup))).isInstanceOf(Outcome.Continue.class);
  }

  @Test
  void toolsListJsonResultIsFiltered() throws Exception {
    McpRouterProcessor r = router(POLICY);
    MutableExchange e = post(PATH, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}");
    run(r, e);
    respond(e, 200, toolsListResult(5), "content-type", "application/json");
    applyToResponse(e, r.onResponse(e));
    JsonNode tools = e.response().json().path("result").path("tools");
    assertThat(tools.size()).isEqualTo(1);
    assertThat(tools.get(0).path("name").asText()).isEqualTo("get_weather");
  }

  @Test
  void onlyResponsesToToolsListRequestsAreFiltered() throws Exception {
    McpRouterProcessor r = router(POLICY);
    MutableExchange e =
        post(
            PATH,
            "[{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"},"
                + "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}]");
    run(r, e);
    respond(
        e,
        200,
        "[" + toolsListResult("\"5\"") + "," + toolsListResult(6) + "," + toolsListResult(5) + "]",
        "content-type",
        "application/json");
    applyToResponse(e, r.onResponse(e));
    JsonNode body = e.response().json();
    assertThat(body.get(0).path("result").path("tools").size()).isEqualTo(3);
    assertThat(body.get(1).path("result").path("tools").size()).isEqualTo(3);
    assertThat(body.get(2).path("result").path("tools").size()).isEqualTo(1);
  }

  @Test
  void toolsListSseResultIsFilteredEventByEvent() throws Exception {
    McpRouterProcessor r = router(POLICY);
    MutableExchange e = post(PATH, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}");
    run(r, e);
    respond(e, 200, null, "content-type", "text/event-stream");
    applyToResponse(e, r.onResponse(e));
    assertThat(r.streamsSse()).isTrue();
    SseStreamProcessor s = r.openSseStream(e);
    SseEvent progress =
        new SseEvent("message", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}", "1");
    assertThat(s.onEvent(progress).emit()).containsExactly(progress);
    SseEvent result = new SseEvent("message", toolsListResult(5), "2");
    SseEvent out = s.onEvent(result).emit().get(0);
    assertThat(out.event()).isEqualTo("message");
    assertThat(out.id()).isEqualTo("2");
    JsonNode tools = json(out.data()).path("result").path("tools");
    assertThat(tools.size()).isEqualTo(1);
    assertThat(tools.get(0).path("name").asText()).isEqualTo("get_weather");
    assertThat(s.onEnd().emit()).isEmpty();
  }

  @Test
  void toolsListSseBufferedByTheServerIsFilteredToo() throws Exception {
    McpRouterProcessor r = router(POLICY);
    MutableExchange e = post(PATH, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}");
    run(r, e);
    respond(
        e,
        200,
        "event: message\ndata: " + toolsListResult(5) + "\n\n",
        "content-type",
        "text/event-stream");
    applyToResponse(e, r.onResponse(e));
    String body = text(e.response().body());
    assertThat(body).startsWith("event: message\ndata: ").contains("get_weather");
    assertThat(body).doesNotContain("delete_file").doesNotContain("admin_reset");
  }

  @Test
  void sessionIsStickyToTheBackendThatAnsweredInitialize() throws Exception {
    McpRouterProcessor r = router(null);
    MutableExchange init =
        post(PATH, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}");
    run(r, init);
    respond(
        init,
        200,
        "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{}}",
        "content-type",
        "application/json",
        "mcp-session-id",
        "sess-1",
        "x-mcp-backend",
        "mcp-b");
    r.onResponse(init);

    MutableExchange later = post(PATH, call(1, "get_weather"), "mcp-session-id", "sess-1");
    Mutation m = run(r, later);
    assertThat(later.request().headers().get("x-mcp-backend")).isEqualTo("mcp-b");
    assertThat(m.isClearRouteCache()).isTrue();

    MutableExchange get = request("GET", PATH, null, "mcp-session-id", "sess-1");
    run(r, get);
    assertThat(get.request().headers().get("x-mcp-backend")).isEqualTo("mcp-b");

    MutableExchange other = post(PATH, call(1, "get_weather"), "mcp-session-id", "sess-2");
    run(r, other);
    assertThat(other.request().headers().contains("x-mcp-backend")).isFalse();

    MutableExchange delete = request("DELETE", PATH, null, "mcp-session-id", "sess-1");
    run(r, delete);
    respond(delete, 200, null);
    r.onResponse(delete);
    MutableExchange afterDelete = post(PATH, call(1, "get_weather"), "mcp-session-id", "sess-1");
    run(r, afterDelete);
    assertThat(afterDelete.request().headers().contains("x-mcp-backend")).isFalse();
  }

  @Test
  void backendFallsBackToTheRequestHeaderTheRouterSet() throws Exception {
    McpRouterProcessor r =
        router(
            "{\"session\":{\"backendHeader\":\"x-backend\",\"backendResponseHeader\":\"x-by\"}}");
    MutableExchange init =
        post(
            PATH, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\"}", "x-backend", "pod-3");
    run(r, init);
    respond(init, 200, "{}", "mcp-session-id", "s9");
    r.onResponse(init);
    MutableExchange later = post(PATH, call(1, "x"), "mcp-session-id", "s9");
    run(r, later);
    assertThat(later.request().headers().get("x-backend")).isEqualTo("pod-3");
  }

  @Test
  void failedInitializeIsNotRemembered() throws Exception {
    McpRouterProcessor r = router(null);
    MutableExchange init = post(PATH, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\"}");
    run(r, init);
    respond(init, 500, "{}", "mcp-session-id", "s1", "x-mcp-backend", "b");
    r.onResponse(init);
    MutableExchange later = post(PATH, call(1, "x"), "mcp-session-id", "s1");
    run(r, later);
    assertThat(later.request().headers().contains("x-mcp-backend")).isFalse();
  }

  @Test
  void sessionStoreKeysDoNotContainTheSessionId() throws Exception {
    assertThat(router(null).sessionKey("secret-session")).doesNotContain("secret-session");
  }
}
