package io.payloadprocessor.modules.pii;

import static io.payloadprocessor.modules.pii.ScanText.isDigit;
import static io.payloadprocessor.modules.pii.ScanText.isLetterLike;
import static io.payloadprocessor.modules.pii.ScanText.isSpace;
import static io.payloadprocessor.modules.pii.ScanText.isUpper;
import static io.payloadprocessor.modules.pii.ScanText.isWord;

import java.util.List;

/**
 * The number-shaped detectors: payment cards, US social security numbers, phone numbers, IPv4
 * addresses and IBANs. Each works on the digit runs of {@link ScanText} and the few characters
 * between them, so a scan costs one pass over the text plus a little work per run, whatever the
 * number of detectors: a value is a chain of digit runs joined by the separators its format allows,
 * and every sub-chain that starts and ends at a run boundary is tried, so a value written next to
 * other digits (a card followed by its expiry date or CVV, two cards in a row, an SSN followed by
 * another number) is still found when it validates on its own, while a longer unbroken run of
 * digits never yields a value cut out of its middle.
 *
 * <p>Written by hand rather than as regexes because the same candidates served to five regexes
 * (each with look-behinds, tried at every digit) cost ten times the whole budget of a scan, and
 * because "every sub-chain that validates" is a search a single regex match cannot express.
 */
final class DigitDetectors {
  private DigitDetectors() {}

  /** Separator kinds: one character between two digit runs. */
  private static final char SPACE = ' ';

  /** The separator kind of {@code c} among {@code allowed} (' ' standing for every space), or 0. */
  private static char kind(char c, String allowed) {
    char k = isSpace(c) ? SPACE : c;
    return allowed.indexOf(k) >= 0 ? k : 0;
  }

  /** The one-character separator between runs {@code r - 1} and {@code r}, or 0. */
  private static char gap(ScanText t, int r, String allowed) {
    int from = t.end(r - 1);
    return t.start(r) - from == 1 ? kind(t.charAt(from), allowed) : 0;
  }

  /** Nothing glued to the left of a number: no letter, and not the fraction of a decimal. */
  private static boolean leftFree(ScanText t, int start) {
    char p = t.at(start - 1);
    return !isLetterLike(p) && !(p == '.' && isDigit(t.at(start - 2)));
  }

  /** Nothing glued to the right of a number: no letter, and not followed by a fraction. */
  private static boolean rightFree(ScanText t, int end) {
    char c = t.at(end);
    return !isLetterLike(c) && !(c == '.' && isDigit(t.at(end + 1)));
  }

  /**
   * Payment cards: 12-19 digits, either one run or runs of three or more digits joined by one kind
   * of separator (space or dash), an issuer's prefix and length ({@link CardBrands}), Luhn. Of the
   * chains starting at one run the longest valid one is taken.
   */
  static final class Card extends BuiltinDetector {
    Card() {
      super("payment_card", "PAYMENT_CARD", 40);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      int n = t.runs();
      for (int b = 0; b < n; b++) {
        if (!leftFree(t, t.start(b))) {
          continue;
        }
        int best = -1;
        char sep = 0;
        int digits = 0;
        for (int e = b; e < n; e++) {
          int len = t.runLength(e);
          if (e > b) {
            char k = gap(t, e, " -");
            if (k == 0 || (sep != 0 && k != sep) || len < 3 || t.runLength(b) < 3) {
              break;
            }
            sep = k;
          }
          digits += len;
          if (digits > CardBrands.MAX_LENGTH) {
            break;
          }
          if (digits >= CardBrands.MIN_LENGTH && rightFree(t, t.end(e)) && valid(t, b, e, digits)) {
            best = e;
          }
        }
        if (best >= 0) {
          out.add(new int[] {t.start(b), t.end(best)});
          b = best;
        }
      }
    }

    /** Luhn, not one repeated digit, issuer range and length; over runs {@code b..e}. */
    private static boolean valid(ScanText t, int b, int e, int digits) {
      char first = t.charAt(t.start(b));
      boolean same = true;
      int sum = 0;
      boolean dbl = false;
      for (int r = e; r >= b; r--) {
        for (int i = t.end(r) - 1; i >= t.start(r); i--) {
          char c = t.charAt(i);
          same &= c == first;
          int d = c - '0';
          if (dbl) {
            d = d * 2 > 9 ? d * 2 - 9 : d * 2;
          }
          sum += d;
          dbl = !dbl;
        }
      }
      if (same || sum % 10 != 0) {
        return false;
      }
      int first8 = 0;
      int taken = 0;
      for (int r = b; r <= e && taken < 8; r++) {
        for (int i = t.start(r); i < t.end(r) && taken < 8; i++, taken++) {
          first8 = first8 * 10 + (t.charAt(i) - '0');
        }
      }
      return CardBrands.issued(first8, digits);
    }
  }

  /**
   * US social security numbers: AAA-GG-SSSS with one kind of separator (dash, space or dot), or
   * nine digits in one run when a word such as "SSN" or "social security" comes shortly before (a
   * bare nine-digit number is as often an order or account number). SSA rules: area not 000, 666 or
   * 900-999, group not 00, serial not 0000, and not one of the numbers the SSA voided after they
   * were published.
   */
  static final class Ssn extends BuiltinDetector {
    private static final String[] CONTEXT = {
      "ssn",
      "ssns",
      "ss#",
      "ss no",
      "social security",
      "soc sec",
      "tin",
      "itin",
      "taxpayer",
      "tax id"
    };

    Ssn() {
      super("us_ssn", "US_SSN", 11);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      int n = t.runs();
      for (int b = 0; b < n; b++) {
        int s = t.start(b);
        int len = t.runLength(b);
        if ((len != 9 && len != 3) || !leftFree(t, s)) {
          continue;
        }
        if (len == 9) {
          if (rightFree(t, t.end(b))
              && t.contextBefore(s, 48, CONTEXT)
              && valid(t, s, s + 3, s + 5)) {
            out.add(new int[] {s, t.end(b)});
          }
          continue;
        }
        if (b + 2 >= n || t.runLength(b + 1) != 2 || t.runLength(b + 2) != 4) {
          continue;
        }
        char k = gap(t, b + 1, " -.");
        if (k != 0 && gap(t, b + 2, " -.") == k && rightFree(t, t.end(b + 2))) {
          if (valid(t, s, t.start(b + 1), t.start(b + 2))) {
            out.add(new int[] {s, t.end(b + 2)});
            b += 2;
          }
        }
      }
    }

    private static boolean valid(ScanText t, int area, int group, int serial) {
      int a = number(t, area, 3);
      int g = number(t, group, 2);
      int s = number(t, serial, 4);
      if (a == 0 || a == 666 || a >= 900 || g == 0 || s == 0) {
        return false;
      }
      // 078-05-1120 (printed on a wallet insert) and 219-09-9999 (an SSA pamphlet).
      return !(a == 78 && g == 5 && s == 1120) && !(a == 219 && g == 9 && s == 9999);
    }
  }

  private static int number(ScanText t, int from, int digits) {
    int v = 0;
    for (int i = from; i < from + digits; i++) {
      v = v * 10 + (t.charAt(i) - '0');
    }
    return v;
  }

  /**
   * IPv4 addresses: four decimal parts 0-255 joined by dots, no leading zeros. Boundaries: no
   * letter, digit, underscore or dot just before; no letter, digit or underscore just after, and no
   * further {@code .digit} (so {@code 1.2.3.4.5} and {@code v1.2.3.4} are not addresses; a port, a
   * prefix length or a sentence's full stop may follow).
   */
  static final class Ipv4 extends BuiltinDetector {
    Ipv4() {
      super("ipv4", "IP_ADDRESS", 15);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      int n = t.runs();
      for (int b = 0; b + 3 < n; b++) {
        char before = t.at(t.start(b) - 1);
        if (isWord(before) || before == '.') {
          continue;
        }
        boolean ok = true;
        for (int r = b; r <= b + 3 && ok; r++) {
          ok = part(t, r) && (r == b || gap(t, r, ".") == '.');
        }
        int end = t.end(b + 3);
        char after = t.at(end);
        if (ok && !isWord(after) && !(after == '.' && isDigit(t.at(end + 1)))) {
          out.add(new int[] {t.start(b), end});
          b += 3;
        }
      }
    }

    private static boolean part(ScanText t, int r) {
      int len = t.runLength(r);
      if (len > 3 || (len > 1 && t.charAt(t.start(r)) == '0')) {
        return false;
      }
      return number(t, t.start(r), len) <= 255;
    }
  }

  /**
   * IBANs: a country code (upper case), two check digits, then the country's registered length of
   * upper-case letters and digits, written compact or in groups of four joined by one kind of
   * separator (space or dash; the last group may be shorter); ISO 7064 mod 97-10. The value ends
   * exactly at the country's length, so digits written after it do not hide it.
   */
  static final class Iban extends BuiltinDetector {
    Iban() {
      super("iban", "IBAN", 42);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      int n = t.runs();
      int covered = 0;
      for (int b = 0; b < n; b++) {
        int s = t.start(b) - 2;
        if (s < covered
            || s < 0
            || t.runLength(b) < 2
            || !isUpper(t.charAt(s))
            || !isUpper(t.charAt(s + 1))
            || ScanText.isAlnum(t.at(s - 1))) {
          continue;
        }
        Integer length = Validators.IBAN_LENGTHS.get(t.text().substring(s, s + 2));
        if (length == null) {
          continue;
        }
        int end = parse(t, s, length);
        if (end > 0) {
          out.add(new int[] {s, end});
          covered = end;
        }
      }
    }

    /** The end of an IBAN of {@code length} characters written from {@code s}, or -1. */
    private static int parse(ScanText t, int s, int length) {
      StringBuilder iban = new StringBuilder(length);
      int p = s;
      char sep = 0;
      int group = 0; // characters in the current group of four
      while (iban.length() < length) {
        char c = t.at(p);
        if (isUpper(c) || isDigit(c)) {
          iban.append(c);
          group++;
          p++;
          if (group > 4 && sep != 0) {
            return -1;
          }
          continue;
        }
        char k = iban.length() == 4 && sep == 0 ? kind(c, " -") : c == sep ? sep : 0;
        if (k == 0 || group != 4 || !(isUpper(t.at(p + 1)) || isDigit(t.at(p + 1)))) {
          return -1;
        }
        sep = k;
        group = 0;
        p++;
      }
      char next = t.at(p);
      if (ScanText.isAlnum(next) || isLetterLike(next)) {
        return -1;
      }
      String v = iban.toString();
      return Validators.mod97(v.substring(4) + v.substring(0, 4)) == 1 ? p : -1;
    }
  }

  /**
   * Phone numbers, in three written forms (the longest match at the earliest start wins):
   *
   * <ul>
   *   <li>international: {@code +} or {@code 00}, a country code 1-9.., then groups (separators
   *       space, dot, dash, brackets), 8-15 digits in all (E.164), at most six groups of up to four
   *       digits after the country code;
   *   <li>North American (NANP): [+1] (NXX) NXX-XXXX with N 2-9 and no N11 service codes; ten
   *       digits written without any separator only after a word such as "phone" or "call";
   *   <li>European national with trunk prefix 0: {@code 0} and 1-4 digits, then one to four groups
   *       of 2-8 digits with one kind of separator, 9-12 digits in all.
   * </ul>
   */
  static final class Phone extends BuiltinDetector {
    private static final String[] CONTEXT = {
      "phone",
      "tel",
      "telephone",
      "call",
      "mobile",
      "cell",
      "fax",
      "sms",
      "text",
      "whatsapp",
      "contact",
      "number",
      "dial",
      "ph"
    };

    Phone() {
      super("phone", "PHONE", 40);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      int n = t.runs();
      int covered = 0;
      for (int b = 0; b < n; b++) {
        int s = t.start(b);
        if (s < covered || nearbyDigits(t, b) < 8) {
          continue; // every form needs eight digits or more
        }
        int[] best = international(t, b);
        best = better(best, nanp(t, b));
        best = better(best, national(t, b));
        if (best != null) {
          out.add(best);
          covered = best[1];
        }
      }
    }

    /** Digits in run {@code b} and the runs after it that a phone number could join (capped). */
    private static int nearbyDigits(ScanText t, int b) {
      int digits = t.runLength(b);
      for (int r = b + 1; r < t.runs() && digits < 8 && t.start(r) - t.end(r - 1) <= 3; r++) {
        digits += t.runLength(r);
      }
      return digits;
    }

    private static int[] better(int[] a, int[] b) {
      if (a == null) {
        return b;
      }
      if (b == null) {
        return a;
      }
      if (b[0] != a[0]) {
        return b[0] < a[0] ? b : a;
      }
      return b[1] > a[1] ? b : a;
    }

    /** Whether a phone number may start at {@code p}: no word character or {@code +} before. */
    private static boolean canStart(ScanText t, int p) {
      char c = t.at(p - 1);
      return !isWord(c) && c != '+';
    }

    private static int[] international(ScanText t, int b) {
      int s = t.start(b);
      int start;
      int cc;
      if (t.at(s - 1) == '+') {
        start = s - 1;
        cc = s;
      } else if (t.charAt(s) == '0' && t.at(s + 1) == '0') {
        start = s;
        cc = s + 2;
      } else {
        return null;
      }
      if (!canStart(t, start) || cc >= t.end(b) || t.charAt(cc) == '0') {
        return null;
      }
      int digits = t.end(b) - cc;
      int groups = chunks(digits - Math.min(3, digits));
      int open = 0;
      int best = -1;
      for (int e = b; e < t.runs(); e++) {
        if (e > b) {
          int gs = t.end(e - 1);
          int ge = t.start(e);
          int p = gs;
          if (t.at(p) == ')' && p < ge) {
            open--;
            p++;
          }
          if (p < ge && kind(t.at(p), " .-") != 0) {
            p++;
          }
          if (p < ge && t.at(p) == '(') {
            open++;
            p++;
          }
          if (p != ge || ge == gs || open < 0 || open > 1) {
            break;
          }
          digits += t.runLength(e);
          groups += chunks(t.runLength(e));
        }
        if (digits > 15 || groups > 6) {
          break;
        }
        int end = t.end(e);
        int balance = open;
        if (balance == 1 && t.at(end) == ')') {
          end++;
          balance = 0;
        }
        if (digits >= 8 && groups >= 2 && balance == 0 && !isWord(t.at(end))) {
          best = end;
        }
      }
      return best < 0 ? null : new int[] {start, best};
    }

    private static int chunks(int digits) {
      return (digits + 3) / 4;
    }

    private static int[] nanp(ScanText t, int b) {
      int s = t.start(b);
      char before = t.at(s - 1);
      int start = before == '(' || before == '+' ? s - 1 : s;
      if (!canStart(t, start)) {
        return null;
      }
      int p = start;
      boolean plus = t.at(p) == '+';
      if (plus) {
        if (t.at(p + 1) != '1') {
          return null;
        }
        int end = nanpBody(t, optionalSeparator(t, p + 2));
        return end < 0 ? null : checkNanp(t, start, end);
      }
      if (t.at(p) == '1') {
        int end = nanpBody(t, optionalSeparator(t, p + 1));
        if (end > 0 && checkNanp(t, start, end) != null) {
          return new int[] {start, end};
        }
      }
      int end = nanpBody(t, p);
      return end < 0 ? null : checkNanp(t, start, end);
    }

    private static int optionalSeparator(ScanText t, int p) {
      return kind(t.at(p), " .-") != 0 ? p + 1 : p;
    }

    /** (NXX) or NXX, [sep] NXX, [sep] XXXX, not followed by a word character; the end, or -1. */
    private static int nanpBody(ScanText t, int p) {
      if (t.at(p) == '(') {
        if (!digits(t, p + 1, 3) || t.at(p + 4) != ')') {
          return -1;
        }
        p += 5;
      } else if (digits(t, p, 3)) {
        p += 3;
      } else {
        return -1;
      }
      p = optionalSeparator(t, p);
      if (!digits(t, p, 3)) {
        return -1;
      }
      p = optionalSeparator(t, p + 3);
      if (!digits(t, p, 4) || isWord(t.at(p + 4))) {
        return -1;
      }
      return p + 4;
    }

    private static boolean digits(ScanText t, int p, int count) {
      for (int i = p; i < p + count; i++) {
        if (!isDigit(t.at(i))) {
          return false;
        }
      }
      return true;
    }

    /** Number-plan rules, balanced brackets, and context for a bare run of digits. */
    private static int[] checkNanp(ScanText t, int start, int end) {
      StringBuilder d = new StringBuilder(11);
      int open = 0;
      boolean bare = true;
      for (int i = start; i < end; i++) {
        char c = t.charAt(i);
        if (isDigit(c)) {
          d.append(c);
        } else {
          bare = false;
          open += c == '(' ? 1 : c == ')' ? -1 : 0;
        }
      }
      if (d.length() == 11 && d.charAt(0) == '1') {
        d.deleteCharAt(0);
      }
      if (d.length() != 10 || open != 0 || !nxx(d, 0) || !nxx(d, 3)) {
        return null;
      }
      if (bare && !t.contextBefore(start, 40, CONTEXT)) {
        return null;
      }
      return new int[] {start, end};
    }

    private static boolean nxx(CharSequence d, int at) {
      return d.charAt(at) >= '2' && !(d.charAt(at + 1) == '1' && d.charAt(at + 2) == '1');
    }

    private static int[] national(ScanText t, int b) {
      int s = t.start(b);
      int len = t.runLength(b);
      char before = t.at(s - 1);
      if (t.charAt(s) != '0'
          || len < 2
          || len > 5
          || t.charAt(s + 1) == '0'
          || isWord(before)
          || before == '+'
          || before == '.'
          || before == '-') {
        return null;
      }
      int digits = len;
      char sep = 0;
      int best = -1;
      for (int e = b + 1; e < t.runs() && e <= b + 4; e++) {
        char k = gap(t, e, " .-");
        int rl = t.runLength(e);
        if (k == 0 || (sep != 0 && k != sep) || rl < 2 || rl > 8) {
          break;
        }
        sep = k;
        digits += rl;
        if (digits > 12) {
          break;
        }
        int end = t.end(e);
        char after = t.at(end);
        boolean free =
            !isWord(after) && !((after == '.' || after == '-') && isDigit(t.at(end + 1)));
        if (digits >= 9 && free) {
          best = end;
        }
      }
      return best < 0 ? null : new int[] {s, best};
    }
  }
}
