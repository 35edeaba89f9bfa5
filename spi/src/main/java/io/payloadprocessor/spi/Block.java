package io.payloadprocessor.spi;

/**
 * A processor's decision to block, before the runner adds who and where (processor name, phase,
 * request id) to make the full rejection record. {@code message} must never repeat the offending
 * content. The constructor takes null for {@code rule} (none: "") and for {@code type} (the OpenAI
 * error type of the status, {@link #defaultType}); the record's fields are never null.
 */
public record Block(
    int status, String reason, String rule, String message, boolean retryable, String type) {

  public Block {
    if (status < 200 || status > 599) {
      throw new IllegalArgumentException("block status must be 200-599: " + status);
    }
    rule = rule == null ? "" : rule;
    type = type == null || type.isEmpty() ? defaultType(status) : type;
  }

  public static Block of(int status, String reason, String message) {
    return new Block(status, reason, "", message, false, null);
  }

  public Block withRule(String newRule) {
    return new Block(status, reason, newRule, message, retryable, type);
  }

  public Block asRetryable() {
    return new Block(status, reason, rule, message, true, type);
  }

  /** The OpenAI error type that fits an HTTP status. */
  public static String defaultType(int status) {
    return switch (status) {
      case 400, 413, 415, 422 -> "invalid_request_error";
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 429 -> "rate_limit_error";
      case 504 -> "timeout_error";
      default -> status >= 500 ? "server_error" : "invalid_request_error";
    };
  }
}
