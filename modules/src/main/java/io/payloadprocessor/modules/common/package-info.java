/**
 * Helpers shared by the guard modules and reusable by any module that reads AI traffic.
 *
 * <p>Starting points:
 *
 * <ul>
 *   <li>{@link io.payloadprocessor.modules.common.GuardBody}: read a message body the way a guard
 *       must (decoded, JSON whatever the content type says, strict JSON or UTF-8).
 *   <li>{@link io.payloadprocessor.modules.common.AiBodies}: the text slots of OpenAI chat,
 *       completions, Responses API and Anthropic Messages requests and responses.
 *   <li>{@link io.payloadprocessor.modules.common.StreamDelta}: the text deltas of one SSE event.
 *   <li>{@link io.payloadprocessor.modules.common.SseBodies}: run a stream processor over a
 *       buffered event-stream body.
 *   <li>{@link io.payloadprocessor.modules.common.JsonSplicer}: change text in a JSON body where
 *       the client wrote it, every other byte kept.
 *   <li>{@link io.payloadprocessor.modules.common.JoinedParts}: the joined text of multi-part
 *       message contents, as the model reads it.
 *   <li>{@link io.payloadprocessor.modules.common.HoldBackStream}: a stream guard that holds text
 *       back across events before deciding.
 *   <li>{@link io.payloadprocessor.modules.common.UserRegex}: users' regexes on a linear-time
 *       engine; {@link io.payloadprocessor.modules.common.InterruptibleText}: scans that stop at
 *       the deadline.
 *   <li>{@link io.payloadprocessor.modules.common.GuardMetrics}: the shared decision counter.
 * </ul>
 */
package io.payloadprocessor.modules.common;
