/**
 * Module {@code usage-metering}: token usage from LLM responses as dynamic metadata and Prometheus
 * counters.
 *
 * <pre>{@code
 * processors:
 *   - name: meter-tokens
 *     type: payload-processor.io/Module
 *     failureMode: FailOpen
 *     module:
 *       id: usage-metering
 *       config:
 *         injectStreamUsage: true        # default false
 *         metricModels: [gpt-4o*, claude-sonnet-4*]   # metric labels; any other model: "other"
 * }</pre>
 *
 * <p>Dynamic metadata, namespace {@code io.payload_processor}, key {@code usage}, with only the
 * parts the provider reported:
 *
 * <pre>{@code
 * usage: {input_tokens: 120, output_tokens: 30, total_tokens: 150, cached_tokens: 100,
 *         reasoning_tokens: 12, model: gpt-4o}
 * }</pre>
 *
 * <p>Meaning follows OpenAI: {@code input_tokens} includes cached tokens. For Anthropic it is
 * {@code input_tokens + cache_read_input_tokens + cache_creation_input_tokens}, {@code
 * cached_tokens} is {@code cache_read_input_tokens} and {@code cache_creation_tokens} is {@code
 * cache_creation_input_tokens}. In an Envoy access log: {@code
 * %DYNAMIC_METADATA(io.payload_processor:usage:total_tokens)%}. Prometheus: {@code
 * payload_processor_tokens_total{model="gpt-4o",kind="input|output|total|cached|..."}}.
 */
package io.payloadprocessor.modules.usagemetering;
