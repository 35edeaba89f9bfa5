/**
 * The batch pipeline as an Apache Spark job ({@link io.payloadprocessor.spark.SparkBatch}): JSONL
 * on any Hadoop-compatible path, one pipeline per executor JVM, lines run as the server's batch
 * runs them. See docs/batch.md.
 */
package io.payloadprocessor.spark;
