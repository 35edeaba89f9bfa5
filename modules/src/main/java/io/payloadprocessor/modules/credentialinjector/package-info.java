/**
 * Module {@code credential-injector}: the upstream API key per model or backend, read from a
 * mounted Secret file, replaces whatever credential the client sent.
 *
 * <pre>{@code
 * processors:
 *   - name: inject-credentials
 *     type: payload-processor.io/Module
 *     module:
 *       id: credential-injector
 *       config:
 *         matchBy: header                  # header (default) | body (JSON "model")
 *         matchHeader: x-gateway-model-name
 *         refreshInterval: 10s             # key files are re-read after this long
 *         entries:
 *           - name: openai
 *             models: [gpt-4o, gpt-4o-mini]
 *             keyFile: /var/run/secrets/openai/api-key
 *             provider: openai             # Authorization: Bearer <key>
 *           - models: [claude-sonnet-4]
 *             keyFile: secrets/anthropic.key   # relative to the config file's directory
 *             provider: anthropic          # x-api-key: <key>
 *           - default: true
 *             keyFile: secrets/azure.key
 *             header: api-key              # explicit header; prefix defaults to ""
 *         stripHeaders: [authorization, x-api-key, api-key]   # default
 * }</pre>
 *
 * <p>Relative {@code keyFile} paths resolve against {@link
 * io.payloadprocessor.spi.ModuleContext#configDir()}, the directory of the file the pipeline was
 * loaded from. A missing, empty or unreadable key file fails the request with {@link
 * io.payloadprocessor.spi.BackendException} (502 under FailClosed) whose message, which the client
 * sees, names the entry only; the file path and the problem are logged (WARN) for the operator,
 * never the content. With {@code matchBy: body} the processor reads the request body and, like
 * every body-reading processor, is skipped for requests without one.
 */
package io.payloadprocessor.modules.credentialinjector;
