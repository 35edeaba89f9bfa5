/**
 * Helpers shared by the guard modules and reusable by any module that reads AI traffic.
 *
 * <p>Starting points:
 *
 * <ul>
 *   <li>{@link io.payloadprocessor.modules.common.GuardBody}: read a message body the way a guard
 *       must (decoded, strict JSON or UTF-8, binary types left alone).
 *   <li>{@link io.payloadprocessor.modules.common.AiBodies}: the text slots of OpenAI chat,
 *       completions, Responses API and Anthropic Messages requests and responses.
 *   <li>{@link io.payloadprocessor.modules.common.StreamDelta}: the text deltas of one SSE event.
 *   <li>{@link io.payloadprocessor.modules.common.SseBodies}: run a stream processor over a
 *       buffered event-stream body.
 *   <li>{@link io.payloadprocessor.modules.common.GuardMetrics}: the shared decision counter.
 * </ul>
 */
package io.payloadprocessor.modules.common;
