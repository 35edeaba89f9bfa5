package io.payloadprocessor.modules.promptguard;

import io.payloadprocessor.modules.common.UserRegex;

/**
 * A compiled deny or allow rule, matched against normalised text. Keywords are normalised like the
 * text and matched literally; patterns are the user's regexes, on a linear-time engine.
 */
record PromptRule(String name, UserRegex pattern) {
  boolean matches(String normalized) {
    return pattern.find(normalized);
  }
}
