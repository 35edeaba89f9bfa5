package io.payloadprocessor.modules.common;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Warnings that repeat (a Redis outage fails every exchange the same way) logged at most once per
 * interval and kind: the first of a kind is logged at once, the rest of the interval only counted,
 * and the next one logged after the interval says how many were left out ({@code (1234 similar
 * warnings suppressed since the previous one)}). Thread-safe. Kinds are fixed strings chosen by the
 * caller (never values from a request), so their number stays small.
 */
public final class RateLimitedLog {
  /** Default interval between two lines of one kind. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  /** More kinds than this are not expected; past it the table is cleared rather than grown. */
  private static final int MAX_KINDS = 1024;

  private final Logger log;
  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  /** One kind's current interval. */
  private static final class Window {
    long startNanos;
    long suppressed;

    Window(long startNanos) {
      this.startNanos = startNanos;
    }
  }

  public RateLimitedLog(Logger log) {
    this(log, DEFAULT_INTERVAL, System::nanoTime);
  }

  /** With an explicit interval and clock, for tests. */
  public RateLimitedLog(Logger log, Duration interval, LongSupplier nanoClock) {
    this.log = log;
    this.intervalNanos = interval.toNanos();
    this.nanoClock = nanoClock;
  }

  /**
   * Logs {@code message} (an SLF4J format with {@code args}) at WARN unless a warning of the same
   * {@code kind} was logged less than an interval ago. Returns whether it was logged.
   */
  public boolean warn(String kind, String message, Object... args) {
    long now = nanoClock.getAsLong();
    long suppressed;
    if (windows.size() > MAX_KINDS) {
      windows.clear();
    }
    Window w = windows.computeIfAbsent(kind, k -> new Window(now - intervalNanos));
    synchronized (w) {
      if (now - w.startNanos < intervalNanos) {
        w.suppressed++;
        return false;
      }
      suppressed = w.suppressed;
      w.suppressed = 0;
      w.startNanos = now;
    }
    if (!log.isWarnEnabled()) {
      return false;
    }
    if (suppressed == 0) {
      log.warn(message, args);
    } else {
      Object[] withCount = new Object[args.length + 1];
      System.arraycopy(args, 0, withCount, 0, args.length);
      withCount[args.length] = suppressed;
      log.warn(message + " ({} similar warnings suppressed since the previous one)", withCount);
    }
    return true;
  }

  /** Warnings of {@code kind} counted but not logged in the current interval. */
  public long suppressed(String kind) {
    Window w = windows.get(kind);
    if (w == null) {
      return 0;
    }
    synchronized (w) {
      return w.suppressed;
    }
  }
}
