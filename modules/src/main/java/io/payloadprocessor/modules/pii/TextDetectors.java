package io.payloadprocessor.modules.pii;

import static io.payloadprocessor.modules.pii.ScanText.isAlnum;
import static io.payloadprocessor.modules.pii.ScanText.isAsciiLetter;
import static io.payloadprocessor.modules.pii.ScanText.isDigit;
import static io.payloadprocessor.modules.pii.ScanText.isUpper;

import io.payloadprocessor.modules.common.InterruptibleText;
import java.util.List;

/**
 * The detectors triggered by a character or a literal prefix: email addresses ({@code @}), IPv6
 * addresses ({@code :}) and the secrets (key prefixes such as {@code AKIA}, {@code ghp_}, {@code
 * sk-}, {@code eyJ}, {@code -----BEGIN}). Each finds its trigger with {@link String#indexOf} (a
 * vectorised search in the JDK) and parses forward and back from there by hand, bounded by the
 * format's longest value, so ordinary prose costs next to nothing and a hostile text stays linear.
 */
final class TextDetectors {
  private TextDetectors() {}

  /** Visits every index of {@code needle} in the text, checking the interrupt flag as it goes. */
  private interface Visitor {
    /** Handles a trigger at {@code i}; returns where the search continues (at least i + 1). */
    int at(int i);
  }

  /**
   * Calls {@code v} at every {@code needle}. Single characters are searched for rather than the
   * literal prefixes themselves: the JDK searches a character several times faster than a string.
   */
  private static void each(ScanText t, char needle, Visitor v) {
    each(t, String.valueOf(needle), v);
  }

  private static void each(ScanText t, String needle, Visitor v) {
    String s = t.text();
    boolean single = needle.length() == 1;
    char c = needle.charAt(0);
    int from = 0;
    int nextCheck = InterruptibleText.CHECK_EVERY;
    while (true) {
      int i = single ? s.indexOf(c, from) : s.indexOf(needle, from);
      if (i < 0) {
        return;
      }
      if (i >= nextCheck) {
        InterruptibleText.checkInterrupted();
        nextCheck = i + InterruptibleText.CHECK_EVERY;
      }
      from = Math.max(i + 1, v.at(i));
    }
  }

  /**
   * Email addresses: a local part of 1-64 letters, digits and {@code ._%+-} (Latin letters with
   * diacritics included) with no leading, trailing or doubled dot, then 2-9 domain labels of
   * letters and digits of any script (internationalised domains) and inner hyphens, the last one a
   * top-level domain: 2-24 ASCII letters, a punycode label ({@code xn--...}), or letters of another
   * script.
   */
  static final class Email extends BuiltinDetector {
    Email() {
      super("email", "EMAIL", 320);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      each(
          t,
          '@',
          at -> {
            int start = at;
            while (start > 0 && at - start <= 64 && local(t.charAt(start - 1))) {
              start--;
            }
            if (start == at || at - start > 64) {
              return at + 1;
            }
            int end = domain(t, at + 1);
            if (end < 0 || end - start > 254 || !localDots(t, start, at)) {
              return at + 1;
            }
            out.add(new int[] {start, end});
            return end;
          });
    }

    private static boolean local(char c) {
      return isAlnum(c)
          || c == '.'
          || c == '_'
          || c == '%'
          || c == '+'
          || c == '-'
          || (c >= '\u00c0' && c <= '\u024f' && c != '\u00d7' && c != '\u00f7');
    }

    private static boolean localDots(ScanText t, int start, int at) {
      if (t.charAt(start) == '.' || t.charAt(at - 1) == '.') {
        return false;
      }
      for (int i = start + 1; i < at; i++) {
        if (t.charAt(i) == '.' && t.charAt(i - 1) == '.') {
          return false;
        }
      }
      return true;
    }

    private static boolean labelChar(char c) {
      return isAlnum(c) || (c >= 0x80 && Character.isLetterOrDigit(c));
    }

    /** The end of the domain starting at {@code p}, or -1. */
    private static int domain(ScanText t, int p) {
      int labels = 0;
      int lastStart = p;
      while (true) {
        int s = p;
        if (!labelChar(t.at(p))) {
          return -1;
        }
        while (p - s < 63 && (labelChar(t.at(p)) || t.at(p) == '-')) {
          p++;
        }
        if (t.charAt(p - 1) == '-' || labelChar(t.at(p)) || t.at(p) == '-') {
          return -1; // ends with a hyphen, or longer than 63
        }
        labels++;
        lastStart = s;
        if (labels < 9 && t.at(p) == '.' && labelChar(t.at(p + 1))) {
          p++;
          continue;
        }
        break;
      }
      if (labels < 2 || !topLevel(t, lastStart, p)) {
        return -1;
      }
      char after = t.at(p);
      return after == '.' && isAlnum(t.at(p + 1)) ? -1 : p;
    }

    private static boolean topLevel(ScanText t, int s, int e) {
      int len = e - s;
      String text = t.text();
      if (len >= 5 && text.regionMatches(true, s, "xn--", 0, 4)) {
        for (int i = s + 4; i < e; i++) {
          if (!isAlnum(t.charAt(i)) && t.charAt(i) != '-') {
            return false;
          }
        }
        return true;
      }
      boolean ascii = isAsciiLetter(t.charAt(s));
      for (int i = s; i < e; i++) {
        char c = t.charAt(i);
        if (ascii ? !isAsciiLetter(c) : (c < 0x80 || !Character.isLetter(c))) {
          return false;
        }
      }
      return len >= 2 && (!ascii || len <= 24);
    }
  }

  /**
   * IPv6 addresses, any textual form a parser accepts (compressed {@code ::}, embedded IPv4, a zone
   * {@code %eth0}). The candidate is the run of hex digits, colons and dots around a colon; it is
   * an address when it has two colons or more and Guava's parser (no DNS) accepts it. Boundaries:
   * no letter, digit, colon or dot just before; no letter, digit or colon just after, and no {@code
   * .digit} (a sentence's full stop may follow).
   */
  static final class Ipv6 extends BuiltinDetector {
    Ipv6() {
      super("ipv6", "IP_ADDRESS", 64);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      each(
          t,
          ':',
          i -> {
            int s = i;
            while (s > 0 && i - s < 46 && addressChar(t.charAt(s - 1))) {
              s--;
            }
            int e = i;
            int colons = 0;
            while (e < t.length() && e - s < 46 && addressChar(t.charAt(e))) {
              colons += t.charAt(e) == ':' ? 1 : 0;
              e++;
            }
            if (colons + colonsBefore(t, s, i) < 2) {
              return e; // "10:30", "Note:": one colon is never an address
            }
            int next = e;
            while (e > i && t.charAt(e - 1) == '.') {
              e--; // a full stop after the address
            }
            while (s < i && t.charAt(s) == '.') {
              s++;
            }
            char before = t.at(s - 1);
            if (isAlnum(before) || before == ':' || before == '.' || addressChar(t.at(next))) {
              return next; // a run longer than any address, or glued to a word
            }
            int end = e;
            if (t.at(end) == '%') {
              int z = end + 1;
              while (z < t.length() && z - end <= 15 && isAlnum(t.charAt(z))) {
                z++;
              }
              if (z > end + 1) {
                end = z;
              }
            }
            char after = t.at(end);
            if (isAlnum(after) || after == ':' || (after == '.' && isDigit(t.at(end + 1)))) {
              return next;
            }
            String candidate = t.text().substring(s, e);
            if (Validators.ipv6(candidate)) {
              out.add(new int[] {s, end});
              return end;
            }
            return next;
          });
    }

    private static boolean addressChar(char c) {
      return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    }

    private static int colonsBefore(ScanText t, int from, int to) {
      int n = 0;
      for (int i = from; i < to; i++) {
        n += t.charAt(i) == ':' ? 1 : 0;
      }
      return n;
    }
  }

  /** A run of characters of a class from {@code p}: its end. */
  private static int run(ScanText t, int p, int max, CharTest c) {
    int e = p;
    while (e < t.length() && e - p <= max && c.test(t.charAt(e))) {
      e++;
    }
    return e;
  }

  private interface CharTest {
    boolean test(char c);
  }

  private static boolean base64Url(char c) {
    return isAlnum(c) || c == '_' || c == '-';
  }

  /** AWS access key ids: {@code AKIA}, {@code ASIA}, {@code ABIA} or {@code ACCA}, 16 base32. */
  static final class AwsAccessKey extends BuiltinDetector {
    AwsAccessKey() {
      super("aws_access_key", "AWS_ACCESS_KEY", 20);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      String s = t.text();
      each(
          t,
          'A',
          i -> {
            if (!(s.startsWith("AKIA", i)
                    || s.startsWith("ASIA", i)
                    || s.startsWith("ABIA", i)
                    || s.startsWith("ACCA", i))
                || isAlnum(t.at(i - 1))) {
              return i + 1;
            }
            int e = run(t, i + 4, 16, c -> isUpper(c) || (c >= '2' && c <= '7'));
            if (e - i != 20 || isAlnum(t.at(e)) || !Validators.notRepetitive(s.substring(i, e))) {
              return i + 1;
            }
            out.add(new int[] {i, e});
            return e;
          });
    }
  }

  /** GitHub tokens: {@code gh[pousr]_} and 36 letters/digits, or {@code github_pat_} and 60-255. */
  static final class GithubToken extends BuiltinDetector {
    GithubToken() {
      super("github_token", "GITHUB_TOKEN", 266);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      String s = t.text();
      each(
          t,
          '_',
          u -> {
            int i;
            int e;
            if (u >= 3 && s.startsWith("gh", u - 3) && "pousr".indexOf(s.charAt(u - 1)) >= 0) {
              i = u - 3;
              e = run(t, u + 1, 36, ScanText::isAlnum);
              if (e - i != 40 || t.at(e) == '_') {
                return u + 1;
              }
            } else if (u >= 6 && s.startsWith("github_pat_", u - 6)) {
              i = u - 6;
              e = run(t, i + 11, 255, c -> isAlnum(c) || c == '_');
              if (e - i - 11 < 60 || e - i - 11 > 255) {
                return u + 1;
              }
            } else {
              return u + 1;
            }
            char before = t.at(i - 1);
            if (isAlnum(before) || before == '_' || !Validators.notRepetitive(s.substring(i, e))) {
              return u + 1;
            }
            out.add(new int[] {i, e});
            return e;
          });
    }
  }

  /** {@code sk-} API keys (OpenAI, Anthropic and others): 20-200 key characters, mixed. */
  static final class ApiKey extends BuiltinDetector {
    ApiKey() {
      super("api_key", "API_KEY", 203);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      String s = t.text();
      each(
          t,
          '-',
          dash -> {
            int i = dash - 2;
            if (i < 0 || !s.startsWith("sk", i) || base64Url(t.at(i - 1))) {
              return dash + 1;
            }
            int e = run(t, i + 3, 200, TextDetectors::base64Url);
            int len = e - i - 3;
            if (len < 20 || len > 200 || !Validators.apiKey(s.substring(i, e))) {
              return dash + 1;
            }
            out.add(new int[] {i, e});
            return e;
          });
    }
  }

  /** JSON Web Tokens: three base64url segments, header and payload JSON objects, an {@code alg}. */
  static final class Jwt extends BuiltinDetector {
    Jwt() {
      super("jwt", "JWT", 3010);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      String s = t.text();
      each(
          t,
          'J',
          j -> {
            int i = j - 2;
            if (i < 0 || !s.startsWith("ey", i) || base64Url(t.at(i - 1))) {
              return j + 1;
            }
            int h = run(t, i + 3, 500, TextDetectors::base64Url);
            if (h - i - 3 < 5 || h - i - 3 > 500 || t.at(h) != '.' || !s.startsWith("eyJ", h + 1)) {
              return i + 1;
            }
            int p = run(t, h + 4, 1500, TextDetectors::base64Url);
            if (p - h - 4 < 2 || p - h - 4 > 1500 || t.at(p) != '.') {
              return i + 1;
            }
            int end = run(t, p + 1, 1000, TextDetectors::base64Url);
            if (end - p - 1 > 1000 || !Validators.jwt(s.substring(i, end))) {
              return i + 1;
            }
            out.add(new int[] {i, end});
            return end;
          });
    }
  }

  /** PEM private keys: a BEGIN line, a base64 body of at least 40 characters, the END line. */
  static final class PrivateKey extends BuiltinDetector {
    private static final String[] KINDS = {
      "RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED ", "PGP ", ""
    };

    PrivateKey() {
      super("private_key", "PRIVATE_KEY", 4200);
    }

    @Override
    public void find(ScanText t, List<int[]> out) {
      each(
          t,
          "-----BEGIN ",
          i -> {
            int body = header(t, i + 11);
            if (body < 0) {
              return i + 1;
            }
            String s = t.text();
            int limit = Math.min(t.length(), body + 4101);
            for (int p = body; p < limit; p++) {
              char c = s.charAt(p);
              if (c == '-' && s.startsWith("-----END ", p)) {
                int end = header(t, p + 9);
                if (end > 0) {
                  if (!Validators.privateKey(s.substring(i, end))) {
                    return i + 1;
                  }
                  out.add(new int[] {i, end});
                  return end;
                }
              }
              if (!(isAlnum(c)
                  || c == '+'
                  || c == '/'
                  || c == '='
                  || Character.isWhitespace(c)
                  || c == ':'
                  || c == ','
                  || c == '\\'
                  || c == '-')) {
                return i + 1;
              }
            }
            return i + 1;
          });
    }

    /**
     * After "BEGIN " or "END ": a key kind, {@code PRIVATE KEY}, optional {@code BLOCK}, dashes.
     */
    private static int header(ScanText t, int p) {
      String s = t.text();
      for (String kind : KINDS) {
        if (s.startsWith(kind, p) && s.startsWith("PRIVATE KEY", p + kind.length())) {
          int q = p + kind.length() + 11;
          if (s.startsWith(" BLOCK", q)) {
            q += 6;
          }
          return s.startsWith("-----", q) ? q + 5 : -1;
        }
      }
      return -1;
    }
  }
}
