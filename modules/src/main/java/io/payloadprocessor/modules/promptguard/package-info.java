/**
 * The {@code prompt-guard} module: deny and allow lists of regexes and keywords, matched against
 * normalised text ({@link io.payloadprocessor.modules.promptguard.TextNormalizer}) of the roles and
 * messages in scope, on requests and optionally on completions (JSON and SSE). Starting point:
 * {@link io.payloadprocessor.modules.promptguard.PromptGuardFactory}.
 */
package io.payloadprocessor.modules.promptguard;
