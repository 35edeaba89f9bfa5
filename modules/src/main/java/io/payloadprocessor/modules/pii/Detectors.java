package io.payloadprocessor.modules.pii;

import io.payloadprocessor.modules.common.UserRegex;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The built-in detectors by name, and user detectors from regexes. The built-in ones are written by
 * hand ({@link DigitDetectors}, {@link TextDetectors}): one pass over the text finds every place a
 * value can start, and each candidate costs a bounded number of steps, so a scan is linear in the
 * text whatever it holds.
 */
public final class Detectors {
  /** Built-in detector types, by the name users write. */
  private static final Map<String, Detector> BUILTIN = new LinkedHashMap<>();

  /** {@code secrets} expands to these. */
  public static final List<String> SECRETS =
      List.of("aws_access_key", "github_token", "api_key", "jwt", "private_key");

  static {
    add(new TextDetectors.Email());
    add(new DigitDetectors.Phone());
    add(new DigitDetectors.Card());
    add(new DigitDetectors.Ssn());
    add(new DigitDetectors.Iban());
    add(new DigitDetectors.Ipv4());
    add(new TextDetectors.Ipv6());
    add(new TextDetectors.AwsAccessKey());
    add(new TextDetectors.GithubToken());
    add(new TextDetectors.ApiKey());
    add(new TextDetectors.Jwt());
    add(new TextDetectors.PrivateKey());
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
   * A user detector from a regex (RE2/J: linear time). Matches longer than {@code maxLength} are
   * ignored so the stream hold-back window stays an upper bound.
   */
  public static Detector custom(String name, UserRegex pattern, int maxLength) {
    String label = name.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]+", "_");
    return new RegexDetector(name, label, maxLength, pattern);
  }
}
