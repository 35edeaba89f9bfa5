package io.payloadprocessor.server.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.proto.v1.Rejection;
import io.payloadprocessor.runtime.HttpMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The counts of one batch run, rendered as {@code report.json}. Filled by the one thread that
 * writes the output, so it needs no locks. Everything but {@code timing} depends only on the input
 * and the config: reports of partitions or of an interrupted and a resumed run {@link #merge} into
 * the report of one uninterrupted run (rejection reasons stay in order of first appearance).
 */
public final class BatchReport {
  private final BatchOptions.Mode mode;
  private long lines;
  private long unchanged;
  private long rewritten;
  private long responded;
  private long noResponse;
  private long rejected;
  private long malformed;
  private long blank;
  private long headersChanged;
  private final Map<String, Long> headerChanges = new TreeMap<>();
  private final Map<List<String>, Long> rejections = new LinkedHashMap<>();
  private final Map<String, Map<String, Long>> processors = new TreeMap<>();
  private long firstMalformedLine = -1;
  private String firstMalformedProblem;
  private double wallSeconds;
  private int threads;
  private Checkpoint checkpoint;

  /**
   * Where an interrupted run stopped: every line up to {@code lastLine} is in the partial output
   * and rejects files, which held {@code outputBytes} and {@code rejectsBytes} bytes then.
   *
   * @param inputOffset input bytes consumed: where the next line starts
   * @param inputSize the input's size, to refuse resuming over a changed file
   * @param inputModified the input's modification time in milliseconds, for the same reason
   * @param fingerprint digest of the config and the settings that change outcomes
   */
  public record Checkpoint(
      long lastLine,
      long inputOffset,
      long outputBytes,
      long rejectsBytes,
      long inputSize,
      long inputModified,
      String fingerprint) {}

  public BatchReport(BatchOptions.Mode mode) {
    this.mode = mode;
  }

  /** Counts one line's result. */
  public void add(LineResult r) {
    if (r.kind() == LineResult.Kind.BLANK) {
      blank++;
      return;
    }
    lines++;
    switch (r.kind()) {
      case UNCHANGED -> unchanged++;
      case REWRITTEN -> rewritten++;
      case RESPONDED -> responded++;
      case NO_RESPONSE -> noResponse++;
      case REJECTED -> rejected++;
      case MALFORMED -> {
        malformed++;
        if (firstMalformedLine < 0) {
          firstMalformedLine = r.number();
          firstMalformedProblem = r.message();
        }
      }
      default -> {}
    }
    if (!r.changedHeaders().isEmpty()) {
      headersChanged++;
      r.changedHeaders().forEach(h -> headerChanges.merge(h, 1L, Long::sum));
    }
    Rejection rej = r.rejection();
    if (rej != null) {
      String action = r.kind() == LineResult.Kind.MALFORMED ? "malformed" : "block";
      rejections.merge(List.of(rej.getProcessor(), action, rej.getReason()), 1L, Long::sum);
    }
  }

  /** Adds runner outcomes (processor to outcome to count) to those already counted. */
  public void addProcessorOutcomes(Map<String, Map<String, Long>> byProcessor) {
    byProcessor.forEach(
        (name, outcomes) -> {
          Map<String, Long> mine = processors.computeIfAbsent(name, k -> new TreeMap<>());
          outcomes.forEach((o, n) -> mine.merge(o, n, Long::sum));
        });
  }

  /**
   * Adds the counts of the report of the lines that follow this report's lines (the next partition,
   * or the resumed part of a run).
   */
  public void merge(BatchReport next) {
    lines += next.lines;
    unchanged += next.unchanged;
    rewritten += next.rewritten;
    responded += next.responded;
    noResponse += next.noResponse;
    rejected += next.rejected;
    malformed += next.malformed;
    blank += next.blank;
    headersChanged += next.headersChanged;
    next.headerChanges.forEach((h, n) -> headerChanges.merge(h, n, Long::sum));
    next.rejections.forEach((k, n) -> rejections.merge(k, n, Long::sum));
    addProcessorOutcomes(next.processors);
    if (firstMalformedLine < 0 && next.firstMalformedLine >= 0) {
      firstMalformedLine = next.firstMalformedLine;
      firstMalformedProblem = next.firstMalformedProblem;
    }
    wallSeconds += next.wallSeconds;
  }

  /** Sets the timing: wall time of this run and its worker count. */
  public void setTiming(double seconds, int threadCount) {
    this.wallSeconds = seconds;
    this.threads = threadCount;
  }

  /** Marks the report incomplete, resumable from {@code c}; null marks it complete. */
  public void setCheckpoint(Checkpoint c) {
    this.checkpoint = c;
  }

  /** Where an interrupted run stopped, or null for a complete run. */
  public Checkpoint checkpoint() {
    return checkpoint;
  }

  public BatchOptions.Mode mode() {
    return mode;
  }

  /** Non-blank lines read. */
  public long lines() {
    return lines;
  }

  /** Lines written to the output file (unchanged, rewritten, responded, no response). */
  public long passed() {
    return unchanged + rewritten + responded + noResponse;
  }

  /** Passed lines whose body the pipeline rewrote. */
  public long rewritten() {
    return rewritten;
  }

  /** Passed lines a processor answered with a synthetic response (e.g. cache hit). */
  public long responded() {
    return responded;
  }

  /** Lines blocked by the pipeline. */
  public long rejected() {
    return rejected;
  }

  /** Malformed lines (written to rejects when skipped). */
  public long malformed() {
    return malformed;
  }

  /** The number of the first malformed line counted, or -1. */
  public long firstMalformedLine() {
    return firstMalformedLine;
  }

  /** What is wrong with the first malformed line (never its content), or null. */
  public String firstMalformedProblem() {
    return firstMalformedProblem;
  }

  /** Passed lines whose headers the pipeline changed (not part of the output line). */
  public long headersChanged() {
    return headersChanged;
  }

  /** Count of one (processor, action, reason) among rejected and malformed lines. */
  public long rejections(String processor, String action, String reason) {
    return rejections.getOrDefault(List.of(processor, action, reason), 0L);
  }

  /** Runner outcomes of one processor (continue, reject, respond, error, failed_open, ...). */
  public Map<String, Long> processor(String name) {
    return processors.getOrDefault(name, Map.of());
  }

  public double wallSeconds() {
    return wallSeconds;
  }

  /** Lines per second over the wall time. */
  public double linesPerSecond() {
    return wallSeconds <= 0 ? 0 : lines / wallSeconds;
  }

  /** The report as JSON. */
  public ObjectNode toJson() {
    ObjectNode root = HttpMessage.JSON.createObjectNode();
    root.put("mode", mode == BatchOptions.Mode.REQUESTS ? "requests" : "results");
    root.put("complete", checkpoint == null);
    if (checkpoint != null) {
      ObjectNode r = root.putObject("resume");
      r.put("last_line", checkpoint.lastLine());
      r.put("input_offset", checkpoint.inputOffset());
      r.put("output_bytes", checkpoint.outputBytes());
      r.put("rejects_bytes", checkpoint.rejectsBytes());
      r.put("input_size", checkpoint.inputSize());
      r.put("input_modified_ms", checkpoint.inputModified());
      r.put("fingerprint", checkpoint.fingerprint());
    }
    ObjectNode c = root.putObject("counts");
    c.put("lines", lines);
    c.put("passed", passed());
    c.put("unchanged", unchanged);
    c.put("rewritten", rewritten);
    c.put("responded", responded);
    if (mode == BatchOptions.Mode.RESULTS) {
      c.put("no_response", noResponse);
    }
    c.put("rejected", rejected);
    c.put("malformed", malformed);
    c.put("blank", blank);
    c.put("headers_changed", headersChanged);
    ObjectNode hc = root.putObject("header_changes");
    headerChanges.forEach(hc::put);
    var rj = root.putArray("rejections");
    rejections.forEach(
        (k, v) -> {
          ObjectNode o = rj.addObject();
          o.put("processor", k.get(0));
          o.put("action", k.get(1));
          o.put("reason", k.get(2));
          o.put("count", v);
        });
    ObjectNode p = root.putObject("processors");
    processors.forEach(
        (name, outcomes) -> {
          ObjectNode o = p.putObject(name);
          outcomes.forEach(o::put);
        });
    if (firstMalformedLine >= 0) {
      ObjectNode m = root.putObject("first_malformed");
      m.put("line", firstMalformedLine);
      m.put("problem", firstMalformedProblem);
    }
    ObjectNode t = root.putObject("timing");
    t.put("wall_seconds", Math.round(wallSeconds * 1000) / 1000.0);
    t.put("lines_per_second", Math.round(linesPerSecond() * 10) / 10.0);
    t.put("threads", threads);
    return root;
  }

  /**
   * Reads a report written by {@link #toJson}: the counts of an interrupted run to resume, or a
   * partition's counts in the Spark job.
   *
   * @throws IllegalArgumentException when it is not such a report
   */
  public static BatchReport fromJson(JsonNode root) {
    String m = root.path("mode").asText();
    if ((!m.equals("requests") && !m.equals("results")) || !root.path("counts").isObject()) {
      throw new IllegalArgumentException("not a batch report");
    }
    BatchReport r =
        new BatchReport(
            m.equals("requests") ? BatchOptions.Mode.REQUESTS : BatchOptions.Mode.RESULTS);
    JsonNode c = root.get("counts");
    r.lines = c.path("lines").asLong();
    r.unchanged = c.path("unchanged").asLong();
    r.rewritten = c.path("rewritten").asLong();
    r.responded = c.path("responded").asLong();
    r.noResponse = c.path("no_response").asLong();
    r.rejected = c.path("rejected").asLong();
    r.malformed = c.path("malformed").asLong();
    r.blank = c.path("blank").asLong();
    r.headersChanged = c.path("headers_changed").asLong();
    root.path("header_changes")
        .properties()
        .forEach(e -> r.headerChanges.put(e.getKey(), e.getValue().asLong()));
    for (JsonNode o : root.path("rejections")) {
      r.rejections.put(
          List.of(
              o.path("processor").asText(), o.path("action").asText(), o.path("reason").asText()),
          o.path("count").asLong());
    }
    root.path("processors")
        .properties()
        .forEach(
            e -> {
              Map<String, Long> outcomes = new TreeMap<>();
              e.getValue()
                  .properties()
                  .forEach(o -> outcomes.put(o.getKey(), o.getValue().asLong()));
              r.processors.put(e.getKey(), outcomes);
            });
    JsonNode fm = root.path("first_malformed");
    if (fm.isObject()) {
      r.firstMalformedLine = fm.path("line").asLong();
      r.firstMalformedProblem = fm.path("problem").asText();
    }
    r.wallSeconds = root.path("timing").path("wall_seconds").asDouble();
    r.threads = root.path("timing").path("threads").asInt();
    JsonNode cp = root.path("resume");
    if (!root.path("complete").asBoolean(true) && cp.isObject()) {
      r.checkpoint =
          new Checkpoint(
              cp.path("last_line").asLong(),
              cp.path("input_offset").asLong(),
              cp.path("output_bytes").asLong(),
              cp.path("rejects_bytes").asLong(),
              cp.path("input_size").asLong(),
              cp.path("input_modified_ms").asLong(),
              cp.path("fingerprint").asText());
    }
    return r;
  }

  /** One line for a terminal: what happened, how fast. */
  public String summary() {
    return String.format(
        Locale.ROOT,
        "%d lines: %d passed (%d rewritten), %d rejected, %d malformed in %.2fs (%.0f lines/s)",
        lines,
        passed(),
        rewritten,
        rejected,
        malformed,
        wallSeconds,
        linesPerSecond());
  }
}
