package io.payloadprocessor.modules.pii;

import io.payloadprocessor.modules.pii.PatternDetector.Candidate;
import io.payloadprocessor.modules.pii.PatternDetector.StartFinder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The built-in detectors. Every pattern is written to stay linear on hostile input: bounded
 * repetitions, no nested quantifiers over overlapping character classes, and each optional
 * separator tied to exactly one digit or group, so a failed candidate costs a bounded number of
 * steps.
 */
public final class Detectors {
  /** Built-in detector types, by the name users write. */
  private static final Map<String, Detector> BUILTIN = new LinkedHashMap<>();

  /** {@code secrets} expands to these. */
  public static final List<String> SECRETS =
      List.of("aws_access_key", "github_token", "api_key", "jwt", "private_key");

  private static final Predicate<String> HAS_DIGIT = Detectors::hasDigit;

  /** The first digit of a run of digits (every digit pattern starts at one). */
  private static final StartFinder DIGIT_START =
      (t, i) -> isDigit(t.charAt(i)) && (i == 0 || !isDigit(t.charAt(i - 1))) ? i : -1;

  private static final StartFinder PHONE_START =
      (t, i) -> {
        char c = t.charAt(i);
        return c == '+' || c == '(' || (isDigit(c) && (i == 0 || !isDigit(t.charAt(i - 1))))
            ? i
            : -1;
      };

  static {
    add(
        PatternDetector.of(
            "email",
            "EMAIL",
            320,
            t -> t.indexOf('@') >= 0,
            new Candidate(
                Pattern.compile(
                    "(?<![A-Za-z0-9._%+\\-])[A-Za-z0-9._%+\\-]{1,64}@"
                        + "(?:[A-Za-z0-9](?:[A-Za-z0-9\\-]{0,61}[A-Za-z0-9])?\\.){1,8}"
                        + "[A-Za-z]{2,24}(?![A-Za-z0-9\\-]|\\.[A-Za-z0-9])"),
                Validators::email,
                StartFinder.walkBack('@', Detectors::emailLocal, 64))));
    add(
        PatternDetector.of(
            "phone",
            "PHONE",
            40,
            HAS_DIGIT,
            // E.164 / international: +CC or 00CC, then groups of 1-4 digits. Possessive
            // quantifiers: a digit run splits one way only, so a failed candidate costs O(n).
            new Candidate(
                Pattern.compile(
                    "(?<![\\w+])(?:\\+|00)[1-9]\\d{0,2}+(?:[ .\\-]?+\\(?+\\d{1,4}+\\)?+){2,6}+(?!\\w)"),
                Validators::internationalPhone,
                PHONE_START),
            // NANP: [+1] (NXX) NXX-XXXX.
            new Candidate(
                Pattern.compile(
                    "(?<![\\w+])(?:\\+?1[ .\\-]?)?(?:\\(\\d{3}\\)|\\d{3})[ .\\-]?\\d{3}[ .\\-]?\\d{4}"
                        + "(?!\\w)"),
                Validators::nanpPhone,
                PHONE_START),
            // European national numbers with trunk prefix 0, written in groups.
            new Candidate(
                Pattern.compile(
                    "(?<![\\w+.\\-])0[1-9]\\d{0,3}+(?:[ .\\-]\\d{2,8}+){1,4}+(?![\\w]|[.\\-]\\d)"),
                Validators::nationalPhone,
                (t, i) -> t.charAt(i) == '0' && (i == 0 || !isDigit(t.charAt(i - 1))) ? i : -1)));
    add(
        PatternDetector.of(
            "payment_card",
            "PAYMENT_CARD",
            40,
            HAS_DIGIT,
            new Candidate(
                Pattern.compile("(?<![\\d\\-]|\\d[ \\-])\\d(?:[ \\-]?\\d){12,18}(?![ \\-]?\\d)"),
                Validators::paymentCard,
                DIGIT_START)));
    add(
        PatternDetector.of(
            "us_ssn",
            "US_SSN",
            11,
            HAS_DIGIT,
            new Candidate(
                Pattern.compile("(?<![\\d\\-]|\\d[ \\-])\\d{3}([\\- ]?)\\d{2}\\1\\d{4}(?!\\1?\\d)"),
                Validators::usSsn,
                DIGIT_START)));
    add(
        PatternDetector.of(
            "iban",
            "IBAN",
            42,
            HAS_DIGIT,
            new Candidate(
                Pattern.compile(
                    "(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?"
                        + "(?![A-Za-z0-9])"),
                Validators::iban,
                StartFinder.chars(c -> c >= 'A' && c <= 'Z'))));
    add(
        PatternDetector.of(
            "ipv4",
            "IP_ADDRESS",
            15,
            HAS_DIGIT,
            new Candidate(
                Pattern.compile(
                    "(?<![\\d.])(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}"
                        + "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?!\\d|\\.\\d)"),
                s -> true,
                DIGIT_START)));
    add(
        PatternDetector.of(
            "ipv6",
            "IP_ADDRESS",
            64,
            t -> t.indexOf(':') >= 0,
            new Candidate(
                Pattern.compile(
                    "(?<![0-9A-Za-z:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
                        + "(?:(?<=:)(?:\\d{1,3}\\.){3}\\d{1,3})?(?:%[0-9A-Za-z]{1,15})?"
                        + "(?![0-9A-Za-z:]|\\.\\d)"),
                Validators::ipv6,
                StartFinder.walkBack(':', Detectors::hexOrColon, 39))));
    add(
        PatternDetector.of(
            "aws_access_key",
            "AWS_ACCESS_KEY",
            20,
            t -> t.indexOf('A') >= 0,
            new Candidate(
                Pattern.compile(
                    "(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])"),
                Validators::notRepetitive,
                StartFinder.literal("AKIA", "ASIA", "ABIA", "ACCA"))));
    add(
        PatternDetector.of(
            "github_token",
            "GITHUB_TOKEN",
            266,
            t -> t.contains("gh") || t.contains("github_pat_"),
            new Candidate(
                Pattern.compile(
                    "(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,255})"
                        + "(?![A-Za-z0-9_])"),
                Validators::notRepetitive,
                StartFinder.literal("gh", "github_pat_"))));
    add(
        PatternDetector.of(
            "api_key",
            "API_KEY",
            203,
            t -> t.contains("sk-"),
            new Candidate(
                Pattern.compile(
                    "(?<![A-Za-z0-9_\\-])sk-[A-Za-z0-9_\\-]{20,200}(?![A-Za-z0-9_\\-])"),
                Validators::apiKey,
                StartFinder.literal("sk-"))));
    add(
        PatternDetector.of(
            "jwt",
            "JWT",
            3010,
            t -> t.contains("eyJ"),
            new Candidate(
                Pattern.compile(
                    "(?<![A-Za-z0-9_\\-])eyJ[A-Za-z0-9_\\-]{5,500}\\.eyJ[A-Za-z0-9_\\-]{2,1500}"
                        + "\\.[A-Za-z0-9_\\-]{0,1000}(?![A-Za-z0-9_\\-])"),
                Validators::jwt,
                StartFinder.literal("eyJ"))));
    String pemKind = "(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----";
    add(
        PatternDetector.of(
            "private_key",
            "PRIVATE_KEY",
            4200,
            t -> t.contains("-----BEGIN"),
            new Candidate(
                Pattern.compile(
                    "-----BEGIN "
                        + pemKind
                        + "[A-Za-z0-9+/=\\s:,\\\\\\-]{0,4100}?-----END "
                        + pemKind),
                Validators::privateKey,
                StartFinder.literal("-----BEGIN "))));
  }

  private Detectors() {}

  private static void add(Detector d) {
    BUILTIN.put(d.name(), d);
  }

  /** A built-in detector by name, or null. */
  public static Detector builtin(String name) {
    return BUILTIN.get(name);
  }

  /** The names of the built-in detectors ({@code secrets} expands to {@link #SECRETS}). */
  public static List<String> builtinNames() {
    return List.copyOf(BUILTIN.keySet());
  }

  /**
   * A user detector from a regex. Users' patterns are matched under a step budget (see {@link
   * io.payloadprocessor.modules.common.BoundedCharSequence}), and matches longer than {@code
   * maxLength} are ignored so the stream hold-back window stays an upper bound.
   */
  public static Detector custom(String name, Pattern pattern, int maxLength) {
    String label = name.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]+", "_");
    return new PatternDetector(
        name, label, maxLength, t -> true, List.of(new Candidate(pattern, s -> true)), true);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean emailLocal(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '_'
        || c == '%'
        || c == '+'
        || c == '-';
  }

  private static boolean hexOrColon(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':';
  }

  private static boolean hasDigit(String t) {
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c >= '0' && c <= '9') {
        return true;
      }
    }
    return false;
  }
}
