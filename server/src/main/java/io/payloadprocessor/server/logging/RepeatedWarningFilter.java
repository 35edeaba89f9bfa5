package io.payloadprocessor.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * Rate-limits repeated WARN and ERROR lines: per logger and message template, the first {@code
 * burst} lines of each window pass, the rest are dropped and counted, and when the window ends one
 * summary line says how many were dropped ({@code suppressed} field) and which template they had. A
 * failing dependency (Redis down, a backend unreachable) then logs a few lines every window instead
 * of one per exchange. The template, not the formatted message, identifies a line: the arguments
 * differ per exchange (request ids), the cause does not.
 *
 * <p>Logback's {@code DuplicateMessageFilter} drops repeats for ever and without a count, hence
 * this filter. INFO and below pass untouched (the audit lines of rejections are INFO: one per
 * rejection, never dropped).
 */
public final class RepeatedWarningFilter extends TurboFilter {
  /** Marks summary lines, which are never limited themselves. */
  static final Marker SUMMARY = MarkerFactory.getMarker("REPEATED_LINES_SUMMARY");

  /** Distinct templates tracked at most; past that, new templates pass unlimited. */
  static final int MAX_TEMPLATES = 1024;

  private final Duration window;
  private final int burst;
  private final LongSupplier nanoClock;
  private final Map<Key, Window> windows = new ConcurrentHashMap<>();
  private ScheduledExecutorService flusher;

  /** 5 lines per template per 10 seconds. */
  public RepeatedWarningFilter() {
    this(Duration.ofSeconds(10), 5, System::nanoTime);
  }

  /** A filter with its own window, burst and clock (tests). */
  public RepeatedWarningFilter(Duration window, int burst, LongSupplier nanoClock) {
    this.window = window;
    this.burst = burst;
    this.nanoClock = nanoClock;
  }

  private record Key(Logger logger, Level level, String template) {}

  private static final class Window {
    long start;
    int passed;
    long suppressed;

    Window(long start) {
      this.start = start;
    }
  }

  @Override
  public void start() {
    flusher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "log-repeat-summary");
              t.setDaemon(true);
              return t;
            });
    long period = Math.max(1, window.toMillis());
    var unused = flusher.scheduleAtFixedRate(this::flush, period, period, TimeUnit.MILLISECONDS);
    super.start();
  }

  @Override
  public void stop() {
    if (flusher != null) {
      flusher.shutdownNow();
    }
    flush();
    super.stop();
  }

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level == null
        || !level.isGreaterOrEqual(Level.WARN)
        || format == null
        || marker == SUMMARY
        || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
      return FilterReply.NEUTRAL;
    }
    Key key = new Key(logger, level, format);
    Window w = windows.get(key);
    if (w == null) {
      if (windows.size() >= MAX_TEMPLATES) {
        return FilterReply.NEUTRAL;
      }
      w = windows.computeIfAbsent(key, k -> new Window(nanoClock.getAsLong()));
    }
    long suppressedBefore;
    synchronized (w) {
      long now = nanoClock.getAsLong();
      suppressedBefore = 0;
      if (now - w.start >= window.toNanos()) {
        suppressedBefore = w.suppressed;
        w.start = now;
        w.passed = 0;
        w.suppressed = 0;
      }
      if (w.passed < burst) {
        w.passed++;
      } else {
        w.suppressed++;
        return FilterReply.DENY;
      }
    }
    summarize(key, suppressedBefore);
    return FilterReply.NEUTRAL;
  }

  /** Reports every window that has ended with dropped lines (runs every window period). */
  void flush() {
    long now = nanoClock.getAsLong();
    for (Map.Entry<Key, Window> e : List.copyOf(windows.entrySet())) {
      long dropped;
      Window w = e.getValue();
      synchronized (w) {
        if (now - w.start < window.toNanos()) {
          continue;
        }
        dropped = w.suppressed;
        w.suppressed = 0;
      }
      if (dropped > 0) {
        summarize(e.getKey(), dropped);
      } else {
        // Idle templates are forgotten, so the map holds only what is being logged now.
        windows.remove(e.getKey(), w);
      }
    }
  }

  private void summarize(Key key, long dropped) {
    if (dropped <= 0) {
      return;
    }
    key.logger()
        .atLevel(org.slf4j.event.Level.valueOf(key.level().toString()))
        .addMarker(SUMMARY)
        .addKeyValue("suppressed", dropped)
        .addKeyValue("window_seconds", window.toSeconds())
        .log(
            "{} more lines like this were dropped in the last {}s (at most {} per window): {}",
            dropped,
            window.toSeconds(),
            burst,
            key.template());
  }
}
