/**
 * The contract between payload-processor and a processor module: what a module implements and what
 * it receives. Nothing here runs a pipeline; the server's runner calls these types.
 *
 * <h2>Starting points</h2>
 *
 * <ol>
 *   <li>{@link io.payloadprocessor.spi.Processor}: implement {@code onRequest} (and {@code
 *       onResponse} with {@code handlesResponse() == true}); return an {@link
 *       io.payloadprocessor.spi.Outcome}: {@code proceed(Mutation)}, {@code reject(Block)} or
 *       {@code respond(...)}. Say where it runs with {@link io.payloadprocessor.spi.Execution}
 *       ({@code INLINE}, {@code CPU}, {@code ASYNC}).
 *   <li>{@link io.payloadprocessor.spi.ModuleFactory}: the module's {@code id}, its config checked
 *       and bound in {@code create}, registered in {@code
 *       META-INF/services/io.payloadprocessor.spi.ModuleFactory}. Errors are a {@link
 *       io.payloadprocessor.spi.ConfigException} naming each field.
 *   <li>What a processor reads: the {@link io.payloadprocessor.spi.Exchange} (request, response,
 *       route metadata, per-exchange {@code attributes}) and its messages as {@link
 *       io.payloadprocessor.spi.MessageView} (headers, decoded body, JSON tree). It changes nothing
 *       itself: changes travel in the {@link io.payloadprocessor.spi.Mutation} it returns.
 *   <li>Streamed server-sent-event responses: return a {@link
 *       io.payloadprocessor.spi.SseStreamProcessor} from {@code openSseStream}; it gets each {@link
 *       io.payloadprocessor.spi.SseEvent} and answers with a {@link
 *       io.payloadprocessor.spi.StreamStep}.
 * </ol>
 *
 * <p>The built-in modules ({@code payload-processor-modules}) are worked examples; docs/modules.md
 * lists what a new module needs.
 *
 * <h2>Nullness</h2>
 *
 * Every type here is {@link org.jspecify.annotations.NullMarked}: a parameter or return value is
 * never null unless it is marked {@link org.jspecify.annotations.Nullable}. Null is a signal only
 * where marked: no stream processor ({@code Processor.openSseStream}), no response yet ({@code
 * Exchange.response}), no header ({@code Headers.get}), no block ({@code StreamStep.block}), no
 * body change ({@code Mutation.body}, {@code Mutation.json}), no SSE {@code event} or {@code id}.
 */
@NullMarked
package io.payloadprocessor.spi;

import org.jspecify.annotations.NullMarked;
