package io.payloadprocessor.server.batch;

import static io.payloadprocessor.server.batch.BatchTestSupport.readJsonl;
import static io.payloadprocessor.server.batch.BatchTestSupport.requestLine;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.pipeline.FailureMode;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.Stage;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.server.pipeline.TargetRef;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch results depend on the input and the config only: realtime timeouts and the pipeline budget
 * do not apply, so slow steps give the same results on every run, with any number of threads; only
 * the batch step timeout ends a step that hangs.
 */
class BatchDeterminismTest {
  @TempDir Path dir;

  /** Sleeps longer than its realtime timeout on every third line, then tags the body. */
  private static final class Slow implements Processor {
    @Override
    public Execution execution() {
      return Execution.CPU;
    }

    @Override
    public Outcome onRequest(Exchange exchange) throws Exception {
      String body = new String(exchange.request().body(), StandardCharsets.UTF_8);
      int n = Integer.parseInt(body.replaceAll("\\D", ""));
      if (n % 3 == 0) {
        Thread.sleep(30);
      }
      if (n % 5 == 0) {
        return Outcome.reject(io.payloadprocessor.spi.Block.of(403, "fives", "no fives"));
      }
      ObjectNode tagged = ((ObjectNode) exchange.request().json()).deepCopy();
      tagged.put("seen", "yes");
      return Outcome.proceed(Mutation.create().replaceJson(tagged));
    }
  }

  /** Never answers (until interrupted). */
  private static final class Hung implements Processor {
    @Override
    public Execution execution() {
      return Execution.CPU;
    }

    @Override
    public Outcome onRequest(Exchange exchange) throws Exception {
      String body = new String(exchange.request().body(), StandardCharsets.UTF_8);
      if (body.contains("hang")) {
        Thread.sleep(600_000);
      }
      return Outcome.proceed();
    }
  }

  private static Step step(String name, Duration realtimeTimeout, Processor p) {
    return new Step(
        name,
        "doc",
        Stage.PRE_ROUTING,
        new TargetRef("gateway.networking.k8s.io", "Gateway", "gw", null),
        FailureMode.FAIL_CLOSED,
        realtimeTimeout,
        "InProcess",
        p);
  }

  private String input(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      b.append(requestLine("c" + i, "{\"n\":\"" + i + "\"}")).append('\n');
    }
    return b.toString();
  }

  private record Files3(byte[] out, byte[] rejects, JsonNode report) {}

  private Files3 run(String name, Pipeline pipeline, BatchOptions options, String input)
      throws Exception {
    Path in = dir.resolve("in.jsonl");
    if (!Files.exists(in)) {
      Files.writeString(in, input);
    }
    Path out = dir.resolve(name + "-out.jsonl");
    Path rej = dir.resolve(name + "-rejects.jsonl");
    Path rep = dir.resolve(name + "-report.json");
    try (BatchProcessor p = new BatchProcessor(pipeline, options)) {
      p.run(in, out, rej, rep, Progress.none());
    }
    ObjectNode report = (ObjectNode) HttpMessage.JSON.readTree(rep.toFile());
    report.remove("timing");
    return new Files3(Files.readAllBytes(out), Files.readAllBytes(rej), report);
  }

  @Test
  void aRerunGivesByteIdenticalResultsWhateverTheThreadsAndRealtimeTimeouts() throws Exception {
    // Realtime, a 10ms timeout and a 15ms budget would time out every third line, as load allows.
    Pipeline pipeline = Pipeline.of(List.of(step("slow", Duration.ofMillis(10), new Slow())));
    String input = input(60);
    Files3 first = run("a", pipeline, BatchOptions.defaults().withThreads(4), input);
    Files3 second = run("b", pipeline, BatchOptions.defaults().withThreads(4), input);
    Files3 single = run("c", pipeline, BatchOptions.defaults().withThreads(1).withWindow(1), input);
    assertThat(second.out()).isEqualTo(first.out());
    assertThat(second.rejects()).isEqualTo(first.rejects());
    assertThat(second.report()).isEqualTo(first.report());
    assertThat(single.out()).isEqualTo(first.out());
    assertThat(single.rejects()).isEqualTo(first.rejects());
    assertThat(single.report()).isEqualTo(first.report());
    // No timeouts: 48 lines pass with the body tag, the 12 multiples of five are rejected.
    assertThat(first.report().at("/counts/rewritten").asLong()).isEqualTo(48);
    assertThat(first.report().at("/counts/rejected").asLong()).isEqualTo(12);
    assertThat(first.report().at("/processors/slow/timeout").isMissingNode()).isTrue();
  }

  @Test
  void theBatchStepTimeoutStillEndsAHungStep() throws Exception {
    Pipeline pipeline = Pipeline.of(List.of(step("hung", Duration.ofMillis(10), new Hung())));
    String input =
        requestLine("ok", "{\"q\":\"fine\"}")
            + "\n"
            + requestLine("stuck", "{\"q\":\"hang\"}")
            + "\n";
    Files3 r =
        run(
            "t",
            pipeline,
            BatchOptions.defaults().withThreads(2).withStepTimeout(Duration.ofMillis(300)),
            input);
    List<JsonNode> rejects = readJsonl(dir.resolve("t-rejects.jsonl"));
    assertThat(rejects).hasSize(1);
    assertThat(rejects.get(0).get("custom_id").asText()).isEqualTo("stuck");
    assertThat(rejects.get(0).at("/error/reason").asText()).isEqualTo("timeout");
    assertThat(rejects.get(0).at("/error/message").asText()).contains("300ms");
    assertThat(new String(r.out(), StandardCharsets.UTF_8)).contains("\"ok\"");
  }
}
