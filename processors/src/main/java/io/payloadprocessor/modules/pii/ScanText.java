package io.payloadprocessor.modules.pii;

import io.payloadprocessor.modules.common.InterruptibleText;
import java.util.Arrays;

/**
 * The text one scan runs over, with what several detectors need computed once: the runs of ASCII
 * digits (every number-shaped detector starts from them). Finding the runs is the only pass over
 * the whole text the digit detectors make; it checks the thread's interrupt flag every {@link
 * InterruptibleText#CHECK_EVERY} characters.
 */
public final class ScanText {
  private final String text;
  private int[] starts;
  private int[] ends;
  private int runs = -1;

  public ScanText(String text) {
    this.text = text;
  }

  public String text() {
    return text;
  }

  public int length() {
    return text.length();
  }

  public char charAt(int i) {
    return text.charAt(i);
  }

  /** The character at {@code i}, or 0 outside the text. */
  char at(int i) {
    return i >= 0 && i < text.length() ? text.charAt(i) : 0;
  }

  /** Number of maximal runs of ASCII digits. */
  int runs() {
    if (runs < 0) {
      findRuns();
    }
    return runs;
  }

  /** Start of digit run {@code r}. */
  int start(int r) {
    return starts[r];
  }

  /** End (exclusive) of digit run {@code r}. */
  int end(int r) {
    return ends[r];
  }

  int runLength(int r) {
    return ends[r] - starts[r];
  }

  private void findRuns() {
    int[] s = new int[64];
    int[] e = new int[64];
    int n = 0;
    int len = text.length();
    int i = 0;
    while (i < len) {
      int chunkEnd = Math.min(len, i + InterruptibleText.CHECK_EVERY);
      InterruptibleText.checkInterrupted();
      while (i < chunkEnd) {
        if (!isDigit(text.charAt(i))) {
          i++;
          continue;
        }
        int st = i;
        do {
          i++;
        } while (i < len && isDigit(text.charAt(i)));
        if (n == s.length) {
          s = Arrays.copyOf(s, n * 2);
          e = Arrays.copyOf(e, n * 2);
        }
        s[n] = st;
        e[n] = i;
        n++;
      }
    }
    starts = s;
    ends = e;
    runs = n;
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  static boolean isUpper(char c) {
    return c >= 'A' && c <= 'Z';
  }

  static boolean isAsciiLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  static boolean isAlnum(char c) {
    return isDigit(c) || isAsciiLetter(c);
  }

  /** A regex word character ({@code [A-Za-z0-9_]}). */
  static boolean isWord(char c) {
    return isAlnum(c) || c == '_';
  }

  /** A letter of any script, or {@code _}: what may not touch a number-shaped value. */
  static boolean isLetterLike(char c) {
    return isAsciiLetter(c) || c == '_' || (c >= 0x80 && Character.isLetter(c));
  }

  /** A space as people type it between digit groups (no-break and thin spaces included). */
  static boolean isSpace(char c) {
    return c == ' ' || c == '\u00a0' || c == '\u2007' || c == '\u2009' || c == '\u202f';
  }

  /**
   * Whether one of {@code words} (lower-case) appears as a whole word within {@code window}
   * characters before {@code pos}: the context that makes an ambiguous bare number (nine digits,
   * ten digits) a social security or phone number rather than an order number.
   */
  boolean contextBefore(int pos, int window, String... words) {
    int from = Math.max(0, pos - window);
    String w = text.substring(from, pos).toLowerCase(java.util.Locale.ROOT);
    for (String word : words) {
      int i = w.indexOf(word);
      while (i >= 0) {
        boolean left = i == 0 || !Character.isLetter(w.charAt(i - 1));
        int e = i + word.length();
        boolean right = e >= w.length() || !Character.isLetter(w.charAt(e));
        if (left && right) {
          return true;
        }
        i = w.indexOf(word, i + 1);
      }
    }
    return false;
  }
}
