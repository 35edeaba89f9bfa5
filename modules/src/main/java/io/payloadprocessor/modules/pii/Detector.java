package io.payloadprocessor.modules.pii;

import java.util.List;

/**
 * Finds one kind of personal data or secret in text: candidates in the formats people write, kept
 * only when they validate (checksums, number plans, structure).
 */
public interface Detector {
  /** The detector's name as users write it and as it appears in decisions ({@code email}). */
  String name();

  /** The placeholder label used when masking ({@code EMAIL} gives {@code [EMAIL]}). */
  String label();

  /**
   * The longest text this detector can report. Stream masking holds back at least this many
   * characters, so a value split across events is always seen whole before release.
   */
  int maxSpan();

  /**
   * Adds every validated value in {@code text} to {@code out} as [start, end) ranges, in order and
   * not overlapping each other.
   *
   * @throws java.util.concurrent.CancellationException when the thread is interrupted (a scan past
   *     its step's deadline)
   */
  void find(ScanText text, List<int[]> out);
}
