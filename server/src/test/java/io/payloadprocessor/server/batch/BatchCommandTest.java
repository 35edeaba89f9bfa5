package io.payloadprocessor.server.batch;

import static io.payloadprocessor.server.batch.BatchTestSupport.readJsonl;
import static io.payloadprocessor.server.batch.BatchTestSupport.requestLine;
import static io.payloadprocessor.server.batch.BatchTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code payload-processor batch} end to end through {@link Main#run}. */
class BatchCommandTest {
  @TempDir Path dir;

  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream savedErr;

  @BeforeEach
  void captureStderr() {
    savedErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreStderr() {
    System.setErr(savedErr);
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private int batch(String pipeline, String input, String... extra) throws Exception {
    Path config = write(dir, "pipeline.yaml", pipeline);
    Path in = write(dir, "in.jsonl", input);
    String[] base = {
      "batch",
      "--config",
      config.toString(),
      "--input",
      in.toString(),
      "--output",
      dir.resolve("out.jsonl").toString(),
      "--rejects",
      dir.resolve("rejects.jsonl").toString(),
      "--report",
      dir.resolve("report.json").toString(),
      "--threads",
      "2"
    };
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return Main.run(args);
  }

  @Test
  void runsEndToEndAndWritesAllThreeFiles() throws Exception {
    String input =
        requestLine("a", "{\"model\":\"gpt-4\",\"tier\":\"gold\"}")
            + "\n"
            + requestLine("b", "{\"model\":\"gpt-4\"}")
            + "\n";
    int code = batch(BatchTestSupport.REQUEST_PIPELINE, input);
    assertThat(code).as(stderr()).isZero();
    assertThat(readJsonl(dir.resolve("out.jsonl")))
        .singleElement()
        .satisfies(j -> assertThat(j.at("/body/model").asText()).isEqualTo("gpt-4o"));
    assertThat(readJsonl(dir.resolve("rejects.jsonl")))
        .singleElement()
        .satisfies(j -> assertThat(j.get("custom_id").asText()).isEqualTo("b"));
    JsonNode report = HttpMessage.JSON.readTree(dir.resolve("report.json").toFile());
    assertThat(report.at("/counts/lines").asLong()).isEqualTo(2);
    assertThat(report.at("/counts/rejected").asLong()).isEqualTo(1);
    assertThat(stderr()).contains("2 lines: 1 passed (1 rewritten), 1 rejected");
  }

  @Test
  void malformedLineFailsWithExitOneNamingTheLine() throws Exception {
    String input = requestLine("a", "{\"tier\":\"x\",\"model\":\"m\"}") + "\nnope\n";
    assertThat(batch(BatchTestSupport.REQUEST_PIPELINE, input)).isEqualTo(1);
    assertThat(stderr()).contains("line 2").contains("--on-malformed skip");
    assertThat(batch(BatchTestSupport.REQUEST_PIPELINE, input, "--on-malformed", "skip")).isZero();
    assertThat(readJsonl(dir.resolve("rejects.jsonl")))
        .singleElement()
        .satisfies(j -> assertThat(j.at("/error/reason").asText()).isEqualTo("malformed_line"));
  }

  @Test
  void invalidConfigAndBadArgumentsExitTwo() throws Exception {
    String broken =
        BatchTestSupport.HEADER
            + "    - {name: a, type: InProcess, inProcess: {request: {setBodyFields: [{path: '$.a[',"
            + " value: '1'}]}}}\n";
    assertThat(batch(broken, "")).isEqualTo(2);
    assertThat(stderr()).contains("invalid").contains("setBodyFields[0].path");
    assertThat(batch(BatchTestSupport.REQUEST_PIPELINE, "", "--on-malformed", "maybe"))
        .isEqualTo(2);
    assertThat(Main.run("batch", "--input", "x.jsonl")).isEqualTo(2);
    Path in = write(dir, "same.jsonl", requestLine("a", "{}") + "\n");
    assertThat(
            Main.run(
                "batch",
                "--config",
                dir.resolve("pipeline.yaml").toString(),
                "--input",
                in.toString(),
                "--output",
                in.toString(),
                "--rejects",
                dir.resolve("r.jsonl").toString()))
        .isEqualTo(2);
    assertThat(Files.readString(in)).isEqualTo(requestLine("a", "{}") + "\n");
  }

  @Test
  void resultsFlagRunsTheResponsePhase() throws Exception {
    String input =
        "{\"id\":\"b1\",\"custom_id\":\"r1\",\"response\":{\"status_code\":200,\"request_id\":\"q\","
            + "\"body\":{\"system_fingerprint\":\"fp\",\"usage\":{\"total_tokens\":3}}},"
            + "\"error\":null}\n";
    assertThat(batch(BatchTestSupport.RESPONSE_PIPELINE, input, "--results")).isZero();
    assertThat(readJsonl(dir.resolve("out.jsonl")))
        .singleElement()
        .satisfies(j -> assertThat(j.at("/response/body").has("system_fingerprint")).isFalse());
    assertThat(Files.size(dir.resolve("rejects.jsonl"))).isZero();
  }

  private int batchTo(Path output, Path rejects, Path report) throws Exception {
    Path config = write(dir, "pipeline.yaml", BatchTestSupport.REQUEST_PIPELINE);
    Path in = dir.resolve("in.jsonl");
    if (!Files.exists(in)) {
      write(dir, "in.jsonl", requestLine("a", "{\"tier\":\"x\",\"model\":\"m\"}") + "\n");
    }
    return Main.run(
        "batch",
        "--config",
        config.toString(),
        "--input",
        in.toString(),
        "--output",
        output.toString(),
        "--rejects",
        rejects.toString(),
        "--report",
        report.toString());
  }

  private List<String> partialFiles() throws Exception {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".partial")).toList();
    }
  }

  @Test
  void refusesOneFileInTwoRolesThroughSymbolicAndHardLinks() throws Exception {
    Path out = write(dir, "out.jsonl", "previous\n");
    Path sym = Files.createSymbolicLink(dir.resolve("sym.jsonl"), out);
    Path hard = Files.createLink(dir.resolve("hard.json"), out);
    assertThat(batchTo(out, sym, dir.resolve("r.json"))).isEqualTo(2);
    assertThat(stderr()).contains("are the same file");
    assertThat(batchTo(out, dir.resolve("rej.jsonl"), hard)).isEqualTo(2);
    assertThat(batchTo(dir.resolve("o.jsonl"), dir.resolve("o.jsonl"), dir.resolve("r.json")))
        .isEqualTo(2);
    assertThat(batchTo(dir.resolve("in.jsonl"), dir.resolve("x.jsonl"), dir.resolve("r.json")))
        .isEqualTo(2);
    // A partial file's name that is another role's target is refused too.
    assertThat(
            batchTo(dir.resolve("o.jsonl"), dir.resolve("o.jsonl.partial"), dir.resolve("r.json")))
        .isEqualTo(2);
    assertThat(Files.readString(out)).isEqualTo("previous\n");
    assertThat(partialFiles()).isEmpty();
    assertThat(dir.resolve("rej.jsonl")).doesNotExist();
  }

  @Test
  void anUnwritableReportFailsBeforeAnyLineRuns() throws Exception {
    assertThat(
            batchTo(
                dir.resolve("out.jsonl"),
                dir.resolve("rej.jsonl"),
                Path.of("/nonexistent/dir/r.json")))
        .isEqualTo(2);
    assertThat(stderr()).contains("/nonexistent/dir").contains("no such directory");
    assertThat(dir.resolve("out.jsonl")).doesNotExist();
    assertThat(partialFiles()).isEmpty();
  }

  @Test
  void aFailedRunLeavesThePreviousResultsAsTheyWere() throws Exception {
    write(dir, "out.jsonl", "previous output\n");
    write(dir, "rejects.jsonl", "previous rejects\n");
    write(dir, "report.json", "{}");
    String input = requestLine("a", "{\"tier\":\"x\",\"model\":\"m\"}") + "\nnope\n";
    assertThat(batch(BatchTestSupport.REQUEST_PIPELINE, input)).isEqualTo(1);
    assertThat(stderr()).contains("line 2").contains("nothing written");
    assertThat(Files.readString(dir.resolve("out.jsonl"))).isEqualTo("previous output\n");
    assertThat(Files.readString(dir.resolve("rejects.jsonl"))).isEqualTo("previous rejects\n");
    assertThat(Files.readString(dir.resolve("report.json"))).isEqualTo("{}");
    assertThat(partialFiles()).isEmpty();
  }

  @Test
  void resumeNeedsAnInterruptedRun() throws Exception {
    String input = requestLine("a", "{\"tier\":\"x\",\"model\":\"m\"}") + "\n";
    assertThat(batch(BatchTestSupport.REQUEST_PIPELINE, input, "--resume")).isEqualTo(2);
    assertThat(stderr()).contains("nothing to resume");
    assertThat(batch(BatchTestSupport.REQUEST_PIPELINE, input)).isZero();
    assertThat(batch(BatchTestSupport.REQUEST_PIPELINE, input, "--resume")).isEqualTo(2);
    assertThat(stderr()).contains("is complete");
  }
}
