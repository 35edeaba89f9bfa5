package io.payloadprocessor.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job in local mode against the CLI {@code batch} on the same files and pipelines: the
 * output and rejects (part files concatenated in name order) equal the CLI's byte for byte, and the
 * reports are equal but for timing. Small splits make several partitions per file, so lines cross
 * split boundaries and the report is aggregated.
 */
class SparkBatchTest {
  private static SparkSession spark;

  @TempDir Path dir;

  private static final String HEADER =
      """
      apiVersion: ainetworking.x-k8s.io/v0alpha0
      kind: PayloadProcessor
      metadata: {name: spark-test}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway}
        phase: PreRouting
        processors:
      """;

  /** pii masks emails and blocks cards; tier copies a body field to a header, fails closed. */
  private static final String PII_PIPELINE =
      HEADER
          + "    - name: pii\n"
          + "      type: payload-processor.io/Module\n"
          + "      timeout: 10ms\n"
          + "      module:\n"
          + "        id: pii\n"
          + "        config:\n"
          + "          detectors: [{type: email, action: mask}, {type: payment_card, action: block}]\n"
          + "    - name: tier\n"
          + "      type: InProcess\n"
          + "      failureMode: FailClosed\n"
          + "      inProcess:\n"
          + "        request:\n"
          + "          setHeaders: [{name: x-tier, value: 'json(request.body).tier'}]\n";

  private static final String RESPONSE_PIPELINE =
      HEADER
          + "    - name: pii\n"
          + "      type: payload-processor.io/Module\n"
          + "      module: {id: pii, config: {detectors: [{type: email, action: mask}]}}\n"
          + "    - name: usage\n"
          + "      type: InProcess\n"
          + "      failureMode: FailClosed\n"
          + "      inProcess:\n"
          + "        response:\n"
          + "          setHeaders:\n"
          + "            - name: x-tokens\n"
          + "              value: 'string(json(response.body).usage.total_tokens)'\n";

  @BeforeAll
  static void startSpark() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("payload-processor-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** Requests of every kind: passing, masked, blocked, failing closed, malformed, oversized. */
  static String requests(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      String content =
          switch (i % 7) {
            case 1 -> "mail me at user" + i + "@example.com";
            case 2 -> "my card is 4111 1111 1111 1111";
            default -> "hello number " + i;
          };
      String tier = i % 11 == 0 ? "" : ",\"tier\":\"t" + (i % 3) + "\"";
      b.append("{\"custom_id\":\"req-")
          .append(i)
          .append(
              "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\"")
          .append(tier)
          .append(",\"messages\":[{\"role\":\"user\",\"content\":\"")
          .append(content)
          .append("\"}]}}");
      b.append(i % 13 == 0 ? "\r\n" : "\n");
      if (i % 97 == 0) {
        b.append("{not json\n\n");
      }
      if (i % 151 == 0) {
        // Over --max-body-bytes (8KiB): a 413 reject; over the line limit (64 MiB) it would be too.
        b.append("{\"custom_id\":\"big-")
            .append(i)
            .append("\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"")
            .append("x".repeat(9000))
            .append("\"}}\n");
      }
    }
    return b.toString();
  }

  static String results(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      if (i % 17 == 0) {
        b.append("{\"id\":\"b").append(i).append("\",\"custom_id\":\"r").append(i);
        b.append("\",\"response\":null,\"error\":{\"code\":\"x\"}}\n");
        continue;
      }
      String usage = i % 5 == 0 ? "" : ",\"usage\":{\"total_tokens\":" + i + "}";
      b.append("{\"id\":\"b").append(i).append("\",\"custom_id\":\"r").append(i);
      b.append("\",\"response\":{\"status_code\":200,\"request_id\":\"q").append(i);
      b.append("\",\"body\":{\"choices\":[{\"message\":{\"content\":\"write to a")
          .append(i)
          .append("@example.org\"}}]")
          .append(usage)
          .append("}},\"error\":null}\n");
    }
    return b.toString();
  }

  private record Run(int code, String stderr) {}

  private Run cli(Path config, Path input, String... extra) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "batch",
                "--config",
                config.toString(),
                "--input",
                input.toString(),
                "--output",
                dir.resolve("cli-out.jsonl").toString(),
                "--rejects",
                dir.resolve("cli-rejects.jsonl").toString(),
                "--report",
                dir.resolve("cli-report.json").toString(),
                "--threads",
                "2",
                "--progress-interval",
                "0"));
    args.addAll(List.of(extra));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return new Run(Main.run(args.toArray(new String[0])), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }

  private Run spark(Path config, List<Path> inputs, String... extra) {
    List<String> args = new ArrayList<>(List.of("--config", config.toString()));
    for (Path in : inputs) {
      args.add("--input");
      args.add(in.toString());
    }
    args.addAll(
        List.of(
            "--output",
            dir.resolve("spark-out").toString(),
            "--rejects",
            dir.resolve("spark-rejects").toString(),
            "--report",
            dir.resolve("spark-report.json").toString(),
            "--split-bytes",
            "16KiB"));
    args.addAll(List.of(extra));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return new Run(
          SparkBatch.run(spark, args.toArray(new String[0])), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }

  /** The part files of a job's output directory, concatenated in name order. */
  static byte[] concatenated(Path outDir) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (Stream<Path> parts = Files.list(outDir)) {
      for (Path p :
          parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
        b.write(Files.readAllBytes(p));
      }
    }
    return b.toByteArray();
  }

  static JsonNode withoutTiming(Path report) throws IOException {
    ObjectNode n = (ObjectNode) HttpMessage.JSON.readTree(report.toFile());
    n.remove("timing");
    return n;
  }

  private void assertSameAsCli() throws IOException {
    byte[] cliOut = Files.readAllBytes(dir.resolve("cli-out.jsonl"));
    byte[] cliRejects = Files.readAllBytes(dir.resolve("cli-rejects.jsonl"));
    assertThat(cliOut).isNotEmpty();
    assertThat(cliRejects).isNotEmpty();
    assertThat(new String(concatenated(dir.resolve("spark-out")), StandardCharsets.UTF_8))
        .isEqualTo(new String(cliOut, StandardCharsets.UTF_8));
    assertThat(new String(concatenated(dir.resolve("spark-rejects")), StandardCharsets.UTF_8))
        .isEqualTo(new String(cliRejects, StandardCharsets.UTF_8));
    assertThat(withoutTiming(dir.resolve("spark-report.json")))
        .isEqualTo(withoutTiming(dir.resolve("cli-report.json")));
    try (Stream<Path> parts = Files.list(dir.resolve("spark-out"))) {
      assertThat(parts.filter(p -> p.getFileName().toString().startsWith("part-")).count())
          .as("several partitions")
          .isGreaterThan(1);
    }
  }

  @Test
  void requestsWithPiiMaskingAndRejectsEqualTheCli() throws Exception {
    Path config = Files.writeString(dir.resolve("pii.yaml"), PII_PIPELINE);
    Path input = Files.writeString(dir.resolve("in.jsonl"), requests(800));
    String[] opts = {"--on-malformed", "skip", "--max-body-bytes", "8KiB"};
    Run cli = cli(config, input, opts);
    assertThat(cli.code()).as(cli.stderr()).isZero();
    Run job = spark(config, List.of(input), opts);
    assertThat(job.code()).as(job.stderr()).isZero();
    assertSameAsCli();
    JsonNode report = withoutTiming(dir.resolve("spark-report.json"));
    // Every kind of line is there: masked, blocked, failed closed, malformed, oversized.
    assertThat(report.at("/counts/rewritten").asLong()).isPositive();
    assertThat(report.at("/counts/malformed").asLong()).isEqualTo(8);
    assertThat(report.at("/counts/blank").asLong()).isEqualTo(8);
    assertThat(report.toString())
        .contains("pii_detected")
        .contains("request_body_too_large")
        .contains("processor_error");
    // The 10ms realtime timeout of pii does not apply in batch.
    assertThat(report.at("/processors/pii/timeout").isMissingNode()).isTrue();
  }

  @Test
  void aDirectoryOfGzipAndPlainFilesReadsAsTheirConcatenation() throws Exception {
    Path config = Files.writeString(dir.resolve("pii.yaml"), PII_PIPELINE);
    String all = requests(300);
    int cut = all.indexOf('\n', all.length() / 2) + 1;
    Path inDir = Files.createDirectories(dir.resolve("in"));
    Files.writeString(inDir.resolve("a.jsonl"), all.substring(0, cut));
    try (OutputStream gz =
        new GZIPOutputStream(Files.newOutputStream(inDir.resolve("b.jsonl.gz")))) {
      gz.write(all.substring(cut).getBytes(StandardCharsets.UTF_8));
    }
    Files.writeString(inDir.resolve("_SUCCESS"), "");
    Path whole = Files.writeString(dir.resolve("whole.jsonl"), all);
    String[] opts = {"--on-malformed", "skip", "--max-body-bytes", "8KiB"};
    assertThat(cli(config, whole, opts).code()).isZero();
    Run job = spark(config, List.of(inDir), opts);
    assertThat(job.code()).as(job.stderr()).isZero();
    assertSameAsCli();
  }

  @Test
  void resultsModeEqualsTheCli() throws Exception {
    Path config = Files.writeString(dir.resolve("resp.yaml"), RESPONSE_PIPELINE);
    Path input = Files.writeString(dir.resolve("results.jsonl"), results(600));
    Run cli = cli(config, input, "--results");
    assertThat(cli.code()).as(cli.stderr()).isZero();
    Run job = spark(config, List.of(input), "--results");
    assertThat(job.code()).as(job.stderr()).isZero();
    assertSameAsCli();
    assertThat(withoutTiming(dir.resolve("spark-report.json")).at("/counts/no_response").asLong())
        .isEqualTo(35);
  }

  @Test
  void aMalformedLineFailsTheJobAndWritesNothing() throws Exception {
    Path config = Files.writeString(dir.resolve("pii.yaml"), PII_PIPELINE);
    Path input = Files.writeString(dir.resolve("in.jsonl"), requests(200));
    Run job = spark(config, List.of(input));
    assertThat(job.code()).isEqualTo(1);
    assertThat(job.stderr()).contains("line 98:").contains("nothing written");
    assertThat(dir.resolve("spark-out")).doesNotExist();
    assertThat(dir.resolve("spark-report.json")).doesNotExist();
  }

  @Test
  void refusesOverlappingOrExistingTargetsBeforeRunning() throws Exception {
    Path config = Files.writeString(dir.resolve("pii.yaml"), PII_PIPELINE);
    Path input = Files.writeString(dir.resolve("in.jsonl"), requests(5));
    Run same =
        new Run(
            SparkBatch.run(
                spark,
                "--config",
                config.toString(),
                "--input",
                input.toString(),
                "--output",
                dir.resolve("o").toString(),
                "--rejects",
                dir.resolve("o").toString()),
            "");
    assertThat(same.code()).isEqualTo(2);
    Files.createDirectories(dir.resolve("spark-out"));
    assertThat(spark(config, List.of(input)).code()).isEqualTo(2);
    Run intoInput =
        new Run(
            SparkBatch.run(
                spark,
                "--config",
                config.toString(),
                "--input",
                dir.toString(),
                "--output",
                dir.resolve("new-out").toString(),
                "--rejects",
                dir.resolve("new-rej").toString(),
                "--report",
                input.toString()),
            "");
    assertThat(intoInput.code()).isEqualTo(2);
    assertThat(Files.readString(input)).isEqualTo(requests(5));
  }
}
