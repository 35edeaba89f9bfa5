package io.payloadprocessor.modules.pii;

import io.payloadprocessor.modules.common.BoundedCharSequence;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A detector made of candidate patterns, each with a validator. A candidate that fails validation
 * does not hide a valid value starting one character later: the search resumes right after the
 * rejected candidate's start.
 */
final class PatternDetector implements Detector {
  /**
   * One candidate regex, the check a match must pass, and where a match can start ({@code null}:
   * anywhere). Knowing the start lets the scan skip ordinary prose with a plain character loop and
   * run the regex anchored only where a value can begin; java.util.regex would otherwise attempt a
   * match (look-behind first) at every position, which dominated the scanning cost.
   */
  record Candidate(Pattern pattern, Predicate<String> validator, StartFinder start) {
    Candidate(Pattern pattern, Predicate<String> validator) {
      this(pattern, validator, null);
    }
  }

  /** Where a candidate may start, given a position being scanned. */
  interface StartFinder {
    /** The start of a possible match triggered at {@code i} (at most {@code i}), or -1. */
    int at(String text, int i);

    /** Matches start on characters of a class. */
    static StartFinder chars(CharClass c) {
      return (t, i) -> c.test(t.charAt(i)) ? i : -1;
    }

    /** Matches start with one of these literal prefixes. */
    static StartFinder literal(String... prefixes) {
      return (t, i) -> {
        for (String p : prefixes) {
          if (t.startsWith(p, i)) {
            return i;
          }
        }
        return -1;
      };
    }

    /**
     * Matches contain {@code trigger}, preceded by at most {@code max} characters of {@code back};
     * the match starts where that run starts (the patterns' look-behinds forbid any other start).
     */
    static StartFinder walkBack(char trigger, CharClass back, int max) {
      return (t, i) -> {
        if (t.charAt(i) != trigger) {
          return -1;
        }
        int s = i;
        while (s > 0 && i - s < max && back.test(t.charAt(s - 1))) {
          s--;
        }
        return s;
      };
    }
  }

  /** A character test without boxing. */
  interface CharClass {
    boolean test(char c);
  }

  private final String name;
  private final String label;
  private final int maxSpan;
  private final Predicate<String> prefilter;
  private final List<Candidate> candidates;
  private final boolean bounded;

  PatternDetector(
      String name,
      String label,
      int maxSpan,
      Predicate<String> prefilter,
      List<Candidate> candidates,
      boolean bounded) {
    this.name = name;
    this.label = label;
    this.maxSpan = maxSpan;
    this.prefilter = prefilter;
    this.candidates = List.copyOf(candidates);
    this.bounded = bounded;
  }

  static PatternDetector of(
      String name, String label, int maxSpan, Predicate<String> prefilter, Candidate... cs) {
    return new PatternDetector(name, label, maxSpan, prefilter, List.of(cs), false);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public int maxSpan() {
    return maxSpan;
  }

  @Override
  public void find(String text, List<int[]> out) {
    if (!prefilter.test(text)) {
      return;
    }
    CharSequence input = bounded ? BoundedCharSequence.of(text, 200) : text;
    int len = text.length();
    for (Candidate c : candidates) {
      if (c.start() != null) {
        findAnchored(text, c, out);
        continue;
      }
      Matcher m = c.pattern().matcher(input);
      int from = 0;
      while (from < len && m.find(from)) {
        int s = m.start();
        int e = m.end();
        if (e > s && e - s <= maxSpan && c.validator().test(text.substring(s, e))) {
          out.add(new int[] {s, e});
          from = e;
        } else {
          from = s + 1;
        }
      }
    }
  }

  private void findAnchored(String text, Candidate c, List<int[]> out) {
    Matcher m = c.pattern().matcher(text);
    m.useTransparentBounds(true); // look-behinds see the text before the region
    m.useAnchoringBounds(false);
    int len = text.length();
    int covered = 0;
    for (int i = 0; i < len; i++) {
      int s = c.start().at(text, i);
      if (s < covered) {
        continue; // no start here, or inside a value already found
      }
      m.region(s, len);
      if (!m.lookingAt()) {
        continue;
      }
      int e = m.end();
      if (e > s && e - s <= maxSpan && c.validator().test(text.substring(s, e))) {
        out.add(new int[] {s, e});
        covered = e;
        i = Math.max(i, e - 1);
      }
    }
  }

  @Override
  public String toString() {
    return "Detector[" + name + "]";
  }
}
