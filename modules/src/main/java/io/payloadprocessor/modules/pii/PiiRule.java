package io.payloadprocessor.modules.pii;

/**
 * A detector with what to do about its findings. {@code replacement} is the placeholder text for
 * {@link PiiAction#MASK} ({@code [EMAIL]} by default); {@code partial} keeps a tail for humans.
 */
public record PiiRule(Detector detector, PiiAction action, boolean partial, String replacement) {
  public String name() {
    return detector.name();
  }
}
