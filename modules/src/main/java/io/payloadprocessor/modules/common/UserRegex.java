package io.payloadprocessor.modules.common;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * A regular expression written by a user (prompt-guard rules, pii {@code regex} detectors), run on
 * RE2/J: matching time is linear in the input whatever the pattern, so no request can make a rule
 * backtrack for seconds. The price is the Java-regex features that need backtracking, which {@link
 * #compile} refuses with a message naming the feature (lookahead and lookbehind, backreferences,
 * possessive quantifiers, atomic groups, {@code \G} and {@code \Z}, Java-only escapes, classes and
 * flags, class intersection). {@code \}{@code uXXXX} escapes are accepted and read as {@code
 * \x{XXXX}}. Matching also stops when the thread is interrupted (see {@link InterruptibleText}).
 */
public final class UserRegex {
  /** A pattern {@link #compile} refuses; the message says why, never more than the pattern. */
  public static final class InvalidRegexException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidRegexException(String message) {
      super(message);
    }
  }

  private static final String SEE = " (see docs/modules.md#user-regular-expressions)";

  private final Pattern pattern;

  private UserRegex(Pattern pattern) {
    this.pattern = pattern;
  }

  /** Compiles a user's pattern for RE2/J. */
  public static UserRegex compile(String source, boolean caseInsensitive)
      throws InvalidRegexException {
    String translated = translateUnicodeEscapes(source);
    String javaOnly = javaOnlyFeature(translated);
    if (javaOnly != null) {
      throw new InvalidRegexException(unsupported(javaOnly));
    }
    try {
      return new UserRegex(
          Pattern.compile(translated, caseInsensitive ? Pattern.CASE_INSENSITIVE : 0));
    } catch (PatternSyntaxException e) {
      String feature = feature(e.getDescription(), e.getPattern());
      throw new InvalidRegexException(
          feature != null
              ? unsupported(feature)
              : "invalid regular expression: "
                  + e.getDescription()
                  + " at `"
                  + e.getPattern()
                  + "`");
    }
  }

  /** A literal (every character matched as itself). */
  public static UserRegex literal(String text, boolean caseInsensitive) {
    return new UserRegex(
        Pattern.compile(Pattern.quote(text), caseInsensitive ? Pattern.CASE_INSENSITIVE : 0));
  }

  /** Whether the pattern matches somewhere in {@code text}. */
  public boolean find(String text) {
    return pattern.matcher(InterruptibleText.of(text)).find();
  }

  /** A matcher over {@code text} that stops when the thread is interrupted. */
  public Matcher matcher(String text) {
    return pattern.matcher(InterruptibleText.of(text));
  }

  /** Whether the pattern matches the empty string (a rule that would match every text). */
  public boolean matchesEmpty() {
    return pattern.matcher("").find();
  }

  private static String unsupported(String feature) {
    return "uses "
        + feature
        + ", which the linear-time regex engine (RE2/J) does not support"
        + SEE;
  }

  /** What RE2/J's error points at, as a Java-regex feature name, or null for a plain error. */
  private static String feature(String description, String at) {
    if (at == null) {
      return null;
    }
    if (at.startsWith("(?=") || at.startsWith("(?!")) {
      return "lookahead `" + at.substring(0, 3) + "`";
    }
    if (at.startsWith("(?<=") || at.startsWith("(?<!")) {
      return "lookbehind `" + at.substring(0, 4) + "`";
    }
    if (at.startsWith("(?>")) {
      return "an atomic group `(?>`";
    }
    if (at.matches("\\\\[1-9k].*")) {
      return "a backreference `" + at.substring(0, 2) + "`";
    }
    if (description.contains("nested repetition") && at.endsWith("+")) {
      return "a possessive quantifier `" + at + "`";
    }
    if (at.equals("\\G") || at.equals("\\Z")) {
      return "the anchor `" + at + "` (use `\\z` or `$`)";
    }
    if (at.matches("\\\\[hHvVRXecN]")) {
      return "the Java-only escape `" + at + "`";
    }
    if (at.startsWith("\\p{") || at.startsWith("\\P{")) {
      return "the Java-only character class `"
          + at
          + "` (RE2/J knows Unicode categories and scripts: \\p{L}, \\p{Lu}, \\p{Greek})";
    }
    if (at.startsWith("(?") && description.contains("Perl syntax")) {
      return "the Java-only flag group `" + at + "` (RE2/J knows i, m, s and U)";
    }
    if (description.contains("repeat count")) {
      return "a repetition count above 1000 `" + at + "`";
    }
    return null;
  }

  /**
   * Java features RE2/J would accept with another meaning: class intersection {@code &&} (RE2/J
   * reads the ampersands literally).
   */
  private static String javaOnlyFeature(String p) {
    boolean inClass = false;
    for (int i = 0; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '[') {
        inClass = true;
      } else if (c == ']') {
        inClass = false;
      } else if (inClass && c == '&' && i + 1 < p.length() && p.charAt(i + 1) == '&') {
        return "character class intersection `&&`";
      }
    }
    return null;
  }

  /** {@code \}{@code uXXXX} (and surrogate pairs of them) as {@code \x{...}}. */
  static String translateUnicodeEscapes(String p) {
    if (p.indexOf("\\u") < 0) {
      return p;
    }
    StringBuilder sb = new StringBuilder(p.length());
    for (int i = 0; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c != '\\' || i + 1 >= p.length()) {
        sb.append(c);
        continue;
      }
      char n = p.charAt(i + 1);
      int cp = n == 'u' ? hex4(p, i + 2) : -1;
      if (cp < 0) {
        sb.append(c).append(n);
        i++;
        continue;
      }
      i += 5;
      if (Character.isHighSurrogate((char) cp)
          && p.startsWith("\\u", i + 1)
          && hex4(p, i + 3) >= 0
          && Character.isLowSurrogate((char) hex4(p, i + 3))) {
        cp = Character.toCodePoint((char) cp, (char) hex4(p, i + 3));
        i += 6;
      }
      sb.append("\\x{").append(Integer.toHexString(cp)).append('}');
    }
    return sb.toString();
  }

  private static int hex4(String p, int at) {
    if (at + 4 > p.length()) {
      return -1;
    }
    int v = 0;
    for (int i = at; i < at + 4; i++) {
      int d = Character.digit(p.charAt(i), 16);
      if (d < 0) {
        return -1;
      }
      v = v * 16 + d;
    }
    return v;
  }

  @Override
  public String toString() {
    return "UserRegex[" + pattern.pattern() + "]";
  }
}
