package io.payloadprocessor.modules.pii;

import io.payloadprocessor.modules.common.InterruptibleText;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Runs a set of rules over text and resolves overlaps: the earliest finding wins, and of two
 * starting together the longer one (a card number is not also a phone number).
 */
public final class PiiScanner {
  private static final Comparator<Finding> ORDER =
      Comparator.comparingInt(Finding::start)
          .thenComparing(Comparator.comparingInt(Finding::length).reversed());

  private final List<PiiRule> rules;
  private final int maxSpan;

  public PiiScanner(List<PiiRule> rules) {
    this.rules = List.copyOf(rules);
    int max = 0;
    for (PiiRule r : rules) {
      max = Math.max(max, r.detector().maxSpan());
    }
    this.maxSpan = max;
  }

  public List<PiiRule> rules() {
    return rules;
  }

  /** The longest value any rule can report (the minimum stream hold-back). */
  public int maxSpan() {
    return maxSpan;
  }

  /**
   * Every finding of every rule, overlapping ones included, ordered by position.
   *
   * @throws java.util.concurrent.CancellationException when the thread is interrupted
   */
  public List<Finding> findAll(String text) {
    List<Finding> out = new ArrayList<>();
    if (text.isEmpty()) {
      return out;
    }
    List<int[]> ranges = new ArrayList<>();
    ScanText scan = new ScanText(text);
    for (PiiRule rule : rules) {
      InterruptibleText.checkInterrupted();
      ranges.clear();
      rule.detector().find(scan, ranges);
      for (int[] r : ranges) {
        out.add(new Finding(rule, r[0], r[1]));
      }
    }
    out.sort(ORDER);
    return out;
  }

  /** Non-overlapping findings, as {@link #findAll} would mask them. */
  public List<Finding> scan(String text) {
    return resolve(findAll(text));
  }

  /** Drops findings that overlap an earlier (or same-start, longer) one. Input sorted by ORDER. */
  public static List<Finding> resolve(List<Finding> sorted) {
    List<Finding> out = new ArrayList<>(sorted.size());
    int end = -1;
    for (Finding f : sorted) {
      if (f.start() >= end) {
        out.add(f);
        end = f.end();
      }
    }
    return out;
  }

  /** The first finding whose rule blocks, or null. */
  public static Finding firstBlocking(List<Finding> findings) {
    for (Finding f : findings) {
      if (f.rule().action() == PiiAction.BLOCK) {
        return f;
      }
    }
    return null;
  }
}
