package io.payloadprocessor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.payloadprocessor.envoysim.EnvoyFilterConfig;
import io.payloadprocessor.envoysim.HttpOutcome;
import io.payloadprocessor.envoysim.HttpRequest;
import io.payloadprocessor.envoysim.Upstream;
import io.payloadprocessor.envoysim.UpstreamResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Observing never rewrites. Recorded streams (OpenAI chat completions, OpenAI Responses, Anthropic
 * Messages, an MCP tools/list answer) are re-framed at random the ways servers frame them (LF, CRLF
 * or CR line ends; {@code data:} with or without the space; comments and blank lines before and
 * between events; the last event left unterminated) and cut into random chunks, then sent over real
 * gRPC through every module that reads event streams, each in an observe-only configuration, all of
 * them together, and all of them on the buffered path: what the client receives is the upstream's
 * bytes, exactly. Each module must also show that it did read the stream (usage metadata, a PII
 * report, a prompt-guard report), so the test cannot pass by skipping them. Seeded, so a failure
 * repeats; the message names the seed, the framing and the cuts.
 */
class SseObserversKeepBytesPropertyTest {
  private static final long SEED = 5091L;
  private static final int ROUNDS_PER_SERVER = 24;

  /** A recorded stream, the request that asks for it, and what a module reading it must report. */
  private record Recording(
      String name, String text, HttpRequest.Builder request, long totalTokens) {}

  private static final String USAGE = module("meter", "usage-metering", "{}");
  private static final String PII =
      module(
          "pii",
          "pii",
          "{detectors: [{type: email, action: report}, {type: payment_card, action: report}],"
              + " request: false, response: true}");
  private static final String PROMPT_GUARD =
      module(
          "guard",
          "prompt-guard",
          "{deny: [{keyword: 'developer mode', name: dev-mode}], action: report, request: false,"
              + " response: true}");
  private static final String CACHE =
      module("cache", "semantic-cache", "{mode: exact, store: {type: memory}}");
  private static final String MCP = module("mcp", "mcp-router", "{tools: {deny: ['never_*']}}");

  /** Reads the response body without streaming it: the server then buffers the stream. */
  private static final String BODY_READER =
      """
          - name: body-size
            type: InProcess
            inProcess:
              response:
                setHeaders:
                  - {name: x-body-bytes, value: string(size(response.body))}
      """;

  private static final Map<String, ServerFixture> SERVERS = new LinkedHashMap<>();
  private static List<Recording> recordings;

  private static String module(String name, String id, String config) {
    return "    - name: "
        + name
        + "\n      type: payload-processor.io/Module\n      module:\n        id: "
        + id
        + "\n        config: "
        + config
        + "\n";
  }

  private static String pipeline(String... processors) {
    return "apiVersion: ainetworking.x-k8s.io/v0alpha0\n"
        + "kind: PayloadProcessor\n"
        + "metadata: {name: observers}\n"
        + "spec:\n"
        + "  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}\n"
        + "  phase: PreRouting\n"
        + "  processors:\n"
        + String.join("", processors);
  }

  @BeforeAll
  static void start() throws Exception {
    SERVERS.put("usage-metering", new ServerFixture(pipeline(USAGE)));
    SERVERS.put("pii", new ServerFixture(pipeline(PII)));
    SERVERS.put("prompt-guard", new ServerFixture(pipeline(PROMPT_GUARD)));
    SERVERS.put("semantic-cache", new ServerFixture(pipeline(CACHE)));
    SERVERS.put("mcp-router", new ServerFixture(pipeline(MCP)));
    SERVERS.put("all", new ServerFixture(pipeline(CACHE, MCP, PII, PROMPT_GUARD, USAGE)));
    SERVERS.put(
        "all-buffered",
        new ServerFixture(pipeline(CACHE, MCP, PII, PROMPT_GUARD, USAGE, BODY_READER)));
    recordings =
        List.of(
            new Recording(
                "openai-chat",
                resource("openai-chat.sse"),
                chat(
                    "/v1/chat/completions",
                    "{\"model\":\"gpt-4o\",\"stream\":true,"
                        + "\"stream_options\":{\"include_usage\":true},"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
                29),
            new Recording(
                "openai-responses",
                resource("openai-responses.sse"),
                chat("/v1/responses", "{\"model\":\"gpt-4.1\",\"stream\":true,\"input\":\"hi\"}"),
                48),
            new Recording(
                "anthropic-messages",
                resource("anthropic-messages.sse"),
                chat(
                    "/v1/messages",
                    "{\"model\":\"claude-sonnet-4\",\"max_tokens\":100,\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
                40),
            new Recording(
                "mcp-tools-list",
                resource("mcp-tools-list.sse"),
                chat("/mcp", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")
                    .header("accept", "application/json, text/event-stream"),
                -1));
  }

  @AfterAll
  static void stop() throws Exception {
    for (ServerFixture f : SERVERS.values()) {
      f.close();
    }
  }

  private static String resource(String name) throws IOException {
    try (InputStream in =
        SseObserversKeepBytesPropertyTest.class.getResourceAsStream("/sse/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static HttpRequest.Builder chat(String path, String body) {
    return HttpRequest.builder()
        .header(":method", "POST")
        .header(":path", path)
        .header("content-type", "application/json")
        // The cache stores (so it assembles the stream) but never answers from what it stored.
        .header("cache-control", "no-cache")
        .body(body);
  }

  /** How Envoy hands the response body over. */
  private enum Delivery {
    /** BUFFERED, switched to STREAMED by the server's mode override: chunk by chunk. */
    STREAMED,
    /** FULL_DUPLEX_STREAMED: chunk by chunk, the server streams back. */
    FULL_DUPLEX,
    /** BUFFERED with overrides refused: the whole stream in one message. */
    BUFFERED
  }

  private static EnvoyFilterConfig envoy(Delivery delivery) {
    boolean duplex = delivery == Delivery.FULL_DUPLEX;
    ProcessingMode mode =
        ProcessingMode.newBuilder()
            .setRequestHeaderMode(HeaderSendMode.SEND)
            .setResponseHeaderMode(HeaderSendMode.SEND)
            .setRequestBodyMode(BodySendMode.BUFFERED)
            .setResponseBodyMode(duplex ? BodySendMode.FULL_DUPLEX_STREAMED : BodySendMode.BUFFERED)
            .setRequestTrailerMode(HeaderSendMode.SKIP)
            .setResponseTrailerMode(duplex ? HeaderSendMode.SEND : HeaderSendMode.SKIP)
            .build();
    return EnvoyFilterConfig.builder()
        .processingMode(mode)
        .allowModeOverride(delivery != Delivery.BUFFERED)
        .messageTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** The recorded LF stream framed as another server might send it. */
  static String reframe(String lf, Random rnd, StringBuilder how) {
    String[] ends = {"\n", "\r\n", "\r"};
    String nl = ends[rnd.nextInt(ends.length)];
    int spacing = rnd.nextInt(3); // 0: "data: " as recorded, 1: "data:", 2: mixed
    boolean comments = rnd.nextBoolean();
    boolean unterminated = rnd.nextBoolean();
    how.append("line end ")
        .append(nl.replace("\r", "CR").replace("\n", "LF"))
        .append(", spacing ")
        .append(spacing)
        .append(comments ? ", comments" : "")
        .append(unterminated ? ", unterminated" : "");
    String[] events = lf.split("\n\n", -1);
    StringBuilder out = new StringBuilder();
    if (comments) {
      out.append(nl).append(": connected").append(nl).append(nl);
    }
    int n = events.length - 1; // the recording ends with a blank line: the last split is empty
    for (int i = 0; i < n; i++) {
      if (comments && rnd.nextInt(3) == 0) {
        out.append(rnd.nextBoolean() ? ": keep-alive" + nl + nl : nl);
      }
      String[] lines = events[i].split("\n", -1);
      for (int l = 0; l < lines.length; l++) {
        String line = lines[l];
        if (line.startsWith("data: ") && (spacing == 1 || (spacing == 2 && rnd.nextBoolean()))) {
          line = "data:" + line.substring(6);
        }
        out.append(line);
        if (l < lines.length - 1 || !(unterminated && i == n - 1)) {
          out.append(nl);
        }
      }
      if (!(unterminated && i == n - 1)) {
        out.append(nl);
      }
    }
    return out.toString();
  }

  @Test
  void everyObserverPassesEveryStreamByteForByte() {
    Random rnd = new Random(SEED);
    int exchanges = 0;
    for (Map.Entry<String, ServerFixture> server : SERVERS.entrySet()) {
      for (int round = 0; round < ROUNDS_PER_SERVER; round++) {
        Recording rec = recordings.get(rnd.nextInt(recordings.size()));
        Delivery delivery = Delivery.values()[rnd.nextInt(Delivery.values().length)];
        StringBuilder how = new StringBuilder();
        byte[] body = reframe(rec.text(), rnd, how).getBytes(StandardCharsets.UTF_8);
        int[] cuts = rnd.ints(rnd.nextInt(12), 1, body.length).sorted().distinct().toArray();
        String why =
            "seed "
                + SEED
                + ", server "
                + server.getKey()
                + ", round "
                + round
                + ", "
                + rec.name()
                + " ("
                + how
                + "), "
                + delivery
                + ", cuts "
                + Arrays.toString(cuts);
        HttpOutcome o =
            server
                .getValue()
                .envoy(envoy(delivery))
                .exchange(
                    rec.request().build(),
                    Upstream.fixed(
                        UpstreamResponse.builder()
                            .status(200)
                            .header("content-type", "text/event-stream")
                            .body(body)
                            .chunkOffsets(cuts)
                            .build()));
        assertThat(o.status()).as(why + "\n" + o.trace()).isEqualTo(200);
        assertThat(escape(o.clientResponse().body())).as(why).isEqualTo(escape(body));
        evidence(server.getKey(), rec, o, why);
        exchanges++;
      }
    }
    assertThat(exchanges).isEqualTo(SERVERS.size() * ROUNDS_PER_SERVER);
  }

  /** Each observer shows it read the stream: what it reports. */
  private static void evidence(String server, Recording rec, HttpOutcome o, String why) {
    boolean all = server.startsWith("all");
    boolean llm = rec.totalTokens() >= 0;
    Struct md =
        o.emittedMetadata().getOrDefault("io.payload_processor", Struct.getDefaultInstance());
    if ((all || server.equals("usage-metering")) && llm) {
      Value usage = md.getFieldsOrDefault("usage", Value.getDefaultInstance());
      assertThat(
              usage
                  .getStructValue()
                  .getFieldsOrDefault("total_tokens", Value.getDefaultInstance())
                  .getNumberValue())
          .as(why + " usage metadata " + md)
          .isEqualTo((double) rec.totalTokens());
    }
    if ((all || server.equals("pii")) && llm) {
      assertThat(md.getFieldsMap()).as(why + " pii report " + md).containsKey("pii");
      assertThat(md.getFieldsOrThrow("pii").toString()).as(why).contains("email");
    }
    if ((all || server.equals("prompt-guard")) && llm) {
      assertThat(md.getFieldsMap())
          .as(why + " prompt-guard report " + md)
          .containsKey("prompt_guard");
    }
  }

  /** A module that rewrites one event changes only that event: the others keep their bytes. */
  @Test
  void aRewrittenEventIsTheOnlyOneThatChanges() {
    String denied =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\"search\"},"
            + "{\"name\":\"never_this\"}]}}";
    String notice = "event: message\r\nid:1\r\ndata:{\"jsonrpc\":\"2.0\",\"method\":\"x\"}\r\n\r\n";
    String body =
        ": hello\r\n\r\n"
            + notice
            + "event: message\r\nid: 2\r\ndata: "
            + denied
            + "\r\n\r\n"
            + ": bye\r\n";
    for (Delivery delivery : Delivery.values()) {
      HttpOutcome o =
          SERVERS
              .get("mcp-router")
              .envoy(envoy(delivery))
              .exchange(
                  chat("/mcp", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}").build(),
                  Upstream.fixed(
                      UpstreamResponse.builder()
                          .header("content-type", "text/event-stream")
                          .body(body)
                          .chunkOffsets(5, 40, 90)
                          .build()));
      assertThat(o.status()).isEqualTo(200);
      assertThat(o.clientBody())
          .as(delivery.name())
          .isEqualTo(
              ": hello\r\n\r\n"
                  + notice
                  + "event: message\nid: 2\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"
                  + "{\"tools\":[{\"name\":\"search\"}]}}\n\n"
                  + ": bye\r\n");
    }
  }

  /** The cache really assembled what it passed on: the same question is then answered from it. */
  @Test
  void theCacheStoredTheStreamItPassedOn() throws Exception {
    ServerFixture cache = SERVERS.get("semantic-cache");
    Random rnd = new Random(SEED);
    String lf = recordings.get(0).text();
    StringBuilder how = new StringBuilder();
    byte[] body = reframe(lf, rnd, how).getBytes(StandardCharsets.UTF_8);
    String ask =
        "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"cache me\"}]}";
    HttpOutcome first =
        cache
            .envoy(envoy(Delivery.STREAMED))
            .exchange(
                chat("/v1/chat/completions", ask).build(),
                Upstream.fixed(
                    UpstreamResponse.builder()
                        .header("content-type", "text/event-stream")
                        .body(body)
                        .chunkOffsets(100, 1000)
                        .build()));
    assertThat(escape(first.clientResponse().body())).as(how.toString()).isEqualTo(escape(body));
    HttpRequest again =
        HttpRequest.builder()
            .header(":method", "POST")
            .header(":path", "/v1/chat/completions")
            .header("content-type", "application/json")
            .body(ask)
            .build();
    HttpOutcome hit =
        cache
            .envoy(envoy(Delivery.STREAMED))
            .exchange(again, Upstream.fixed(UpstreamResponse.ok("text/plain", "unused")));
    assertThat(hit.upstreamReached()).as(how.toString()).isFalse();
    assertThat(hit.clientHeader("x-cache")).isEqualTo("hit");
    assertThat(hit.clientBody()).contains("jane.doe@example.com");
  }

  /** Bytes as printable text, so that a mismatch shows where CR, LF and non-ASCII differ. */
  private static String escape(byte[] bytes) {
    StringBuilder sb = new StringBuilder(bytes.length + 64);
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\n') {
        sb.append("\\n\n");
      } else if (c < 0x20 || c >= 0x7f) {
        sb.append(String.format("\\x%02x", c));
      } else {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }
}
