package io.payloadprocessor.server.batch;

import static io.payloadprocessor.server.batch.BatchTestSupport.load;
import static io.payloadprocessor.server.batch.BatchTestSupport.readJsonl;
import static io.payloadprocessor.server.batch.BatchTestSupport.requestLine;
import static io.payloadprocessor.server.batch.BatchTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.pipeline.FailureMode;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.Stage;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.server.pipeline.TargetRef;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchProcessorTest {
  @TempDir Path dir;

  @Test
  void eachLineIsOneTraceWithASpanPerStep() throws Exception {
    io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter spans =
        io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
    io.payloadprocessor.server.telemetry.Tracing tracing =
        io.payloadprocessor.server.telemetry.Tracing.of(
            io.opentelemetry.sdk.OpenTelemetrySdk.builder()
                .setTracerProvider(
                    io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                        .addSpanProcessor(
                            io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(spans))
                        .build())
                .build());
    String input =
        requestLine("a", "{\"model\":\"gpt-4\",\"tier\":\"gold\"}")
            + "\n"
            + requestLine("c", "{\"model\":\"gpt-4\"}")
            + "\n";
    Path in = write(dir, "in.jsonl", input);
    try (BatchProcessor p =
        new BatchProcessor(load(dir, BatchTestSupport.REQUEST_PIPELINE), options(), tracing)) {
      p.run(
          in,
          dir.resolve("out.jsonl"),
          dir.resolve("rejects.jsonl"),
          dir.resolve("report.json"),
          Progress.none());
    }
    var all = spans.getFinishedSpanItems();
    var lines = all.stream().filter(s -> s.getName().equals("batch line")).toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).getTraceId()).isNotEqualTo(lines.get(1).getTraceId());
    var requestIdKey =
        io.opentelemetry.api.common.AttributeKey.stringKey("payload_processor.request_id");
    var outcomeKey =
        io.opentelemetry.api.common.AttributeKey.stringKey("payload_processor.outcome");
    for (var line : lines) {
      var steps = all.stream().filter(s -> s.getParentSpanId().equals(line.getSpanId())).toList();
      if ("a".equals(line.getAttributes().get(requestIdKey))) {
        assertThat(steps)
            .extracting(s -> s.getName() + "=" + s.getAttributes().get(outcomeKey))
            .containsExactlyInAnyOrder("tier=mutate", "route=mutate");
        assertThat(
                line.getAttributes()
                    .get(
                        io.opentelemetry.api.common.AttributeKey.stringKey("gen_ai.request.model")))
            .isEqualTo("gpt-4o");
      } else {
        // Line c has no tier: the FailClosed step rejects it, and the line's span says so.
        assertThat(steps)
            .extracting(s -> s.getName() + "=" + s.getAttributes().get(outcomeKey))
            .containsExactly("tier=reject");
        assertThat(
                line.getAttributes()
                    .get(
                        io.opentelemetry.api.common.AttributeKey.stringKey(
                            "payload_processor.rejection.processor")))
            .isEqualTo("tier");
      }
    }
  }

  private BatchReport run(Pipeline pipeline, BatchOptions options, String input)
      throws IOException, MalformedLineException, BatchFiles.SetupException {
    Path in = write(dir, "in.jsonl", input);
    try (BatchProcessor p = new BatchProcessor(pipeline, options)) {
      return p.run(
          in,
          dir.resolve("out.jsonl"),
          dir.resolve("rejects.jsonl"),
          dir.resolve("report.json"),
          Progress.none());
    }
  }

  private static BatchOptions options() {
    return BatchOptions.defaults().withThreads(2);
  }

  @Test
  void splitsPassedRewrittenAndRejectedLines() throws Exception {
    String input =
        String.join(
                "\n",
                requestLine("a", "{\"model\":\"gpt-4\",\"tier\":\"gold\",\"messages\":[]}"),
                requestLine("b", "{\"model\":\"gpt-3.5\",\"tier\":\"free\"}"),
                requestLine("c", "{\"model\":\"gpt-4\"}"),
                requestLine("d", "{\"model\":\"gpt-4\",\"tier\":\"free\"}"))
            + "\n";
    BatchReport r = run(load(dir, BatchTestSupport.REQUEST_PIPELINE), options(), input);

    List<JsonNode> out = readJsonl(dir.resolve("out.jsonl"));
    assertThat(out).extracting(n -> n.get("custom_id").asText()).containsExactly("a", "b", "d");
    assertThat(out.get(0).at("/body/model").asText()).isEqualTo("gpt-4o");
    assertThat(out.get(0).at("/body/messages").isArray()).isTrue();
    assertThat(out.get(0).get("url").asText()).isEqualTo("/v1/chat/completions");
    assertThat(out.get(0).get("method").asText()).isEqualTo("POST");
    assertThat(out.get(2).at("/body/model").asText()).isEqualTo("gpt-4o");
    // Unchanged lines are written byte for byte as they were read.
    assertThat(Files.readAllLines(dir.resolve("out.jsonl")).get(1))
        .isEqualTo(requestLine("b", "{\"model\":\"gpt-3.5\",\"tier\":\"free\"}"));

    List<JsonNode> rejects = readJsonl(dir.resolve("rejects.jsonl"));
    assertThat(rejects).hasSize(1);
    JsonNode rej = rejects.get(0);
    assertThat(rej.get("custom_id").asText()).isEqualTo("c");
    assertThat(rej.get("line").asLong()).isEqualTo(3);
    assertThat(rej.at("/error/processor").asText()).isEqualTo("tier");
    assertThat(rej.at("/error/phase").asText()).isEqualTo("request");
    assertThat(rej.at("/error/reason").asText()).isEqualTo("processor_error");
    assertThat(rej.at("/error/status").asInt()).isEqualTo(500);
    assertThat(rej.at("/error/request_id").asText()).isEqualTo("c");

    assertThat(r.lines()).isEqualTo(4);
    assertThat(r.passed()).isEqualTo(3);
    assertThat(r.rewritten()).isEqualTo(2);
    assertThat(r.rejected()).isEqualTo(1);
    assertThat(r.malformed()).isZero();
    assertThat(r.headersChanged()).isEqualTo(3);
    assertThat(r.rejections("tier", "block", "processor_error")).isEqualTo(1);
    assertThat(r.processor("tier")).containsEntry("continue", 3L).containsEntry("error", 1L);
    assertThat(r.processor("route"))
        .containsEntry("continue", 3L)
        .containsEntry("rewrote_body", 3L);
    assertThat(r.processor("tier"))
        .containsEntry("changed_headers", 3L)
        .doesNotContainKey("rewrote_body");

    JsonNode report = HttpMessage.JSON.readTree(dir.resolve("report.json").toFile());
    assertThat(report.at("/counts/lines").asLong()).isEqualTo(4);
    assertThat(report.at("/counts/passed").asLong()).isEqualTo(3);
    assertThat(report.at("/counts/unchanged").asLong()).isEqualTo(1);
    assertThat(report.at("/counts/rewritten").asLong()).isEqualTo(2);
    assertThat(report.at("/counts/rejected").asLong()).isEqualTo(1);
    assertThat(report.at("/counts/headers_changed").asLong()).isEqualTo(3);
    assertThat(report.at("/header_changes/x-tier").asLong()).isEqualTo(3);
    assertThat(report.at("/rejections/0/reason").asText()).isEqualTo("processor_error");
    assertThat(report.at("/rejections/0/count").asLong()).isEqualTo(1);
    assertThat(report.at("/processors/tier/error").asLong()).isEqualTo(1);
    assertThat(report.at("/timing/threads").asInt()).isEqualTo(2);
    assertThat(report.at("/timing/lines_per_second").isNumber()).isTrue();
  }

  @Test
  void keepsInputOrderWithManyThreadsAndASmallWindow() throws Exception {
    StringBuilder input = new StringBuilder();
    int n = 3000;
    for (int i = 1; i <= n; i++) {
      String body =
          i % 7 == 0
              ? "{\"model\":\"gpt-4\"}"
              : "{\"model\":\"" + (i % 2 == 0 ? "gpt-4" : "m") + "\",\"tier\":\"t\"}";
      input.append(requestLine("id-" + i, body)).append('\n');
    }
    BatchReport r =
        run(
            load(dir, BatchTestSupport.REQUEST_PIPELINE),
            BatchOptions.defaults().withThreads(8).withWindow(16),
            input.toString());

    List<String> out = ids(readJsonl(dir.resolve("out.jsonl")));
    List<JsonNode> rejects = readJsonl(dir.resolve("rejects.jsonl"));
    List<String> expectedOut = new ArrayList<>();
    List<Long> expectedRejectLines = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      if (i % 7 == 0) {
        expectedRejectLines.add((long) i);
      } else {
        expectedOut.add("id-" + i);
      }
    }
    assertThat(out).containsExactlyElementsOf(expectedOut);
    assertThat(rejects).extracting(j -> j.get("line").asLong()).isEqualTo(expectedRejectLines);
    assertThat(r.lines()).isEqualTo(n);
    assertThat(r.passed() + r.rejected()).isEqualTo(n);
  }

  @Test
  void failsAtTheFirstMalformedLineNamingIt() throws Exception {
    String input =
        requestLine("a", "{\"tier\":\"x\",\"model\":\"m\"}")
            + "\n"
            + requestLine("b", "{\"tier\":\"x\",\"model\":\"m\"}")
            + "\n{not json at all\n"
            + requestLine("d", "{\"tier\":\"x\",\"model\":\"m\"}")
            + "\n";
    assertThatThrownBy(() -> run(load(dir, BatchTestSupport.REQUEST_PIPELINE), options(), input))
        .isInstanceOf(MalformedLineException.class)
        .hasMessageContaining("line 3")
        .satisfies(e -> assertThat(((MalformedLineException) e).line()).isEqualTo(3));
    // A failed run writes nothing, and leaves no partial files behind.
    assertThat(dir.resolve("out.jsonl")).doesNotExist();
    assertThat(dir.resolve("rejects.jsonl")).doesNotExist();
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
    }
  }

  @Test
  void skipsMalformedLinesIntoRejectsWithTheirLineNumbers() throws Exception {
    String input =
        String.join(
                "\n",
                requestLine("ok1", "{\"tier\":\"x\",\"model\":\"m\"}"),
                "{\"custom_id\": \"x\", \"body\": jane.doe@example.com}",
                "{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}",
                requestLine("arr", "[1,2]"),
                "[]",
                "",
                "{\"custom_id\":\"nobody\",\"url\":\"/v1/chat/completions\"}",
                requestLine("dup", "{\"model\":\"a\",\"model\":\"b\"}"),
                requestLine("two", "{\"tier\":\"x\",\"model\":\"m\"}") + " {}",
                requestLine("ok2", "{\"tier\":\"x\",\"model\":\"m\"}"))
            + "\n";
    BatchReport r =
        run(
            load(dir, BatchTestSupport.REQUEST_PIPELINE),
            options().withOnMalformed(BatchOptions.MalformedPolicy.SKIP),
            input);

    assertThat(ids(readJsonl(dir.resolve("out.jsonl")))).containsExactly("ok1", "ok2");
    List<JsonNode> rejects = readJsonl(dir.resolve("rejects.jsonl"));
    assertThat(rejects)
        .extracting(j -> j.get("line").asLong())
        .containsExactly(2L, 3L, 4L, 5L, 7L, 8L, 9L);
    assertThat(rejects)
        .allSatisfy(j -> assertThat(j.at("/error/reason").asText()).isEqualTo("malformed_line"));
    assertThat(rejects.get(0).at("/error/message").asText())
        .contains("line 2")
        .contains("not valid JSON");
    assertThat(rejects.get(1).at("/error/message").asText()).contains("custom_id");
    assertThat(rejects.get(1).get("custom_id").isNull()).isTrue();
    assertThat(rejects.get(2).at("/error/message").asText()).contains("body is not a JSON object");
    assertThat(rejects.get(2).get("custom_id").asText()).isEqualTo("arr");
    assertThat(rejects.get(4).at("/error/message").asText()).contains("missing body");
    assertThat(rejects.get(5).at("/error/message").asText()).contains("duplicate");
    // A malformed line's content is never repeated (it may hold personal data).
    assertThat(Files.readString(dir.resolve("rejects.jsonl"))).doesNotContain("jane.doe");
    assertThat(rejects.get(6).get("custom_id").isNull()).isTrue();
    assertThat(r.lines()).isEqualTo(9);
    assertThat(r.malformed()).isEqualTo(7);
    assertThat(r.passed()).isEqualTo(2);
    assertThat(r.rejections("payload-processor", "malformed", "malformed_line")).isEqualTo(7);
  }

  @Test
  void resultsModeMasksResponsesAndRejectsBlockedOnes() throws Exception {
    String input =
        String.join(
                "\n",
                resultLine(
                    "r1",
                    "{\"id\":\"c1\",\"system_fingerprint\":\"fp\",\"usage\":{\"total_tokens\":5}}"),
                resultLine("r2", "{\"id\":\"c2\",\"usage\":{\"total_tokens\":7}}"),
                resultLine("r3", "{\"id\":\"c3\"}"),
                "{\"id\":\"batch_req_4\",\"custom_id\":\"r4\",\"response\":null,"
                    + "\"error\":{\"code\":\"server_error\",\"message\":\"boom\"}}")
            + "\n";
    BatchReport r =
        run(
            load(dir, BatchTestSupport.RESPONSE_PIPELINE),
            options().withMode(BatchOptions.Mode.RESULTS),
            input);

    List<JsonNode> out = readJsonl(dir.resolve("out.jsonl"));
    assertThat(ids(out)).containsExactly("r1", "r2", "r4");
    assertThat(out.get(0).at("/response/body").has("system_fingerprint")).isFalse();
    assertThat(out.get(0).at("/response/body/id").asText()).isEqualTo("c1");
    assertThat(out.get(0).at("/response/status_code").asInt()).isEqualTo(200);
    assertThat(out.get(0).get("id").asText()).isEqualTo("batch_req_r1");
    assertThat(out.get(2).get("response").isNull()).isTrue();

    List<JsonNode> rejects = readJsonl(dir.resolve("rejects.jsonl"));
    assertThat(rejects).hasSize(1);
    assertThat(rejects.get(0).get("custom_id").asText()).isEqualTo("r3");
    assertThat(rejects.get(0).get("line").asLong()).isEqualTo(3);
    assertThat(rejects.get(0).at("/error/processor").asText()).isEqualTo("usage");
    assertThat(rejects.get(0).at("/error/phase").asText()).isEqualTo("response");

    assertThat(r.lines()).isEqualTo(4);
    assertThat(r.rewritten()).isEqualTo(1);
    assertThat(r.passed()).isEqualTo(3);
    assertThat(r.rejected()).isEqualTo(1);
    JsonNode report = HttpMessage.JSON.readTree(dir.resolve("report.json").toFile());
    assertThat(report.at("/mode").asText()).isEqualTo("results");
    assertThat(report.at("/counts/no_response").asLong()).isEqualTo(1);
    assertThat(report.at("/processors/usage/error").asLong()).isEqualTo(1);
  }

  @Test
  void piiModuleMasksAnEmailInABatchLine() throws Exception {
    String input =
        requestLine(
                "p1",
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"mail jane.doe@example.com today\"}]}")
            + "\n"
            + requestLine(
                "p2", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
            + "\n";
    BatchReport r = run(load(dir, BatchTestSupport.PII_PIPELINE), options(), input);

    String written = Files.readString(dir.resolve("out.jsonl"));
    assertThat(written).doesNotContain("jane.doe@example.com");
    List<JsonNode> out = readJsonl(dir.resolve("out.jsonl"));
    assertThat(out.get(0).at("/body/messages/0/content").asText())
        .startsWith("mail ")
        .endsWith(" today")
        .contains("EMAIL");
    assertThat(out.get(1).at("/body/messages/0/content").asText()).isEqualTo("hi");
    assertThat(r.rewritten()).isEqualTo(1);
    assertThat(r.passed()).isEqualTo(2);
  }

  @Test
  void aSyntheticResponsePassesTheLineUnchangedAndANonJsonRewriteIsRejected() throws Exception {
    Processor cache =
        exchange -> {
          String body = new String(exchange.request().body(), StandardCharsets.UTF_8);
          if (body.contains("cached")) {
            return Outcome.respond(
                200, new Headers(), "{\"hit\":true}".getBytes(StandardCharsets.UTF_8));
          }
          if (body.contains("garble")) {
            return Outcome.proceed(
                Mutation.create().replaceBody("not json".getBytes(StandardCharsets.UTF_8)));
          }
          return Outcome.proceed();
        };
    Pipeline pipeline = Pipeline.of(List.of(step("cache", cache)));
    String input =
        requestLine("hit", "{\"q\":\"cached\"}")
            + "\n"
            + requestLine("bad", "{\"q\":\"garble\"}")
            + "\n"
            + requestLine("miss", "{\"q\":\"x\"}")
            + "\n";
    BatchReport r = run(pipeline, options(), input);
    assertThat(Files.readAllLines(dir.resolve("out.jsonl")))
        .containsExactly(
            requestLine("hit", "{\"q\":\"cached\"}"), requestLine("miss", "{\"q\":\"x\"}"));
    List<JsonNode> rejects = readJsonl(dir.resolve("rejects.jsonl"));
    assertThat(rejects).hasSize(1);
    assertThat(rejects.get(0).at("/error/reason").asText()).isEqualTo("rewritten_body_not_json");
    assertThat(r.responded()).isEqualTo(1);
    assertThat(r.passed()).isEqualTo(2);
    assertThat(r.processor("cache")).containsEntry("respond", 1L);
  }

  @Test
  void rejectsBodiesOverTheLimitAsTheServerDoes() throws Exception {
    String input =
        requestLine("big", "{\"tier\":\"x\",\"model\":\"" + "a".repeat(2000) + "\"}") + "\n";
    BatchReport r =
        run(load(dir, BatchTestSupport.REQUEST_PIPELINE), options().withMaxBodyBytes(1024), input);
    List<JsonNode> rejects = readJsonl(dir.resolve("rejects.jsonl"));
    assertThat(rejects.get(0).at("/error/reason").asText()).isEqualTo("request_body_too_large");
    assertThat(rejects.get(0).at("/error/status").asInt()).isEqualTo(413);
    assertThat(r.rejected()).isEqualTo(1);
  }

  @Test
  void aBodyOverTheParsersLimitIsA413RejectNotAMalformedLine() throws Exception {
    // A 17 MiB string is over the JSON parser's string limit (16 MiB) as well as the body limit.
    String input =
        requestLine("a", "{\"tier\":\"x\",\"model\":\"m\"}")
            + "\n"
            + requestLine("huge", "{\"tier\":\"x\",\"model\":\"" + "a".repeat(17 << 20) + "\"}")
            + "\n"
            + requestLine("c", "{\"tier\":\"x\",\"model\":\"m\"}")
            + "\n";
    BatchReport r = run(load(dir, BatchTestSupport.REQUEST_PIPELINE), options(), input);
    List<JsonNode> rejects = readJsonl(dir.resolve("rejects.jsonl"));
    assertThat(rejects).hasSize(1);
    assertThat(rejects.get(0).get("custom_id").asText()).isEqualTo("huge");
    assertThat(rejects.get(0).get("line").asLong()).isEqualTo(2);
    assertThat(rejects.get(0).at("/error/reason").asText()).isEqualTo("request_body_too_large");
    assertThat(rejects.get(0).at("/error/status").asInt()).isEqualTo(413);
    assertThat(rejects.get(0).at("/error/request_id").asText()).isEqualTo("huge");
    assertThat(ids(readJsonl(dir.resolve("out.jsonl")))).containsExactly("a", "c");
    assertThat(r.malformed()).isZero();
  }

  @Test
  void aLineOverTheLineLimitIsA413RejectWithTheCustomIdFromItsStart() throws Exception {
    String input =
        requestLine("long", "{\"tier\":\"x\",\"model\":\"" + "b".repeat(5000) + "\"}")
            + "\n"
            + requestLine("short", "{\"tier\":\"x\",\"model\":\"m\"}")
            + "\n";
    BatchReport r =
        run(
            load(dir, BatchTestSupport.REQUEST_PIPELINE),
            options().withMaxBodyBytes(1024).withMaxLineBytes(2048),
            input);
    List<JsonNode> rejects = readJsonl(dir.resolve("rejects.jsonl"));
    assertThat(rejects).hasSize(1);
    assertThat(rejects.get(0).get("custom_id").asText()).isEqualTo("long");
    assertThat(rejects.get(0).at("/error/status").asInt()).isEqualTo(413);
    assertThat(ids(readJsonl(dir.resolve("out.jsonl")))).containsExactly("short");
    assertThat(r.rejected()).isEqualTo(1);
    assertThat(r.malformed()).isZero();
  }

  /**
   * 10k lines from a generator stream (never in memory as a whole) to a counting sink: every line
   * comes out, and output starts long before the input has been read, so nothing buffers the file.
   */
  @Test
  void streamsTenThousandLinesWithABoundedWindow() throws Exception {
    int n = 10_000;
    GeneratedInput in = new GeneratedInput(n);
    AtomicLong inputReadAtFirstOutput = new AtomicLong(-1);
    LineCounter out = new LineCounter(() -> inputReadAtFirstOutput.compareAndSet(-1, in.consumed));
    LineCounter rejects = new LineCounter(() -> {});
    BatchReport r;
    try (BatchProcessor p =
        new BatchProcessor(
            load(dir, BatchTestSupport.REQUEST_PIPELINE),
            BatchOptions.defaults().withThreads(4).withWindow(32))) {
      r = p.run(in, out, rejects, Progress.none(), -1);
    }
    assertThat(out.lines + rejects.lines).isEqualTo(n);
    assertThat(rejects.lines).isEqualTo(n / 10);
    assertThat(r.lines()).isEqualTo(n);
    assertThat(r.rewritten()).isEqualTo(n / 2 - n / 10);
    assertThat(inputReadAtFirstOutput.get()).isPositive().isLessThan(in.total / 2);
  }

  private static Step step(String name, Processor p) {
    return new Step(
        name,
        "doc",
        Stage.PRE_ROUTING,
        new TargetRef("gateway.networking.k8s.io", "Gateway", "gw", null),
        FailureMode.FAIL_CLOSED,
        Duration.ofSeconds(5),
        "InProcess",
        p);
  }

  private static String resultLine(String customId, String body) {
    return "{\"id\":\"batch_req_"
        + customId
        + "\",\"custom_id\":\""
        + customId
        + "\",\"response\":{\"status_code\":200,\"request_id\":\"req-"
        + customId
        + "\",\"body\":"
        + body
        + "},\"error\":null}";
  }

  private static List<String> ids(List<JsonNode> lines) {
    return lines.stream().map(j -> j.get("custom_id").asText()).toList();
  }

  /** Batch lines made on demand: every 10th has no tier (rejected), every 2nd model is gpt-4. */
  static final class GeneratedInput extends InputStream {
    private final int lines;
    private int next = 1;
    private byte[] current = new byte[0];
    private int pos;
    long consumed;
    final long total;

    GeneratedInput(int lines) {
      this.lines = lines;
      long t = 0;
      for (int i = 1; i <= lines; i++) {
        t += line(i).length;
      }
      this.total = t;
    }

    private static byte[] line(int i) {
      String body =
          "{\"model\":\""
              + (i % 2 == 0 ? "gpt-4" : "small")
              + "\""
              + (i % 10 == 0 ? "" : ",\"tier\":\"t\"")
              + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello number "
              + i
              + "\"}]}";
      return (requestLine("gen-" + i, body) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos == current.length) {
        if (next > lines) {
          return -1;
        }
        current = line(next++);
        pos = 0;
      }
      int k = Math.min(len, current.length - pos);
      System.arraycopy(current, pos, b, off, k);
      pos += k;
      consumed += k;
      return k;
    }
  }

  /** Counts lines written, keeping none. */
  static final class LineCounter extends OutputStream {
    private final Runnable onFirstWrite;
    long lines;
    private boolean written;

    LineCounter(Runnable onFirstWrite) {
      this.onFirstWrite = onFirstWrite;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (!written) {
        written = true;
        onFirstWrite.run();
      }
      for (int i = off; i < off + len; i++) {
        if (b[i] == '\n') {
          lines++;
        }
      }
    }
  }
}
