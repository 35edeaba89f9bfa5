package io.payloadprocessor.modules.pii;

/** What every built-in detector shares: its names and its longest span. */
abstract class BuiltinDetector implements Detector {
  private final String name;
  private final String label;
  private final int maxSpan;

  BuiltinDetector(String name, String label, int maxSpan) {
    this.name = name;
    this.label = label;
    this.maxSpan = maxSpan;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String label() {
    return label;
  }

  @Override
  public final int maxSpan() {
    return maxSpan;
  }

  @Override
  public String toString() {
    return "Detector[" + name + "]";
  }
}
