package io.payloadprocessor.logging;

/**
 * Whether a client-supplied request id ({@code x-request-id}) may be used as the exchange's id. The
 * id is written to log lines, error bodies and metadata, so it must not be able to forge a log line
 * (CR/LF), break out of a quoted field or carry a payload: only 1 to {@value #MAX_LENGTH}
 * characters of {@code A-Z a-z 0-9 . _ ~ : ; , = + / @ -} are accepted (UUIDs, Envoy's ids, AWS and
 * W3C trace ids fit). Anything else is not escaped but replaced by a fresh id, so none of it is
 * kept.
 */
public final class RequestIds {
  /** Longest accepted id. */
  public static final int MAX_LENGTH = 128;

  private RequestIds() {}

  /** {@code id} when it is a safe request id, else null (the caller generates one). */
  public static String validOrNull(String id) {
    return isValid(id) ? id : null;
  }

  /** Whether {@code id} is a safe request id. */
  public static boolean isValid(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || ".-_~:;,=+/@".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
