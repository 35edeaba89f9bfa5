package io.payloadprocessor.modules.common;

import java.util.concurrent.CancellationException;

/**
 * A view of a string for long scans that stops when the scanning thread is interrupted: every
 * {@link #CHECK_EVERY} character reads it checks {@link Thread#isInterrupted()} and throws {@link
 * CancellationException}. The runner interrupts a CPU-pool thread whose step passed its deadline;
 * regex engines and scanners have no other way to learn that their result is no longer wanted.
 */
public final class InterruptibleText implements CharSequence {
  /** Character reads (or characters scanned) between two interrupt checks. */
  public static final int CHECK_EVERY = 64 * 1024;

  private final String text;
  private final int from;
  private final int to;
  private final int[] reads;

  private InterruptibleText(String text, int from, int to, int[] reads) {
    this.text = text;
    this.from = from;
    this.to = to;
    this.reads = reads;
  }

  /** A view of {@code text}. */
  public static InterruptibleText of(String text) {
    return new InterruptibleText(text, 0, text.length(), new int[1]);
  }

  /**
   * Throws {@link CancellationException} if the current thread has been interrupted (the flag is
   * left set, so the caller's caller sees it too).
   */
  public static void checkInterrupted() {
    if (Thread.currentThread().isInterrupted()) {
      throw new CancellationException("scan interrupted: the step's deadline passed");
    }
  }

  @Override
  public int length() {
    return to - from;
  }

  @Override
  public char charAt(int index) {
    if (++reads[0] >= CHECK_EVERY) {
      reads[0] = 0;
      checkInterrupted();
    }
    return text.charAt(from + index);
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    return new InterruptibleText(text, from + start, from + end, reads);
  }

  @Override
  public String toString() {
    return text.substring(from, to);
  }
}
