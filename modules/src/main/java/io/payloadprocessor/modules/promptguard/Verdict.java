package io.payloadprocessor.modules.promptguard;

/** A failed check: {@code prompt_denied} (with the deny rule) or {@code prompt_not_allowed}. */
record Verdict(String reason, String rule) {
  static final String DENIED = "prompt_denied";
  static final String NOT_ALLOWED = "prompt_not_allowed";

  /** The decision-header value in shadow mode. */
  String header() {
    return reason + "; rule=" + rule;
  }
}
