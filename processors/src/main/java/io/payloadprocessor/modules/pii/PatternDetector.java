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
  /** One candidate regex and the check a match must pass. */
  record Candidate(Pattern pattern, Predicate<String> validator) {}

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

  @Override
  public String toString() {
    return "Detector[" + name + "]";
  }
}
