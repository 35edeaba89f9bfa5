package io.payloadprocessor.modules.pii;

import static io.payloadprocessor.modules.common.GuardFixtures.gzip;
import static io.payloadprocessor.modules.common.GuardFixtures.request;
import static io.payloadprocessor.modules.common.GuardFixtures.response;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.common.GuardFixtures;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PiiProcessorTest {
  static final String CONFIG =
      "{\"detectors\":[{\"type\":\"email\"},{\"type\":\"phone\",\"action\":\"report\"},"
          + "{\"type\":\"payment_card\",\"action\":\"block\"},"
          + "{\"type\":\"us_ssn\",\"mask\":\"partial\"}]}";

  TestContext ctx;
  Processor pii;

  @BeforeEach
  void setUp() throws Exception {
    ctx = new TestContext();
    pii = GuardFixtures.create(new PiiFactory(), "pii-guard", CONFIG, ctx);
  }

  static Mutation continued(Outcome o) {
    assertThat(o).isInstanceOf(Outcome.Continue.class);
    return ((Outcome.Continue) o).mutation();
  }

  /** The masked body a mutation carries, parsed. */
  static JsonNode json(Mutation m) throws Exception {
    assertThat(m.body()).as("masked body").isNotNull();
    return HttpMessage.parseJson(m.body());
  }

  static Block rejected(Outcome o) {
    assertThat(o).isInstanceOf(Outcome.Reject.class);
    return ((Outcome.Reject) o).block();
  }

  @Test
  void openAiChatMasksContentPartsAndToolArguments() throws Exception {
    String body =
        "{\"model\":\"gpt-4o\",\"messages\":["
            + "{\"role\":\"system\",\"content\":\"admin is root@corp.example\"},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"mail bob@example.com\"},"
            + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x.example/a.png\"}}]},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"t1\",\"type\":"
            + "\"function\",\"function\":{\"name\":\"send\",\"arguments\":"
            + "\"{\\\"to\\\":\\\"eve@example.org\\\"}\"}}]},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"SSN 123-45-6789 on file\"}]}";
    MutableExchange ex = request("/v1/chat/completions", body);
    Mutation m = continued(pii.onRequest(ex));
    JsonNode out = json(m);
    assertThat(out.at("/messages/0/content").asText()).isEqualTo("admin is [EMAIL]");
    assertThat(out.at("/messages/1/content/0/text").asText()).isEqualTo("mail [EMAIL]");
    assertThat(out.at("/messages/1/content/1/image_url/url").asText())
        .isEqualTo("https://x.example/a.png");
    assertThat(out.at("/messages/2/tool_calls/0/function/arguments").asText())
        .isEqualTo("{\"to\":\"[EMAIL]\"}");
    assertThat(out.at("/messages/3/content").asText()).isEqualTo("SSN ***-**-6789 on file");
    assertThat(out.at("/model").asText()).isEqualTo("gpt-4o");
    assertThat(m.setHeaders()).containsEntry("x-payload-processor-pii", "email,us_ssn");
    assertThat(m.metadata()).containsKey("pii");
    // The shared, parsed tree stays as it was: later readers get the mutation, not a side effect.
    assertThat(ex.request().json().at("/messages/0/content").asText()).contains("root@");
    assertThat(ctx.decisions("pii-guard", "mask")).isEqualTo(1.0);
  }

  @Test
  void completionsPromptStringAndList() throws Exception {
    Mutation m =
        continued(
            pii.onRequest(
                request("/v1/completions", "{\"model\":\"m\",\"prompt\":\"x a@b.io y\"}")));
    assertThat(json(m).at("/prompt").asText()).isEqualTo("x [EMAIL] y");
    m =
        continued(
            pii.onRequest(
                request("/v1/completions", "{\"model\":\"m\",\"prompt\":[\"ok\",\"to a@b.io\"]}")));
    assertThat(json(m).at("/prompt/1").asText()).isEqualTo("to [EMAIL]");
  }

  @Test
  void responsesApiInputAndInstructions() throws Exception {
    String body =
        "{\"model\":\"m\",\"instructions\":\"reply to ops@corp.example\",\"input\":["
            + "{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"I am a@b.io\"}]},"
            + "{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"f\","
            + "\"arguments\":\"{\\\"e\\\":\\\"c@d.io\\\"}\"},"
            + "{\"type\":\"function_call_output\",\"call_id\":\"c\",\"output\":\"found e@f.io\"}]}";
    JsonNode out = json(continued(pii.onRequest(request("/v1/responses", body))));
    assertThat(out.at("/instructions").asText()).isEqualTo("reply to [EMAIL]");
    assertThat(out.at("/input/0/content/0/text").asText()).isEqualTo("I am [EMAIL]");
    assertThat(out.at("/input/1/arguments").asText()).isEqualTo("{\"e\":\"[EMAIL]\"}");
    assertThat(out.at("/input/2/output").asText()).isEqualTo("found [EMAIL]");
    JsonNode s =
        json(continued(pii.onRequest(request("/v1/responses", "{\"input\":\"hi a@b.io\"}"))));
    assertThat(s.at("/input").asText()).isEqualTo("hi [EMAIL]");
  }

  @Test
  void anthropicMessages() throws Exception {
    String body =
        "{\"model\":\"claude\",\"max_tokens\":10,\"system\":[{\"type\":\"text\",\"text\":\"s a@b.io\"}],"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"u a@b.io\"},"
            + "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\","
            + "\"input\":{\"who\":{\"email\":\"c@d.io\"},\"n\":1}}]},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"r e@f.io\"}]}]}]}";
    JsonNode out = json(continued(pii.onRequest(request("/v1/messages", body))));
    assertThat(out.at("/system/0/text").asText()).isEqualTo("s [EMAIL]");
    assertThat(out.at("/messages/0/content").asText()).isEqualTo("u [EMAIL]");
    assertThat(out.at("/messages/1/content/0/input/who/email").asText()).isEqualTo("[EMAIL]");
    assertThat(out.at("/messages/1/content/0/input/n").asInt()).isEqualTo(1);
    assertThat(out.at("/messages/2/content/0/content/0/text").asText()).isEqualTo("r [EMAIL]");
  }

  @Test
  void plainTextBody() throws Exception {
    MutableExchange ex =
        request(
            "/upload",
            "text/plain; charset=utf-8",
            "write to a@b.io".getBytes(StandardCharsets.UTF_8));
    Mutation m = continued(pii.onRequest(ex));
    assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("write to [EMAIL]");
  }

  @Test
  void unknownJsonShapeScansEveryString() throws Exception {
    JsonNode out =
        json(continued(pii.onRequest(request("/v1/x", "{\"a\":[{\"b\":\"a@b.io\"}],\"n\":3}"))));
    assertThat(out.at("/a/0/b").asText()).isEqualTo("[EMAIL]");
  }

  @Test
  void blockNamesTheDetectorNeverTheValue() throws Exception {
    Block b =
        rejected(
            pii.onRequest(
                request(
                    "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"card 4111 1111 1111 1111\"}]}")));
    assertThat(b.status()).isEqualTo(403);
    assertThat(b.reason()).isEqualTo("pii_detected");
    assertThat(b.rule()).isEqualTo("payment_card");
    assertThat(b.type()).isEqualTo("permission_error");
    assertThat(b.message()).contains("payment_card").doesNotContain("4111").doesNotContain("1111");
    assertThat(ctx.decisions("pii-guard", "block")).isEqualTo(1.0);
  }

  @Test
  void reportOnlyAddsHeaderAndMetadataWithoutChangingBody() throws Exception {
    Mutation m =
        continued(
            pii.onRequest(
                request(
                    "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"call +44 20 7946 0958\"}]}")));
    assertThat(m.body()).isNull();
    assertThat(m.body()).isNull();
    assertThat(m.setHeaders()).containsEntry("x-payload-processor-pii", "phone");
    @SuppressWarnings("unchecked")
    Map<String, Object> md = (Map<String, Object>) m.metadata().get("pii");
    assertThat(md).containsEntry("action", "report").containsEntry("processor", "pii-guard");
    assertThat(md.toString()).doesNotContain("7946");
    assertThat(ctx.decisions("pii-guard", "report")).isEqualTo(1.0);
  }

  @Test
  void cleanRequestIsAllowed() throws Exception {
    Mutation m =
        continued(
            pii.onRequest(
                request(
                    "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")));
    assertThat(m.isEmpty()).isTrue();
    assertThat(ctx.decisions("pii-guard", "allow")).isEqualTo(1.0);
  }

  @Test
  void responseJsonCompletionIsMasked() throws Exception {
    MutableExchange ex =
        response(
            "/v1/chat/completions",
            "application/json",
            "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"write to a@b.io\"},\"finish_reason\":\"stop\"}]}");
    assertThat(pii.handlesResponse()).isTrue();
    JsonNode out = json(continued(pii.onResponse(ex)));
    assertThat(out.at("/choices/0/message/content").asText()).isEqualTo("write to [EMAIL]");
    MutableExchange anthropic =
        response(
            "/v1/messages",
            "application/json",
            "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"a@b.io\"}]}");
    assertThat(json(continued(pii.onResponse(anthropic))).at("/content/0/text").asText())
        .isEqualTo("[EMAIL]");
  }

  @Test
  void bufferedEventStreamResponseIsMasked() throws Exception {
    String sse =
        """
        data: {"choices":[{"index":0,"delta":{"content":"mail a@b"}}]}

        data: {"choices":[{"index":0,"delta":{"content":".io now"}}]}

        data: [DONE]

        """;
    Mutation m =
        continued(pii.onResponse(response("/v1/chat/completions", "text/event-stream", sse)));
    String out = new String(m.body(), StandardCharsets.UTF_8);
    assertThat(out).contains("[EMAIL]").doesNotContain("a@b").endsWith("data: [DONE]\n\n");
    assertThat(m.setHeaders()).containsEntry("x-payload-processor-pii", "email");
  }

  @Test
  void gzipRequestIsDecodedBeforeScanning() throws Exception {
    MutableExchange ex =
        request(
            "/v1/chat/completions",
            "application/json",
            gzip("{\"messages\":[{\"role\":\"user\",\"content\":\"card 4111111111111111\"}]}"));
    GuardFixtures.withHeader(ex, "content-encoding", "gzip");
    assertThat(rejected(pii.onRequest(ex)).rule()).isEqualTo("payment_card");

    MutableExchange masked =
        request(
            "/v1/chat/completions",
            "application/json",
            GuardFixtures.deflate("{\"messages\":[{\"role\":\"user\",\"content\":\"a@b.io\"}]}"));
    GuardFixtures.withHeader(masked, "content-encoding", "deflate");
    assertThat(json(continued(pii.onRequest(masked))).at("/messages/0/content").asText())
        .isEqualTo("[EMAIL]");
  }

  @Test
  void undecodableEncodingFailsClosed() {
    MutableExchange br =
        request(
            "/v1/chat/completions",
            "application/json",
            "\u0000\u0001garbage".getBytes(StandardCharsets.ISO_8859_1));
    GuardFixtures.withHeader(br, "content-encoding", "br");
    assertThatThrownBy(() -> pii.onRequest(br))
        .isInstanceOfSatisfying(BodyException.class, e -> assertThat(e.status()).isEqualTo(415));
    MutableExchange corrupt =
        request(
            "/v1/chat/completions",
            "application/json",
            "not gzip".getBytes(StandardCharsets.UTF_8));
    GuardFixtures.withHeader(corrupt, "content-encoding", "gzip");
    assertThatThrownBy(() -> pii.onRequest(corrupt))
        .isInstanceOfSatisfying(BodyException.class, e -> assertThat(e.status()).isEqualTo(415));
  }

  @Test
  void duplicateKeysAtAnyLevelAreRejected() {
    String nested =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"content\":\"a@b.io\"}]}";
    assertThatThrownBy(() -> pii.onRequest(request("/v1/chat/completions", nested)))
        .isInstanceOfSatisfying(
            BodyException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.reason()).isEqualTo("duplicate_json_key");
            });
  }

  @Test
  void deepNestingAndInvalidUtf8AreErrorsNotCrashes() {
    String deep = "[".repeat(5000) + "]".repeat(5000);
    assertThatThrownBy(() -> pii.onRequest(request("/v1/x", deep)))
        .isInstanceOfSatisfying(BodyException.class, e -> assertThat(e.status()).isEqualTo(400));
    byte[] bad = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    assertThatThrownBy(() -> pii.onRequest(request("/v1/x", "application/json", bad)))
        .isInstanceOfSatisfying(BodyException.class, e -> assertThat(e.status()).isEqualTo(400));
    byte[] badText = {'h', 'i', (byte) 0xFF};
    assertThatThrownBy(() -> pii.onRequest(request("/v1/x", "text/plain", badText)))
        .isInstanceOfSatisfying(
            BodyException.class, e -> assertThat(e.reason()).isEqualTo("invalid_utf8"));
  }

  @Test
  void hugeStringIsScannedWithinBounds() throws Exception {
    String big = "x".repeat(4_000_000) + " a@b.io";
    Mutation m =
        continued(
            pii.onRequest(
                request(
                    "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"" + big + "\"}]}")));
    assertThat(json(m).at("/messages/0/content").asText()).endsWith(" [EMAIL]");
  }

  @Test
  void binaryBodiesAreNotScanned() throws Exception {
    MutableExchange img =
        request("/v1/images", "image/png", new byte[] {(byte) 0x89, 'P', 'N', 'G'});
    assertThat(continued(pii.onRequest(img)).isEmpty()).isTrue();
  }
}
