package io.payloadprocessor.modules.pii;

import java.util.List;

/** Rewrites text with its findings masked. */
public final class Masker {
  private Masker() {}

  /**
   * {@code text} with every MASK finding replaced (findings non-overlapping, in order, offsets
   * relative to {@code text} shifted by {@code offset}); others are left as they are.
   */
  public static String apply(String text, List<Finding> findings, int offset) {
    StringBuilder sb = null;
    int pos = 0;
    for (Finding f : findings) {
      if (f.rule().action() != PiiAction.MASK) {
        continue;
      }
      int s = f.start() - offset;
      int e = f.end() - offset;
      if (s < pos || e > text.length()) {
        continue;
      }
      if (sb == null) {
        sb = new StringBuilder(text.length() + 16);
      }
      sb.append(text, pos, s).append(mask(f.rule(), text.substring(s, e)));
      pos = e;
    }
    return sb == null ? text : sb.append(text, pos, text.length()).toString();
  }

  /** The replacement for one value. */
  public static String mask(PiiRule rule, String value) {
    if (!rule.partial()) {
      return rule.replacement();
    }
    if (rule.detector().name().equals("email")) {
      int at = value.indexOf('@');
      return value.charAt(0) + "***" + value.substring(at);
    }
    // Keep the last four letters/digits and every separator; star the rest.
    char[] out = value.toCharArray();
    int kept = 0;
    for (int i = out.length - 1; i >= 0; i--) {
      if (Character.isLetterOrDigit(out[i])) {
        if (kept < 4) {
          kept++;
        } else {
          out[i] = '*';
        }
      }
    }
    return new String(out);
  }
}
