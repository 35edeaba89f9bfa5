package io.payloadprocessor.modules;

import io.payloadprocessor.spi.ConfigProblem;
import java.util.List;

/** Config and value checks shared by the built-in modules. */
public final class ModuleChecks {
  private ModuleChecks() {}

  /**
   * Whether {@code name} is an HTTP field name a module may set: an RFC 9110 token, not a
   * pseudo-header.
   */
  public static boolean isHeaderName(String name) {
    if (name == null || name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code value} can travel as an HTTP field value: no control characters (CR, LF and NUL
   * would split or truncate the header), no leading or trailing whitespace.
   */
  public static boolean isHeaderValue(String value) {
    if (!hasNoControlCharacters(value)) {
      return false;
    }
    return value.isEmpty()
        || (!Character.isWhitespace(value.charAt(0))
            && !Character.isWhitespace(value.charAt(value.length() - 1)));
  }

  /** Whether {@code text} is non-null and free of control characters other than tab. */
  public static boolean hasNoControlCharacters(String text) {
    if (text == null) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** Adds a problem if {@code name} is not a settable header name. */
  public static void checkHeaderName(String field, String name, List<ConfigProblem> problems) {
    if (!isHeaderName(name)) {
      problems.add(new ConfigProblem(field, "not a valid HTTP header name: '" + name + "'"));
    }
  }
}
