/**
 * EnvoySim: an Envoy-faithful HTTP ext_proc test client. It plays Envoy v1.34's {@code
 * envoy.filters.http.ext_proc} filter against any ext_proc gRPC server and reports what the HTTP
 * client and the upstream would see. No Envoy binary runs in our tests, so this client is our
 * Envoy; it follows {@code shared/reference/envoy-ext-proc.md} rule for rule.
 *
 * <h2>API</h2>
 *
 * <pre>{@code
 * EnvoyFilterConfig config = EnvoyFilterConfig.builder()
 *     .processingMode(mode).messageTimeout(Duration.ofSeconds(2)).build();
 * EnvoySim envoy = new EnvoySim(channel, config);          // channel owned by the caller
 * HttpOutcome o = envoy.exchange(
 *     HttpRequest.builder().header(":path", "/v1/chat").body(json).chunkOffsets(12, 30).build(),
 *     Upstream.fixed(UpstreamResponse.ok("application/json", "{}")));
 * o.status(); o.upstreamReached(); o.upstreamRequest().header("x-model"); o.clientBody();
 * }</pre>
 *
 * <ul>
 *   <li>{@link io.payloadprocessor.envoysim.EnvoyFilterConfig}: the filter config (builder,
 *       immutable, Envoy's defaults: request/response headers SEND, bodies NONE, trailers SKIP,
 *       message_timeout 200 ms, max_message_timeout 0, buffer limit 1 MiB, max_headers_count 100,
 *       max_request_headers_kb 60, route timeout 15 s). {@code build()} validates like Envoy
 *       (FULL_DUPLEX_STREAMED needs that direction's trailer mode SEND) and throws {@link
 *       java.lang.IllegalArgumentException}.
 *   <li>{@link io.payloadprocessor.envoysim.HttpRequest} / {@link
 *       io.payloadprocessor.envoysim.UpstreamResponse}: headers (ordered, lower-case, raw bytes
 *       allowed), body (null = none, empty = one empty DATA frame), {@code chunkOffsets} (where the
 *       sender splits the body), trailers (null = none; an empty map adds none). Pseudo-headers
 *       default to POST / localhost http, {@code :status} to 200; {@code host} becomes {@code
 *       :authority}. A one-piece body gets {@code content-length} unless given or disabled with
 *       {@code autoContentLength(false)}; bodies with chunk offsets are sent chunked (none).
 *   <li>{@link io.payloadprocessor.envoysim.Upstream}: request as received by the upstream to the
 *       upstream's response ({@code Upstream.fixed(...)}, {@code Upstream.ok()}).
 *   <li>{@link io.payloadprocessor.envoysim.EnvoySim}: {@code exchange(request, upstream)} or
 *       {@code exchange(request, upstream, behaviour)}; blocking, bounded by the message timeout
 *       and the route timeout; thread-safe. {@code withTracing(false)} for load driving.
 *   <li>{@link io.payloadprocessor.envoysim.ClientBehaviour}: body arrival relative to the headers
 *       response ({@code AFTER_HEADERS_RESPONSE} default: pieces become separate STREAMED messages;
 *       {@code BEFORE_HEADERS_RESPONSE}: the complete body is sent as one message after the headers
 *       response), per direction, and a downstream disconnect after N request body pieces.
 *   <li>{@link io.payloadprocessor.envoysim.HttpOutcome}: upstream reached and what it got ({@link
 *       io.payloadprocessor.envoysim.ForwardedMessage}, null if not reached), what the client got
 *       (status, headers, body, trailers), reset after response headers, local reply and {@code
 *       details}, emitted and applied dynamic metadata, counters, how the server ended the call,
 *       elapsed time, trace (bodies over 200 bytes and credentials elided).
 *   <li>{@link io.payloadprocessor.envoysim.PassThroughProcessor}: a no-op ext_proc server.
 * </ul>
 *
 * <h2>Envoy behaviour reproduced beyond the filter</h2>
 *
 * The connection manager adds {@code x-forwarded-proto} and {@code x-request-id} when absent before
 * the filter sees the request; BUFFERED bodies over the buffer limit give 413 (request) or 500
 * (response); a stuck exchange ends at the route timeout with 504 ({@code route_timeout}).
 *
 * <h2>Known simplifications</h2>
 *
 * The upstream is called once the whole request has been forwarded; {@code request_attributes},
 * {@code forward_rules}, {@code metadata_context} forwarding namespaces, per-route overrides,
 * routing (404/503) and {@code clear_route_cache} are not modelled. In STREAMED mode the message
 * timer is re-armed while chunk responses are still outstanding (Envoy stops it at the first
 * response), so a stuck server cannot hang a test. gRPC errors are ignored in observability mode. A
 * BUFFERED body that arrived complete before the headers response is also checked against the
 * buffer limit (Envoy would have paused the client with a watermark first).
 */
package io.payloadprocessor.envoysim;
