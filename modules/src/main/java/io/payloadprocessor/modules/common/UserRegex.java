package io.payloadprocessor.modules.common;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.Locale;

/**
 * A regular expression written by a user (prompt-guard rules, pii {@code regex} detectors), run on
 * RE2/J: matching time is linear in the input whatever the pattern, so no request can make a rule
 * backtrack for seconds. The price is the Java-regex features that need backtracking, which {@link
 * #compile} refuses with a message naming the feature (lookahead and lookbehind, backreferences,
 * possessive quantifiers, atomic groups, {@code \G} and {@code \Z}, Java-only escapes, classes and
 * flags, class intersection). {@code \}{@code uXXXX} escapes are accepted and read as {@code
 * \x{XXXX}}. Matching also stops when the thread is interrupted (see {@link InterruptibleText}).
 *
 * <p>RE2/J's NFA is linear but slow per character (it steps every position, and a case-insensitive
 * pattern loses its literal-prefix skip), so {@link #find} first looks for the longest literal
 * every match must contain ({@link #requiredLiteral}); a text without it cannot match and is
 * answered by one {@code indexOf}. Hand-written because RE2/J does not expose its parsed program;
 * the extraction only ever drops characters it is unsure of, so a text the pre-filter rejects is
 * one the pattern cannot match.
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

  /** Shorter required literals are not worth the pre-filter. */
  private static final int MIN_LITERAL = 3;

  private final Pattern pattern;
  private final String literal; // null: no pre-filter
  private final boolean caseInsensitive;

  /** Case-insensitive pre-filter: where in the literal candidates are anchored, and on what. */
  private final int anchor;

  private final char[] anchorForms;

  private UserRegex(Pattern pattern, String literal, boolean caseInsensitive) {
    this.pattern = pattern;
    this.caseInsensitive = caseInsensitive;
    // Any part of a required literal is required too: spaces at its ends would make every space
    // of the text a candidate.
    String core = literal == null ? null : literal.strip();
    this.literal =
        core == null || core.length() < MIN_LITERAL
            ? null
            : caseInsensitive ? core.toLowerCase(Locale.ROOT) : core;
    this.anchor = this.literal == null ? 0 : rarest(this.literal);
    this.anchorForms = this.literal == null ? new char[0] : forms(this.literal.charAt(this.anchor));
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
          Pattern.compile(translated, caseInsensitive ? Pattern.CASE_INSENSITIVE : 0),
          requiredLiteral(translated),
          caseInsensitive);
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
        Pattern.compile(Pattern.quote(text), caseInsensitive ? Pattern.CASE_INSENSITIVE : 0),
        isAscii(text) ? text : null,
        caseInsensitive);
  }

  /** Whether the pattern matches somewhere in {@code text}. */
  public boolean find(String text) {
    return mayMatch(text) && pattern.matcher(InterruptibleText.of(text)).find();
  }

  /** A matcher over {@code text} that stops when the thread is interrupted. */
  public Matcher matcher(String text) {
    return pattern.matcher(InterruptibleText.of(text));
  }

  /**
   * False when {@code text} lacks the pattern's required literal, so the pattern cannot match it.
   * Case-insensitively, the literal (ASCII, lower-cased) is looked for as RE2/J would fold it: each
   * of its characters matches itself, its other case, and for {@code s} and {@code k} also {@code
   * ſ} (U+017F) and the Kelvin sign (U+212A), the only non-ASCII characters RE2/J folds onto ASCII
   * (found by matching every ASCII character against every code point). Candidates are found with
   * {@code indexOf} (vectorised by the JVM) on the literal's rarest letter, in each of its forms.
   */
  public boolean mayMatch(String text) {
    if (literal == null) {
      return true;
    }
    if (!caseInsensitive) {
      return text.contains(literal);
    }
    int n = text.length();
    int m = literal.length();
    int checked = 0;
    for (char form : anchorForms) {
      for (int i = text.indexOf(form, anchor); i >= 0; i = text.indexOf(form, i + 1)) {
        int start = i - anchor;
        if (start + m > n) {
          break;
        }
        if (foldedAt(text, start)) {
          return true;
        }
        // A text made of the anchor letter costs a comparison of the literal per character: stop
        // when the step's deadline interrupts the thread.
        checked += m;
        if (checked >= InterruptibleText.CHECK_EVERY) {
          InterruptibleText.checkInterrupted();
          checked = 0;
        }
      }
    }
    return false;
  }

  /** Whether {@code text} at {@code start}, folded, is the (lower-case) literal. */
  private boolean foldedAt(String text, int start) {
    for (int j = 0; j < literal.length(); j++) {
      if (fold(text.charAt(start + j)) != literal.charAt(j)) {
        return false;
      }
    }
    return true;
  }

  /** The ASCII letter RE2/J folds {@code c} onto, in lower case; else {@code c} itself. */
  static char fold(char c) {
    if (c >= 'A' && c <= 'Z') {
      return (char) (c + ('a' - 'A'));
    }
    return c == '\u017F' ? 's' : c == '\u212A' ? 'k' : c;
  }

  /** English letters from the most to the least frequent. */
  private static final String LETTER_FREQUENCY = "etaoinshrdlcumwfgypbvkjxqz";

  /** The index in {@code lower} of the character least likely to occur in text. */
  private static int rarest(String lower) {
    int best = 0;
    int bestRank = -2;
    for (int i = 0; i < lower.length(); i++) {
      char c = lower.charAt(i);
      int rank = c == ' ' ? -1 : c >= 'a' && c <= 'z' ? LETTER_FREQUENCY.indexOf(c) : 26;
      if (rank > bestRank) {
        best = i;
        bestRank = rank;
      }
    }
    return best;
  }

  /** Every character RE2/J's case folding matches to {@code lower}. */
  private static char[] forms(char lower) {
    if (lower < 'a' || lower > 'z') {
      return new char[] {lower};
    }
    char upper = (char) (lower - ('a' - 'A'));
    return lower == 's'
        ? new char[] {'s', 'S', '\u017F'}
        : lower == 'k' ? new char[] {'k', 'K', '\u212A'} : new char[] {lower, upper};
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /**
   * The longest run of ASCII characters that every match of {@code p} contains, or null. Only the
   * top level of the pattern counts (groups, classes and escapes other than escaped punctuation end
   * a run), a character made optional or repeated by a quantifier leaves the run (one under {@code
   * +} stays, and ends it), and a pattern with a top-level alternation, a flag group or a {@code
   * \Q} quote has none.
   */
  static String requiredLiteral(String p) {
    String best = null;
    StringBuilder run = new StringBuilder();
    int i = 0;
    while (i < p.length()) {
      char c = p.charAt(i);
      switch (c) {
        case '|' -> {
          return null;
        }
        case '\\' -> {
          if (i + 1 >= p.length()) {
            return null;
          }
          char e = p.charAt(i + 1);
          if (e == 'Q') {
            return null;
          }
          if (e < 0x80 && !Character.isLetterOrDigit(e) && !quantifiedAt(p, i + 2)) {
            run.append(e);
            i += 2;
            continue;
          }
          best = longer(best, run);
          i = escapeEnd(p, i);
          continue;
        }
        case '(' -> {
          if (p.startsWith("(?", i)
              && !p.startsWith("(?:", i)
              && !p.startsWith("(?P<", i)
              && !p.startsWith("(?<", i)) {
            return null; // a flag group changes how the rest matches
          }
          best = longer(best, run);
          int end = groupEnd(p, i);
          if (end < 0) {
            return null;
          }
          i = end + 1;
          continue;
        }
        case '[' -> {
          best = longer(best, run);
          int end = classEnd(p, i);
          if (end < 0) {
            return null;
          }
          i = end + 1;
          continue;
        }
        case '*', '?', '{' -> {
          // A quantifier after a group, class, escape or '.': the atom before never joined the run
          // (a quantified character is checked for before it is appended).
          best = longer(best, run);
          if (c == '{') {
            int close = p.indexOf('}', i);
            i = close < 0 ? p.length() : close + 1;
          } else {
            i++;
          }
          continue;
        }
        case '+' -> {
          best = longer(best, run);
          i++;
          continue;
        }
        case '.', '^', '$', ')', ']' -> {
          best = longer(best, run);
          i++;
          continue;
        }
        default -> {
          if (c >= 0x80) {
            best = longer(best, run);
          } else if (i + 1 < p.length() && p.charAt(i + 1) == '+') {
            run.append(c); // at least once: required, and the run ends after it
            best = longer(best, run);
            i++;
          } else if (quantifiedAt(p, i + 1)) {
            best = longer(best, run);
          } else {
            run.append(c);
          }
          i++;
        }
      }
    }
    String r = longer(best, run);
    return r.isEmpty() ? null : r;
  }

  /**
   * Index just past the escape at {@code at} that is not escaped punctuation: {@code \\x41}, {@code
   * \\x{263a}}, {@code \\pL}, {@code \\p{Greek}}, octal {@code \\123}, or a letter class such as
   * {@code \\d}.
   */
  private static int escapeEnd(String p, int at) {
    char e = p.charAt(at + 1);
    int i = at + 2;
    if ((e == 'x' || e == 'p' || e == 'P') && i < p.length() && p.charAt(i) == '{') {
      int close = p.indexOf('}', i);
      return close < 0 ? p.length() : close + 1;
    }
    if (e == 'x') {
      return Math.min(p.length(), i + 2);
    }
    if (e == 'p' || e == 'P') {
      return Math.min(p.length(), i + 1);
    }
    if (e >= '0' && e <= '7') {
      while (i < p.length() && i < at + 4 && p.charAt(i) >= '0' && p.charAt(i) <= '7') {
        i++;
      }
    }
    return i;
  }

  /** Whether a quantifier that can drop or repeat the preceding atom starts at {@code at}. */
  private static boolean quantifiedAt(String p, int at) {
    if (at >= p.length()) {
      return false;
    }
    char q = p.charAt(at);
    return q == '*' || q == '?' || q == '{' || q == '+';
  }

  /** Ends the current run: returns the longer of it and {@code best}, and empties it. */
  private static String longer(String best, StringBuilder run) {
    String r = run.toString();
    run.setLength(0);
    return best == null || r.length() > best.length() ? r : best;
  }

  /** Index of the ')' closing the group opened at {@code open}, or -1. */
  private static int groupEnd(String p, int open) {
    int depth = 0;
    for (int i = open; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '[') {
        int end = classEnd(p, i);
        if (end < 0) {
          return -1;
        }
        i = end;
      } else if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  /** Index of the ']' closing the class opened at {@code open}, or -1. */
  private static int classEnd(String p, int open) {
    int i = open + 1;
    if (i < p.length() && p.charAt(i) == '^') {
      i++;
    }
    if (i < p.length() && p.charAt(i) == ']') {
      i++; // a leading ']' is a member
    }
    for (; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '[' && i + 1 < p.length() && p.charAt(i + 1) == ':') {
        int close = p.indexOf(":]", i + 2);
        if (close < 0) {
          return -1;
        }
        i = close + 1;
      } else if (c == ']') {
        return i;
      }
    }
    return -1;
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
