package io.payloadprocessor.server.batch;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Shows how far a batch run is: a bar redrawn in place on a terminal, or a plain line every few
 * seconds otherwise (logs, CI). Called by the one writer thread.
 */
public final class Progress {
  private static final long REDRAW_NANOS = 200_000_000L;
  private static final int BAR = 30;

  private final PrintStream out;
  private final boolean terminal;
  private final long intervalNanos;
  private final long totalBytes;
  private final long start = System.nanoTime();
  private long last = start;
  private boolean drawn;

  /**
   * @param out where to print (standard error)
   * @param terminal redraw a bar in place (true) or print a line each interval
   * @param intervalSeconds seconds between plain progress lines
   * @param totalBytes size of the input, or -1 when unknown (no percentage then)
   */
  public Progress(PrintStream out, boolean terminal, int intervalSeconds, long totalBytes) {
    this.out = out;
    this.terminal = terminal;
    this.intervalNanos = intervalSeconds * 1_000_000_000L;
    this.totalBytes = totalBytes;
  }

  /** Prints nothing. */
  public static Progress none() {
    return new Progress(null, false, 0, -1);
  }

  void update(long lines, long bytes, long rejected) {
    if (out == null) {
      return;
    }
    long now = System.nanoTime();
    if (now - last < (terminal ? REDRAW_NANOS : intervalNanos)) {
      return;
    }
    last = now;
    print(lines, bytes, rejected, now);
  }

  void done(long lines, long bytes, long rejected) {
    if (out == null) {
      return;
    }
    if (terminal && drawn) {
      print(lines, bytes, rejected, System.nanoTime());
      out.println();
      out.flush();
    }
  }

  private void print(long lines, long bytes, long rejected, long now) {
    double secs = Math.max(1e-9, (now - start) / 1e9);
    String rate = String.format(Locale.ROOT, "%,.0f lines/s", lines / secs);
    if (terminal) {
      StringBuilder b = new StringBuilder("\r");
      if (totalBytes > 0) {
        double f = Math.min(1.0, (double) bytes / totalBytes);
        int full = (int) Math.round(f * BAR);
        b.append('[').append("#".repeat(full)).append(" ".repeat(BAR - full)).append("] ");
        b.append(String.format(Locale.ROOT, "%3.0f%% ", f * 100));
      }
      b.append(String.format(Locale.ROOT, "%,d lines, %,d rejected, %s  ", lines, rejected, rate));
      out.print(b);
      drawn = true;
    } else {
      String pct =
          totalBytes > 0
              ? String.format(Locale.ROOT, " (%.0f%%)", Math.min(100.0, 100.0 * bytes / totalBytes))
              : "";
      out.printf(Locale.ROOT, "batch: %,d lines%s, %,d rejected, %s%n", lines, pct, rejected, rate);
    }
    out.flush();
  }
}
