package io.payloadprocessor.modules.pii;

import com.google.re2j.Matcher;
import io.payloadprocessor.modules.common.UserRegex;
import java.util.List;

/**
 * A user's {@code type: regex} detector. A match longer than the detector's {@code maxLength} does
 * not hide a shorter value starting one character later: the search resumes right after its start.
 */
final class RegexDetector extends BuiltinDetector {
  private final UserRegex pattern;

  RegexDetector(String name, String label, int maxLength, UserRegex pattern) {
    super(name, label, maxLength);
    this.pattern = pattern;
  }

  @Override
  public void find(ScanText text, List<int[]> out) {
    int len = text.length();
    if (!pattern.mayMatch(text.text())) {
      return;
    }
    Matcher m = pattern.matcher(text.text());
    int from = 0;
    while (from < len && m.find(from)) {
      int s = m.start();
      int e = m.end();
      if (e > s && e - s <= maxSpan()) {
        out.add(new int[] {s, e});
        from = e;
      } else {
        from = s + 1;
      }
    }
  }
}
