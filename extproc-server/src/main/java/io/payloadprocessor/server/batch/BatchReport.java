package io.payloadprocessor.server.batch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.proto.v1.Rejection;
import io.payloadprocessor.spi.HttpMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The counts of one batch run, rendered as {@code report.json}. Filled by the one thread that
 * writes the output, so it needs no locks.
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
  private Map<String, Map<String, Long>> processors = Map.of();
  private double wallSeconds;
  private int threads;

  BatchReport(BatchOptions.Mode mode) {
    this.mode = mode;
  }

  void add(LineResult r) {
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
      case MALFORMED -> malformed++;
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

  void finish(double seconds, int threadCount, Map<String, Map<String, Long>> byProcessor) {
    this.wallSeconds = seconds;
    this.threads = threadCount;
    this.processors = byProcessor;
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
    ObjectNode t = root.putObject("timing");
    t.put("wall_seconds", Math.round(wallSeconds * 1000) / 1000.0);
    t.put("lines_per_second", Math.round(linesPerSecond() * 10) / 10.0);
    t.put("threads", threads);
    return root;
  }

  /** One line for a terminal: what happened, how fast. */
  public String summary() {
    return String.format(
        java.util.Locale.ROOT,
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
