package io.payloadprocessor.modules.promptguard;

import io.payloadprocessor.modules.common.InterruptibleText;
import java.text.Normalizer;

/**
 * Puts text into the form prompt rules are matched against, so that look-alike spellings of a
 * denied phrase match it: Unicode NFKC (full-width and styled letters become plain ones),
 * zero-width and bidi control characters removed, Unicode tag characters (used to smuggle invisible
 * ASCII) turned back into the ASCII they encode, runs of whitespace collapsed to one space, and the
 * Cyrillic and Greek letters that look like Latin ones folded onto them.
 *
 * <p>ICU's confusable skeletons were considered and not used: they are defined for comparing two
 * strings, not for matching a regular expression, and they also fold Latin letters among themselves
 * ({@code rn} to {@code m}), which would make user patterns match what they were not written for.
 * The folding table here is the small, unambiguous subset of Unicode's confusables.txt for the two
 * scripts attackers use to spoof Latin.
 */
public final class TextNormalizer {
  private static final int TABLE_START = 0x0370;
  private static final char[] FOLD = new char[0x0530 - TABLE_START];

  static {
    fold("АAВBЕEКKМMНHОOРPСCТTХXУYІIЈJЅSԚQԜWӀl");
    fold("аaеeоoрpсcуyхxіiјjѕsԁdԛqԝwһhӏl");
    fold("ΑAΒBΕEΖZΗHΙIΚKΜMΝNΟOΡPΤTΥYΧX");
    fold("αaοoρpνvυuιiκkτtεeχxγy");
  }

  private TextNormalizer() {}

  /** Registers look-alike pairs: each odd character folds onto the Latin letter after it. */
  private static void fold(String pairs) {
    for (int i = 0; i + 1 < pairs.length(); i += 2) {
      char from = pairs.charAt(i);
      if (from >= TABLE_START) {
        FOLD[from - TABLE_START] = pairs.charAt(i + 1);
      }
    }
  }

  /** The normalised form of {@code text}. */
  public static String normalize(String text) {
    if (isPlainAscii(text)) {
      return text;
    }
    String nfkc = Normalizer.normalize(text, Normalizer.Form.NFKC);
    StringBuilder sb = new StringBuilder(nfkc.length());
    boolean space = true; // drops leading whitespace
    int nextCheck = InterruptibleText.CHECK_EVERY;
    for (int i = 0; i < nfkc.length(); ) {
      if (i >= nextCheck) {
        InterruptibleText.checkInterrupted();
        nextCheck = i + InterruptibleText.CHECK_EVERY;
      }
      int cp = nfkc.codePointAt(i);
      i += Character.charCount(cp);
      if (cp >= 0xE0020 && cp <= 0xE007E) {
        cp -= 0xE0000; // tag characters spell ASCII invisibly
      } else if (isInvisible(cp)) {
        continue;
      }
      if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
        if (!space) {
          sb.append(' ');
          space = true;
        }
        continue;
      }
      space = false;
      if (cp >= TABLE_START && cp < TABLE_START + FOLD.length && FOLD[cp - TABLE_START] != 0) {
        sb.append(FOLD[cp - TABLE_START]);
      } else {
        sb.appendCodePoint(cp);
      }
    }
    int len = sb.length();
    if (len > 0 && sb.charAt(len - 1) == ' ') {
      sb.setLength(len - 1);
    }
    return sb.toString();
  }

  /** Zero-width, bidi-control, soft-hyphen, variation-selector and other format characters. */
  static boolean isInvisible(int cp) {
    return Character.getType(cp) == Character.FORMAT // ZWSP..RLM, LRE..RLO, LRI..PDI, BOM, tags
        || cp == 0x034F // combining grapheme joiner
        || (cp >= 0xFE00 && cp <= 0xFE0F) // variation selectors
        || (cp >= 0xE0100 && cp <= 0xE01EF)
        || cp == 0x115F
        || cp == 0x1160
        || cp == 0x3164
        || cp == 0xFFA0; // Hangul fillers render as nothing
  }

  /** Printable ASCII with single spaces only: already normal. */
  private static boolean isPlainAscii(String s) {
    int n = s.length();
    if (n == 0) {
      return true;
    }
    // Spaces first, with the JVM's vectorised search; then one compare per character.
    if (s.charAt(0) == ' ' || s.charAt(n - 1) == ' ' || s.contains("  ")) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if ((char) (s.charAt(i) - 0x20) > 0x7e - 0x20) {
        return false;
      }
    }
    return true;
  }
}
