/** Helpers for module metrics: shared collectors per registry, bounded label values. */
package io.payloadprocessor.metrics;
