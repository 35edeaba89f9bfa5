package io.payloadprocessor.modules.promptguard;

import java.util.List;

/** The {@code prompt-guard} module's config, as users write it under {@code module.config}. */
public record PromptGuardConfig(
    List<Rule> deny,
    List<Rule> allow,
    Boolean caseInsensitive,
    Scope scope,
    String action,
    Integer status,
    Boolean request,
    Boolean response,
    String decisionHeader,
    Integer streamWindowChars) {

  /** One rule: exactly one of a regex {@code pattern} or a literal {@code keyword}. */
  public record Rule(String name, String pattern, String keyword) {}

  /** Which text of a request is checked. */
  public record Scope(
      List<String> roles, String messages, Boolean toolArguments, List<String> fields) {}
}
