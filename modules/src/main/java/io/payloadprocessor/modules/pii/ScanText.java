package io.payloadprocessor.modules.pii;

import io.payloadprocessor.modules.common.InterruptibleText;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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

  /** Eight bytes of a byte array as one little-endian long. */
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final long HIGH_BITS = 0x8080808080808080L;

  /**
   * Finds the digit runs eight characters at a time: the low byte of every character is copied
   * (positions stay one to one) and each group of eight is tested for bytes '0'..'9' with a few
   * word operations (SIMD within a register), so prose costs a fraction of a character-by-character
   * loop. A character above U+00FF loses its high byte in the copy (U+0130 has low byte 0x30), so
   * every byte that looks like a digit is confirmed on the character itself: digits are few in
   * prose, and this is cheaper than finding out first whether the text has such characters.
   */
  @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int): the low byte of each char
  private void findRuns() {
    int len = text.length();
    byte[] low = new byte[len + 8];
    text.getBytes(0, len, low, 0);
    int[] s = new int[16];
    int[] e = new int[s.length];
    int n = 0;
    int i = 0;
    int nextCheck = InterruptibleText.CHECK_EVERY;
    while (i < len) {
      if (i >= nextCheck) {
        InterruptibleText.checkInterrupted();
        nextCheck = i + InterruptibleText.CHECK_EVERY;
      }
      long digits = digitBytes((long) LONGS.get(low, i));
      if (digits == 0) {
        i += 8;
        continue;
      }
      i += Long.numberOfTrailingZeros(digits) >>> 3;
      if (i >= len) {
        break;
      }
      if (!isDigit(text.charAt(i))) {
        i++;
        continue;
      }
      int st = i;
      while (true) {
        // The first byte of the next eight that is not a digit ends the run (or may).
        long other = ~digitBytes((long) LONGS.get(low, i)) & HIGH_BITS;
        int k = other == 0 ? 8 : Long.numberOfTrailingZeros(other) >>> 3;
        for (int j = 0; j < k; j++) {
          if (!isDigit(text.charAt(i + j))) {
            k = j;
            other = 1;
            break;
          }
        }
        i += k;
        if (other != 0 || i >= len) {
          break;
        }
      }
      i = Math.min(i, len);
      if (n == s.length) {
        s = Arrays.copyOf(s, n * 2);
        e = Arrays.copyOf(e, n * 2);
      }
      s[n] = st;
      e[n] = i;
      n++;
    }
    starts = s;
    ends = e;
    runs = n;
  }

  /** The high bit of each byte of {@code w} that is '0'..'9', the other bits clear. */
  private static long digitBytes(long w) {
    long x = w ^ 0x3030303030303030L; // digits become 0..9
    long high = x & HIGH_BITS; // bytes >= 0x80 are not digits
    long atLeastTen = ((x & ~HIGH_BITS) + 0x7676767676767676L) & HIGH_BITS; // 0x76 = 0x80 - 10
    return ~(high | atLeastTen) & HIGH_BITS;
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
