package io.payloadprocessor.modules.common;

/**
 * A view of a string that gives {@link java.util.regex.Matcher} a budget of character reads.
 * User-written regexes can backtrack catastrophically; java.util.regex has no timeout, so guards
 * match user patterns against this view and fail the exchange (under the processor's failure mode)
 * instead of burning a CPU. Built-in patterns are written to be linear and skip it.
 */
public final class BoundedCharSequence implements CharSequence {
  /** Thrown when a regex exceeds its budget. */
  public static final class RegexBudgetExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RegexBudgetExceededException(String message) {
      super(message);
    }
  }

  private final String text;
  private final int from;
  private final int to;
  private final long[] budget;

  private BoundedCharSequence(String text, int from, int to, long[] budget) {
    this.text = text;
    this.from = from;
    this.to = to;
    this.budget = budget;
  }

  /** A view allowing about {@code readsPerChar} reads per character (and at least 100,000). */
  public static BoundedCharSequence of(String text, int readsPerChar) {
    long limit = Math.max(100_000L, (long) text.length() * readsPerChar);
    return new BoundedCharSequence(text, 0, text.length(), new long[] {limit});
  }

  @Override
  public int length() {
    return to - from;
  }

  @Override
  public char charAt(int index) {
    if (--budget[0] < 0) {
      throw new RegexBudgetExceededException("regular expression exceeded its matching budget");
    }
    return text.charAt(from + index);
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    return new BoundedCharSequence(text, from + start, from + end, budget);
  }

  @Override
  public String toString() {
    return text.substring(from, to);
  }
}
