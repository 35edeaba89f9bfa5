/**
 * PayloadProcessor documents to a {@link io.payloadprocessor.server.pipeline.Pipeline}: YAML read
 * with line numbers, every field validated with its path ({@link
 * io.payloadprocessor.server.config.DocumentReader}), modules found with {@link
 * java.util.ServiceLoader}, ordering across documents ({@link
 * io.payloadprocessor.server.config.PipelineLoader}) and hot reload ({@link
 * io.payloadprocessor.server.config.ConfigWatcher}).
 */
package io.payloadprocessor.server.config;
