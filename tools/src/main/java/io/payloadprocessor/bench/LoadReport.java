package io.payloadprocessor.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The result of a load run over its measured window (warm-up excluded).
 *
 * @param mode {@code fixed-rate} (open model) or {@code max-rate} (closed model)
 * @param target {@code host:port}
 * @param rate requested exchanges per second (0 for max-rate)
 * @param concurrency in-flight exchanges (max-rate) or 0
 * @param channels gRPC connections used
 * @param durationSeconds measured window
 * @param exchanges exchanges started in the window that ended (ok + immediate + errors)
 * @param ok exchanges that completed normally (including the server closing with OK)
 * @param immediate exchanges answered with an ImmediateResponse
 * @param errors failed exchanges (gRPC status, spurious answer, overload)
 * @param errorKinds failures by kind (gRPC status code name, {@code spurious}, {@code overload})
 * @param throughputPerSecond completed (ok + immediate) exchanges per second of the window
 * @param latencyMillis percentiles of completed exchanges, from the scheduled start in fixed-rate
 *     mode (no coordinated omission) and from the actual start in max-rate mode
 */
public record LoadReport(
    String mode,
    String target,
    double rate,
    int concurrency,
    int channels,
    double durationSeconds,
    long exchanges,
    long ok,
    long immediate,
    long errors,
    Map<String, Long> errorKinds,
    double throughputPerSecond,
    Latency latencyMillis) {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Latency percentiles in milliseconds. */
  public record Latency(
      double p50, double p90, double p99, double p999, double max, double mean, long count) {

    static Latency of(Histogram nanos) {
      return new Latency(
          millis(nanos.getValueAtPercentile(50)),
          millis(nanos.getValueAtPercentile(90)),
          millis(nanos.getValueAtPercentile(99)),
          millis(nanos.getValueAtPercentile(99.9)),
          millis(nanos.getMaxValue()),
          Math.round(nanos.getMean() / 1_000.0) / 1_000.0,
          nanos.getTotalCount());
    }

    private static double millis(long nanos) {
      return Math.round(nanos / 1_000.0) / 1_000.0;
    }
  }

  /** The report as JSON, for scripts. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The report for people. */
  public String toText() {
    return String.format(
        Locale.ROOT,
        "%s against %s: %d exchanges in %.1f s (%d ok, %d immediate, %d errors%s)%n"
            + "throughput %.1f/s%n"
            + "latency ms  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f%n",
        mode,
        target,
        exchanges,
        durationSeconds,
        ok,
        immediate,
        errors,
        errorKinds.isEmpty() ? "" : " " + errorKinds,
        throughputPerSecond,
        latencyMillis.p50(),
        latencyMillis.p90(),
        latencyMillis.p99(),
        latencyMillis.p999(),
        latencyMillis.max(),
        latencyMillis.mean());
  }
}
