package io.payloadprocessor.modules.pii;

import java.util.Locale;

/** What a detector's findings cause. */
public enum PiiAction {
  /** Reject the request (or end the stream with an in-band error). */
  BLOCK,
  /** Replace the value with a placeholder or a partial mask and let the message through. */
  MASK,
  /** Let the message through unchanged; record the detector in a header and metadata. */
  REPORT;

  /** The config spelling ({@code block}, {@code mask}, {@code report}). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
