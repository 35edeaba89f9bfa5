/**
 * ExtProcess processors: a pipeline step that forwards the exchange to a remote ext_proc backend
 * over gRPC and applies its answer, asynchronously ({@link
 * io.payloadprocessor.spi.Execution#ASYNC}).
 */
package io.payloadprocessor.server.extprocess;
