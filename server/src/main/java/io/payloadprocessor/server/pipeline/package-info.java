/**
 * A pipeline and how it runs: {@link io.payloadprocessor.server.pipeline.Step} (a processor with
 * its phase, timeout and failure mode), {@link io.payloadprocessor.server.pipeline.PipelineRunner}
 * (the only code that calls a processor), {@link io.payloadprocessor.server.pipeline.StepScheduler}
 * (where a step runs, by its {@link io.payloadprocessor.spi.Execution}), {@link
 * io.payloadprocessor.server.pipeline.StreamRun} (SSE responses event by event) and {@link
 * io.payloadprocessor.server.pipeline.Rejections} (the one rejection record, rendered for each
 * place a user looks).
 */
package io.payloadprocessor.server.pipeline;
