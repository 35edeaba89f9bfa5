/**
 * EnvoySim: an Envoy-faithful HTTP ext_proc test client. It plays Envoy v1.34's {@code
 * envoy.filters.http.ext_proc} filter against any ext_proc gRPC server and reports what the HTTP
 * client and the upstream would see. No Envoy binary runs in our tests, so this client is our
 * Envoy; it follows {@code shared/reference/envoy-ext-proc.md} rule for rule.
 *
 * <h2>API</h2>
 *
 * <ul>
 *   <li>{@link io.payloadprocessor.envoysim.EnvoyFilterConfig}: the filter config (builder,
 *       immutable, Envoy's defaults: request/response headers SEND, bodies NONE, trailers SKIP,
 *       message_timeout 200 ms, buffer limit 1 MiB, max_headers_count 100). {@code build()}
 *       validates like Envoy (FULL_DUPLEX_STREAMED needs that direction's trailer mode SEND).
 *   <li>{@link io.payloadprocessor.envoysim.HttpRequest} / {@link
 *       io.payloadprocessor.envoysim.UpstreamResponse}: headers (ordered, lower-case, raw bytes
 *       allowed), body (null = none, empty = one empty DATA frame), {@code chunkOffsets} (where the
 *       sender splits the body), trailers (null = none). Pseudo-headers default to POST / localhost
 *       http, and {@code :status} 200. A one-piece body gets {@code content-length} unless given or
 *       disabled with {@code autoContentLength(false)}.
 *   <li>{@link io.payloadprocessor.envoysim.Upstream}: request as received by the upstream to the
 *       upstream's response ({@code Upstream.fixed(...)} for the common case).
 *   <li>{@link io.payloadprocessor.envoysim.EnvoySim}: {@code new EnvoySim(channel, config)}, then
 *       {@code exchange(request, upstream)} or {@code exchange(request, upstream, behaviour)}.
 *       Blocking, bounded by the message timeout and the route timeout.
 *   <li>{@link io.payloadprocessor.envoysim.ClientBehaviour}: body arrival relative to the headers
 *       response ({@code AFTER_HEADERS_RESPONSE} default: pieces become separate STREAMED messages;
 *       {@code BEFORE_HEADERS_RESPONSE}: the complete body is sent as one message after the headers
 *       response), and a downstream disconnect after N request body pieces.
 *   <li>{@link io.payloadprocessor.envoysim.HttpOutcome}: upstream reached and what it got, what
 *       the client got (status, headers, body, trailers), reset after response headers, local reply
 *       and details, emitted and applied dynamic metadata, counters, elapsed time, trace.
 *   <li>{@link io.payloadprocessor.envoysim.PassThroughProcessor}: a no-op ext_proc server.
 * </ul>
 *
 * <h2>Known simplifications</h2>
 *
 * The upstream is called once the whole request has been forwarded; {@code request_attributes},
 * {@code forward_rules}, per-route overrides, routing (404/503) and {@code clear_route_cache} are
 * not modelled. In STREAMED mode the message timer is re-armed while chunk responses are still
 * outstanding (Envoy stops it on the first response), so a stuck server cannot hang a test. gRPC
 * errors are ignored in observability mode.
 */
package io.payloadprocessor.envoysim;
