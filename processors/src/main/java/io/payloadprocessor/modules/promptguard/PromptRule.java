package io.payloadprocessor.modules.promptguard;

import io.payloadprocessor.modules.common.BoundedCharSequence;
import java.util.regex.Pattern;

/**
 * A compiled deny or allow rule, matched against normalised text. Keywords are normalised like the
 * text and matched literally; patterns are the user's regexes, run under a step budget.
 */
record PromptRule(String name, Pattern pattern) {
  /** Budget of character reads per input character (see {@link BoundedCharSequence}). */
  private static final int READS_PER_CHAR = 200;

  boolean matches(String normalized) {
    return pattern.matcher(BoundedCharSequence.of(normalized, READS_PER_CHAR)).find();
  }
}
