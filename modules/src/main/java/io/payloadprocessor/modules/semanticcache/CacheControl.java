package io.payloadprocessor.modules.semanticcache;

import java.util.Locale;

/**
 * The request's {@code Cache-Control} directives this cache honours: {@code no-store} (neither look
 * up nor store) and {@code no-cache} (do not answer from the cache, but store the fresh answer).
 */
public record CacheControl(boolean noStore, boolean noCache) {

  public static CacheControl parse(String header) {
    if (header == null) {
      return new CacheControl(false, false);
    }
    boolean noStore = false;
    boolean noCache = false;
    for (String part : header.split(",")) {
      String d = part.strip().toLowerCase(Locale.ROOT);
      int eq = d.indexOf('=');
      String name = (eq < 0 ? d : d.substring(0, eq)).strip();
      if (name.equals("no-store")) {
        noStore = true;
      } else if (name.equals("no-cache")) {
        noCache = true;
      }
    }
    return new CacheControl(noStore, noCache);
  }
}
