package io.payloadprocessor.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** Counters and the latency histogram of the measured window; safe for concurrent recording. */
final class LoadStats {
  private final Recorder latencyNanos = new Recorder(3);
  private final LongAdder ok = new LongAdder();
  private final LongAdder immediate = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();

  void record(long latency, LoadExchange.Result result, String errorKind) {
    switch (result) {
      case OK -> ok.increment();
      case IMMEDIATE -> immediate.increment();
      case ERROR -> error(errorKind);
    }
    if (result != LoadExchange.Result.ERROR) {
      latencyNanos.recordValue(Math.max(0, latency));
    }
  }

  void error(String kind) {
    errors.increment();
    errorKinds.computeIfAbsent(kind == null ? "unknown" : kind, k -> new LongAdder()).increment();
  }

  long ok() {
    return ok.sum();
  }

  long immediate() {
    return immediate.sum();
  }

  long errors() {
    return errors.sum();
  }

  Map<String, Long> errorKinds() {
    Map<String, Long> kinds = new TreeMap<>();
    errorKinds.forEach((k, v) -> kinds.put(k, v.sum()));
    return kinds;
  }

  /** The latencies recorded so far (call once, at the end). */
  Histogram latency() {
    return latencyNanos.getIntervalHistogram();
  }
}
