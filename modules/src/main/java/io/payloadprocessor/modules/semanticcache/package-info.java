/**
 * The {@code semantic-cache} module: answers OpenAI chat completions from a cache of earlier
 * answers, looked up exactly or by meaning (all-MiniLM-L6-v2 embeddings, cosine similarity).
 *
 * <pre>{@code
 * processors:
 *   - name: cache
 *     type: payload-processor.io/Module
 *     module:
 *       id: semantic-cache
 *       config:
 *         mode: exact_then_semantic     # exact | semantic | exact_then_semantic
 *         similarityThreshold: 0.92     # (0, 1]
 *         ttlSeconds: 3600
 *         tenantHeader: x-tenant-id     # answers are never shared across tenants
 *         maxEntries: 10000             # in-memory store bound
 *         maxEntriesPerPartition: 256   # answers a semantic lookup compares with
 *         store: {type: memory}         # or {type: redis, url: redis://127.0.0.1:6379,
 *                                       #     keyPrefix: "pp:semantic-cache:", timeoutMillis: 500}
 * }</pre>
 *
 * <p>Responses carry {@code x-cache: hit|miss|bypass} and, when a comparison was made, {@code
 * x-cache-similarity}. {@code Cache-Control: no-store} skips lookup and store, {@code no-cache}
 * skips the lookup only. Only complete 200 answers without tool calls are stored, in a normalised
 * form served as JSON or as a replayed SSE stream, whichever the new request asks for.
 */
package io.payloadprocessor.modules.semanticcache;
