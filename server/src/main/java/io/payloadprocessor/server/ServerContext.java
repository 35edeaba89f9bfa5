package io.payloadprocessor.server;

import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.PipelineRunner;
import io.payloadprocessor.server.telemetry.Tracing;
import java.util.function.Supplier;

/**
 * What every ext_proc stream needs: the pipeline in force (read once per stream, so a reload never
 * changes an exchange in flight), the runner, metrics, tracing and limits (per body and for all
 * bodies held at once).
 */
public record ServerContext(
    Supplier<Pipeline> pipeline,
    PipelineRunner runner,
    ServerMetrics metrics,
    long maxBodyBytes,
    BodyBudget bodyBudget,
    Tracing tracing) {

  /** Without tracing. */
  public ServerContext(
      Supplier<Pipeline> pipeline,
      PipelineRunner runner,
      ServerMetrics metrics,
      long maxBodyBytes,
      BodyBudget bodyBudget) {
    this(pipeline, runner, metrics, maxBodyBytes, bodyBudget, Tracing.off());
  }
}
