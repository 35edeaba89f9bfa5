/**
 * The pipeline over OpenAI Batch JSONL files on one machine: reading and writing the files so that
 * nothing is lost or mixed ({@link io.payloadprocessor.server.batch.BatchFiles}), one line as one
 * exchange ({@link io.payloadprocessor.server.batch.LineProcessor}, shared with the Spark job),
 * ordered parallel runs, checkpoints for {@code --resume}, the report.
 */
package io.payloadprocessor.server.batch;
