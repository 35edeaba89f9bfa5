package io.payloadprocessor.modules.pii;

/** One detected value: the rule that found it and its [start, end) range in the scanned text. */
public record Finding(PiiRule rule, int start, int end) {
  public int length() {
    return end - start;
  }

  @Override
  public String toString() {
    // Positions only: a finding must never carry the value into logs.
    return "Finding[" + rule.name() + "," + start + ".." + end + "]";
  }
}
