package io.payloadprocessor.modules.common;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The data points of a counter whose labels are fixed but the last, each looked up once: the
 * client's {@code labelValues} hashes a fresh label list on every call, and the hot path counts per
 * message. The last label must come from code or config (an action, an outcome), never from
 * traffic: every value seen is kept.
 */
public final class CounterPoints {
  private final Function<String, CounterDataPoint> lookup;
  private final ConcurrentHashMap<String, CounterDataPoint> points = new ConcurrentHashMap<>();

  /** {@code lookup} gives the data point of one value of the last label. */
  public CounterPoints(Function<String, CounterDataPoint> lookup) {
    this.lookup = lookup;
  }

  /** Counts one for {@code label}. */
  public void inc(String label) {
    CounterDataPoint c = points.get(label);
    if (c == null) {
      c = points.computeIfAbsent(label, lookup);
    }
    c.inc();
  }
}
