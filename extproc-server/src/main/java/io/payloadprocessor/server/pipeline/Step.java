package io.payloadprocessor.server.pipeline;

import io.payloadprocessor.spi.Processor;
import java.time.Duration;

/**
 * One processor in force: where it came from (document, stage, target), how it fails, how long it
 * may take, and the processor itself. {@code type} is what the user wrote ({@code InProcess},
 * {@code ExtProcess} or a module id).
 */
public record Step(
    String name,
    String document,
    Stage stage,
    TargetRef target,
    FailureMode failureMode,
    Duration timeout,
    String type,
    Processor processor) {}
