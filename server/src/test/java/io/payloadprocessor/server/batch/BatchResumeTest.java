package io.payloadprocessor.server.batch;

import static io.payloadprocessor.server.batch.BatchTestSupport.requestLine;
import static io.payloadprocessor.server.batch.BatchTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.cli.Main;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGINT and SIGTERM on a real {@code batch} process: each leaves an incomplete report with the
 * last committed line, and {@code --resume} continues from it, so that the results of an
 * interrupted-twice run are byte for byte those of an uninterrupted one.
 */
class BatchResumeTest {
  private static final int LINES = 150_000;

  @TempDir Path dir;

  private static final String PIPELINE =
      BatchTestSupport.REQUEST_PIPELINE
          + BatchTestSupport.PII_PIPELINE.substring(BatchTestSupport.HEADER.length());

  private List<String> args(String name, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "batch",
                "--config",
                dir.resolve("pipeline.yaml").toString(),
                "--input",
                dir.resolve("in.jsonl").toString(),
                "--output",
                dir.resolve(name + "-out.jsonl").toString(),
                "--rejects",
                dir.resolve(name + "-rejects.jsonl").toString(),
                "--report",
                dir.resolve(name + "-report.json").toString(),
                "--threads",
                "1",
                "--progress-interval",
                "1"));
    a.addAll(List.of(extra));
    return a;
  }

  /** Starts {@code batch} in its own JVM and signals it once it has reported progress. */
  private int interrupted(String signal, String... extra) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(args("x", extra));
    Path err = dir.resolve("stderr-" + signal + ".txt");
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(err.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline && p.isAlive() && !hasProgress(err)) {
      Thread.sleep(50);
    }
    assertThat(p.isAlive()).as("still running after its first progress line").isTrue();
    new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.readString(err)).contains("interrupted after line").contains("--resume");
    return p.exitValue();
  }

  /** Whether this process (and so the batch it starts) has SIGINT ignored: /proc's SigIgn. */
  private static boolean sigintIgnored() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return false;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("SigIgn:")) {
        long mask = Long.parseUnsignedLong(line.substring(7).trim(), 16);
        return (mask & (1L << 1)) != 0; // SIGINT is signal 2, bit 1
      }
    }
    return false;
  }

  private static boolean hasProgress(Path err) {
    try {
      return Files.exists(err) && Files.readString(err).contains(" lines");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private JsonNode checkpoint() throws IOException {
    JsonNode r = HttpMessage.JSON.readTree(dir.resolve("x-report.json.partial").toFile());
    assertThat(r.get("complete").asBoolean()).isFalse();
    return r.get("resume");
  }

  private static JsonNode withoutTiming(Path report) throws IOException {
    ObjectNode n = (ObjectNode) HttpMessage.JSON.readTree(report.toFile());
    n.remove("timing");
    return n;
  }

  @Test
  void interruptedTwiceAndResumedEqualsOneUninterruptedRun() throws Exception {
    write(dir, "pipeline.yaml", PIPELINE);
    try (OutputStream o = Files.newOutputStream(dir.resolve("in.jsonl"))) {
      for (int i = 1; i <= LINES; i++) {
        String body =
            "{\"model\":\""
                + (i % 2 == 0 ? "gpt-4" : "small")
                + "\""
                + (i % 10 == 0 ? "" : ",\"tier\":\"t\"")
                + ",\"messages\":[{\"role\":\"user\",\"content\":\""
                + (i % 7 == 0 ? "mail user" + i + "@example.com" : "hello " + i)
                + "\"}]}";
        o.write((requestLine("c" + i, body) + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    assertThat(Main.run(args("ref").toArray(new String[0]))).isZero();

    // A shell's background job (`cmd &`) inherits SIGINT ignored, and a JVM keeps an ignored
    // SIGINT ignored (as `nohup` users expect): then the first interruption is a SIGTERM too.
    boolean intIgnored = sigintIgnored();
    assertThat(interrupted(intIgnored ? "TERM" : "INT")).isEqualTo(intIgnored ? 143 : 130);
    long first = checkpoint().get("last_line").asLong();
    assertThat(first).isBetween(1L, LINES - 1L);
    assertThat(dir.resolve("x-out.jsonl")).doesNotExist();
    assertThat(Files.size(dir.resolve("x-out.jsonl.partial")))
        .isEqualTo(checkpoint().get("output_bytes").asLong());

    assertThat(interrupted("TERM", "--resume")).isEqualTo(143);
    long second = checkpoint().get("last_line").asLong();
    assertThat(second).isBetween(first + 1, LINES - 1L);

    // A fresh run over an interrupted one is refused: it would throw its work away.
    assertThat(Main.run(args("x").toArray(new String[0]))).isEqualTo(2);

    assertThat(Main.run(args("x", "--resume").toArray(new String[0]))).isZero();
    assertThat(Files.readAllBytes(dir.resolve("x-out.jsonl")))
        .isEqualTo(Files.readAllBytes(dir.resolve("ref-out.jsonl")));
    assertThat(Files.readAllBytes(dir.resolve("x-rejects.jsonl")))
        .isEqualTo(Files.readAllBytes(dir.resolve("ref-rejects.jsonl")));
    assertThat(withoutTiming(dir.resolve("x-report.json")))
        .isEqualTo(withoutTiming(dir.resolve("ref-report.json")));
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
    }
  }
}
